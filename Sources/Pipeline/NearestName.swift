/// The known name a mistyped one most likely meant: for "did you mean …?" in the chain parser
/// (filter and option names) and the CLI (subcommands and flags).
public enum NearestName {
    /// The name of `names` nearest to `word` (transpositions count once), if it is close:
    /// at most 2 edits, and fewer than half the word's letters. Words over 64 characters get
    /// no suggestion (nothing that long is a typo of a name, and the table grows with it).
    public static func nearest(_ word: String, in names: [String]) -> String? {
        guard word.count <= 64 else { return nil }
        var best: (name: String, edits: Int)?
        for name in names.sorted() {
            let edits = distance(word, name)
            if edits < (best?.edits ?? Int.max) { best = (name, edits) }
        }
        guard let best, best.edits <= 2, best.edits * 2 < word.count else { return nil }
        return best.name
    }

    /// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
    public static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[a.count][b.count]
    }
}
