/// How a text longer than the model's input is cut: nothing is truncated.
///
/// A window holds at most `content = maxSequenceLength - 2` word pieces between [CLS] and
/// [SEP]. A text that fits is one window. A longer one is cut into windows of exactly
/// `content` pieces starting every `content - overlap` pieces (`overlap = content / 4`, so
/// neighbours share a quarter), the last one ending at the text's last piece. Each window
/// is embedded on its own; the text's vector is the mean of its windows' vectors, scaled to
/// unit length.
///
///     TextWindows.starts(count: 600, content: 254)  // [0, 191, 346]: windows 0-253, 191-444, 346-599
public enum TextWindows {
    public static func overlap(content: Int) -> Int { content / 4 }

    /// The first piece of each window of a text of `count` pieces.
    public static func starts(count: Int, content: Int) -> [Int] {
        precondition(content > 0)
        guard count > content else { return [0] }
        let stride = content - overlap(content: content)
        var starts: [Int] = []
        var start = 0
        while start + content < count {
            starts.append(start)
            start += stride
        }
        starts.append(count - content)
        return starts
    }
}
