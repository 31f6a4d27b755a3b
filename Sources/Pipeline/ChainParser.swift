/// One filter of a parsed chain: its name and its options as given, positional ones with a nil key.
public struct FilterSpec: Equatable, Sendable {
    /// Filter name, e.g. "scale".
    public var name: String
    /// Options in the order given; `key == nil` for positional values.
    public var arguments: [(key: String?, value: String)]
    /// Character offset of the filter name in the chain text (for error messages).
    public var position: Int

    public static func == (a: FilterSpec, b: FilterSpec) -> Bool {
        a.name == b.name && a.position == b.position && a.arguments.count == b.arguments.count
            && zip(a.arguments, b.arguments).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}

/// Parses FFmpeg's filter-chain syntax: `name=key=value:key=value,name2,name3=positional:k=v`.
///
/// Filters are separated by `,`, options by `:`, keys from values by the first `=`. A value may
/// be quoted with `'…'` (taken literally) or use `\` to escape the next character, so
/// `drawtext=text='a\,b'` and `fps=fps=30000/1001` both work. Whitespace around filters is ignored.
public enum ChainParser {
    /// Splits `text` into filter specs; throws `FilterError.syntax` with the character position.
    public static func parse(_ text: String) throws -> [FilterSpec] {
        let chars = Array(text)
        guard chars.contains(where: { !$0.isWhitespace }) else {
            throw FilterError.syntax(chain: text, position: 0, reason: "empty filter chain")
        }
        var specs: [FilterSpec] = []
        var i = 0
        while true {
            // One filter: name up to '=' or ',' or end.
            while i < chars.count, chars[i].isWhitespace { i += 1 }
            let nameStart = i
            while i < chars.count, chars[i] != "=", chars[i] != "," { i += 1 }
            let name = String(chars[nameStart..<i]).trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty else {
                throw FilterError.syntax(chain: text, position: nameStart, reason: "missing filter name")
            }
            guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                throw FilterError.syntax(chain: text, position: nameStart, reason: "invalid filter name \"\(name)\"")
            }
            var arguments: [(key: String?, value: String)] = []
            if i < chars.count, chars[i] == "=" {
                i += 1
                while true {
                    let argStart = i
                    let (item, next) = try readItem(chars, from: i, chain: text)
                    i = next
                    if item.text.isEmpty && item.equalsAt == nil {
                        throw FilterError.syntax(chain: text, position: argStart, reason: "empty option")
                    }
                    if let eq = item.equalsAt {
                        let key = String(item.text.prefix(eq)).trimmingCharacters(in: .whitespaces)
                        guard !key.isEmpty else {
                            throw FilterError.syntax(chain: text, position: argStart, reason: "missing option name before '='")
                        }
                        arguments.append((key: key, value: String(item.text.dropFirst(eq + 1))))
                    } else {
                        arguments.append((key: nil, value: item.text))
                    }
                    if i < chars.count, chars[i] == ":" { i += 1; continue }
                    break
                }
            }
            specs.append(FilterSpec(name: name, arguments: arguments, position: nameStart))
            if i >= chars.count { break }
            guard chars[i] == "," else {
                throw FilterError.syntax(chain: text, position: i, reason: "expected ',' between filters")
            }
            i += 1
        }
        return specs
    }

    /// Reads one `key=value` or `value` item up to an unquoted, unescaped `:` or `,`.
    /// Returns the unescaped text and the offset of its first unquoted `=`, if any.
    private static func readItem(_ chars: [Character], from start: Int, chain: String) throws -> (item: (text: String, equalsAt: Int?), next: Int) {
        var out = ""
        var equalsAt: Int?
        var i = start
        var quoted = false
        var hadQuotes = false
        while i < chars.count {
            let c = chars[i]
            if quoted {
                if c == "'" { quoted = false } else { out.append(c) }
                i += 1
                continue
            }
            switch c {
            case "'":
                quoted = true
                hadQuotes = true
                i += 1
            case "\\":
                guard i + 1 < chars.count else {
                    throw FilterError.syntax(chain: chain, position: i, reason: "dangling '\\' at end")
                }
                out.append(chars[i + 1])
                i += 2
            case ":", ",":
                return (finished(out, equalsAt, hadQuotes: hadQuotes), i)
            case "=":
                if equalsAt == nil { equalsAt = out.count }
                out.append(c)
                i += 1
            default:
                out.append(c)
                i += 1
            }
        }
        if quoted {
            throw FilterError.syntax(chain: chain, position: start, reason: "unterminated quote")
        }
        return (finished(out, equalsAt, hadQuotes: hadQuotes), i)
    }

    /// Drops unquoted trailing whitespace (as FFmpeg does); quoted text is kept as written.
    private static func finished(_ text: String, _ equalsAt: Int?, hadQuotes: Bool) -> (text: String, equalsAt: Int?) {
        guard !hadQuotes else { return (text, equalsAt) }
        var t = text
        while let last = t.last, last.isWhitespace { t.removeLast() }
        return (t, equalsAt)
    }
}

import Foundation
