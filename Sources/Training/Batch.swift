import Foundation

/// Model inputs and targets for a list of sequences: inputs are a sequence's first L-1
/// tokens, targets its last L-1 (the next token at each position), -1 where the target is
/// padding (masked out of the loss).
public struct Batch {
    public var tokens: [Int64] = []   // (n, L-1)
    public var targets: [Int64] = []  // (n, L-1)
    public var realTokens = 0         // targets that count

    public init() {}

    public mutating func append(sequence index: Int, of file: MappedTokenFile) {
        var row: [Int64] = []
        row.reserveCapacity(file.sequenceLength)
        file.appendSequence(index, to: &row)
        let valid = file.validTokens(ofSequence: index)
        tokens.append(contentsOf: row.dropLast())
        for t in 1..<row.count { targets.append(t < valid ? row[t] : -1) }
        realTokens += max(0, valid - 1)
    }
}
