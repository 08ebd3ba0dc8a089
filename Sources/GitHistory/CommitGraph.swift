/// The commits reachable from the chosen references, walked once on one thread: their
/// order, parents, times and authors, the local branches containing each, and the tags
/// pointing at each. Read-only afterwards, so every diff worker shares it.
///
/// The walk covers the chosen references and every local branch (so "branches containing
/// this commit" is exact whatever the selection); `selected` keeps only the chosen part.
struct CommitGraph: Sendable {
    struct Node: Sendable {
        var id: ObjectID
        var parents: [ObjectID]
        var author: GitTime
        var committerTime: Int64
        var authorName: String
        var authorEmail: String
    }

    /// Every walked commit, parents before children; among commits whose parents are all
    /// placed, the oldest committer time first (then the hash), so the order is fixed.
    var nodes: [Node]
    var indexOf: [ObjectID: Int]
    /// Indexes into `nodes` of the commits reachable from the chosen references, in output order.
    var selected: [Int]
    /// Short names of local branches (`main`, `feature/x`), sorted.
    var branchNames: [String]
    /// Bit b + 1 of node i's words: branch b contains node i. Bit 0: a chosen ref reaches it.
    var bits: [UInt64]
    var wordsPerNode: Int
    /// Short tag names by the commit they peel to.
    var tagsByCommit: [ObjectID: [String]]
    /// Every reference name in the repository, and the chosen ones.
    var referenceNames: [String]
    var chosenReferences: [String]
    /// The commit each chosen reference peels to, in `chosenReferences` order.
    var chosenTips: [ObjectID]

    init(repository: Repository, selection: RefSelection) throws(GitHistoryError) {
        do {
            try self.init(walking: repository, selection: selection)
        } catch let error as GitHistoryError {
            throw error
        } catch let error as GitError {
            throw .git(error)
        } catch {
            fatalError("unexpected \(error)")
        }
    }

    private init(walking repository: Repository, selection: RefSelection) throws {
        let names = try repository.referenceNames().filter { $0.hasPrefix("refs/") }
        referenceNames = names
        var chosenTips: [ObjectID] = []
        var chosen: [String] = []
        var branches: [(String, ObjectID)] = []
        var tags: [ObjectID: [String]] = [:]
        for name in names {
            let isBranch = name.hasPrefix("refs/heads/"), isTag = name.hasPrefix("refs/tags/")
            let wanted = selection.matches(name)
            guard wanted || isBranch || isTag else { continue }
            guard let target = try repository.peeledCommit(ofReference: name) else { continue }
            if wanted { chosenTips.append(target); chosen.append(name) }
            if isBranch { branches.append((String(name.dropFirst("refs/heads/".count)), target)) }
            if isTag { tags[target, default: []].append(String(name.dropFirst("refs/tags/".count))) }
        }
        guard !chosen.isEmpty else {
            if repository.isEmpty { throw GitHistoryError.emptyRepository(repository.path) }
            throw GitHistoryError.noMatchingRefs(selection.description, available: names)
        }
        chosenReferences = chosen
        self.chosenTips = chosenTips
        tagsByCommit = tags
        branchNames = branches.map(\.0)

        // Read every reachable commit once; a parent that cannot be read (the boundary of
        // a shallow clone) ends the walk there.
        var nodes: [Node] = []
        var indexOf: [ObjectID: Int] = [:]
        var pending = chosenTips + branches.map(\.1)
        while let id = pending.popLast() {
            guard indexOf[id] == nil else { continue }
            guard let commit = try Self.commitUnlessMissing(id, in: repository) else { continue }
            let author = commit.author
            indexOf[id] = nodes.count
            nodes.append(Node(id: id, parents: commit.parentIDs,
                              author: GitTime(seconds: author.time, offsetMinutes: author.offsetMinutes),
                              committerTime: commit.time,
                              authorName: TextDecoding.string(author.nameBytes),
                              authorEmail: TextDecoding.string(author.emailBytes)))
            pending.append(contentsOf: commit.parentIDs.reversed())
        }
        (nodes, indexOf) = Self.ordered(nodes)

        // Reachability: mark each tip, then push every node's bits to its parents,
        // children first (the reverse of the walk order).
        let words = (branches.count + 1 + 63) / 64
        var bits = [UInt64](repeating: 0, count: nodes.count * words)
        for tip in chosenTips { if let i = indexOf[tip] { bits[i * words] |= 1 } }
        for (b, (_, tip)) in branches.enumerated() {
            if let i = indexOf[tip] { bits[i * words + (b + 1) / 64] |= 1 << UInt64((b + 1) % 64) }
        }
        for i in stride(from: nodes.count - 1, through: 0, by: -1) {
            for parent in nodes[i].parents {
                guard let p = indexOf[parent] else { continue }  // beyond a shallow boundary
                for w in 0..<words { bits[p * words + w] |= bits[i * words + w] }
            }
        }
        self.nodes = nodes
        self.indexOf = indexOf
        self.bits = bits
        self.wordsPerNode = words
        self.selected = nodes.indices.filter { bits[$0 * words] & 1 != 0 }
    }

    /// Local branches containing node `i`.
    func branches(containing i: Int) -> [String] {
        var result: [String] = []
        for (b, name) in branchNames.enumerated() where bits[i * wordsPerNode + (b + 1) / 64] & (1 << UInt64((b + 1) % 64)) != 0 {
            result.append(name)
        }
        return result
    }

    /// Number of commits branch `b` contains.
    func commitCount(ofBranch b: Int) -> Int {
        let word = (b + 1) / 64, mask: UInt64 = 1 << UInt64((b + 1) % 64)
        var count = 0
        for i in nodes.indices where bits[i * wordsPerNode + word] & mask != 0 { count += 1 }
        return count
    }

    /// The commit, or nil when its object is absent (a shallow clone's boundary).
    static func commitUnlessMissing(_ id: ObjectID, in repository: Repository) throws(GitError) -> Commit? {
        do {
            return try repository.commit(id)
        } catch {
            if error.isNotFound { return nil }
            throw error
        }
    }

    /// Sorts parents before children, picking the oldest ready commit each time (Kahn's
    /// algorithm with a min-heap on committer time, then hash).
    static func ordered(_ nodes: [Node]) -> ([Node], [ObjectID: Int]) {
        var position: [ObjectID: Int] = [:]
        for (i, node) in nodes.enumerated() { position[node.id] = i }
        var children = [[Int]](repeating: [], count: nodes.count)
        var waiting = [Int](repeating: 0, count: nodes.count)
        for (i, node) in nodes.enumerated() {
            for parent in Set(node.parents) { if let p = position[parent] { children[p].append(i); waiting[i] += 1 } }
        }
        let keys = nodes.map { ($0.committerTime, $0.id.hex) }
        var heap = MinHeap<Int> { keys[$0] < keys[$1] }
        for i in nodes.indices where waiting[i] == 0 { heap.push(i) }
        var result: [Node] = []
        result.reserveCapacity(nodes.count)
        var indexOf: [ObjectID: Int] = [:]
        while let i = heap.pop() {
            indexOf[nodes[i].id] = result.count
            result.append(nodes[i])
            for child in children[i] {
                waiting[child] -= 1
                if waiting[child] == 0 { heap.push(child) }
            }
        }
        return (result, indexOf)
    }
}

/// A binary min-heap under `less`.
struct MinHeap<Element> {
    private var items: [Element] = []
    private let less: (Element, Element) -> Bool
    init(less: @escaping (Element, Element) -> Bool) { self.less = less }

    mutating func push(_ item: Element) {
        items.append(item)
        var i = items.count - 1
        while i > 0, less(items[i], items[(i - 1) / 2]) { items.swapAt(i, (i - 1) / 2); i = (i - 1) / 2 }
    }

    mutating func pop() -> Element? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < items.count, less(items[l], items[m]) { m = l }
            if r < items.count, less(items[r], items[m]) { m = r }
            if m == i { return top }
            items.swapAt(i, m); i = m
        }
    }
}
