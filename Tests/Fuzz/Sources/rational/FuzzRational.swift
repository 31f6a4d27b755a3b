// libFuzzer target `rational`: `Rational.parse`/`Rational(parsing:)` on each line of the input,
// then the checked arithmetic, comparison and rescaling between the parsed values and a tick
// count, and the convenience forms. Nothing may trap; checked operations may only throw
// `RationalError`; answers are checked against exact identities and a Double estimate.
// Build and run: see Tests/Fuzz/README.md.
import Foundation
import MediaIO

/// Tick counts every pair of values is rescaled with, besides one taken from the input.
private let ticks: [Int64] = [0, 1, -1, 1001, 90_000, Int64(Int32.max), Int64.max, -Int64.max, Int64.min]

private func fail(_ message: String) -> Never { fatalError("fuzz-rational: \(message)") }

private func gcd(_ a: UInt64, _ b: UInt64) -> UInt64 {
    var a = a, b = b
    while b != 0 { (a, b) = (b, a % b) }
    return a
}

/// Properties of every valid value: reduced, denominator positive, numerator never Int64.min,
/// and it prints as text that parses back to itself.
private func checkValid(_ r: Rational, _ context: @autoclosure () -> String) {
    guard r.den > 0, r.num != Int64.min, gcd(r.num.magnitude, r.den.magnitude) == 1 else {
        fail("\(context()) gave \(r.num)/\(r.den), not a reduced value")
    }
    guard (try? Rational.parse(r.description)) == r else { fail("\(context()) gave \(r), which does not parse back") }
}

/// Runs a checked operation: its value (checked valid) or nil when it threw a `RationalError`.
private func checked(_ what: @autoclosure () -> String, _ body: () throws -> Rational) -> Rational? {
    do {
        let r = try body()
        checkValid(r, what())
        return r
    } catch is RationalError {
        return nil
    } catch {
        fail("\(what()) threw \(type(of: error)), not RationalError")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRational(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
    let lines = text.split(separator: "\n", maxSplits: 3, omittingEmptySubsequences: false).prefix(3).map(String.init)
    var values: [Rational] = []
    for line in lines {
        let parsed = checked("parse(\"\(line)\")") { try Rational.parse(line) }
        guard Rational(parsing: line) == parsed else { fail("init(parsing:) and parse(_:) disagree on \"\(line)\"") }
        if let parsed { values.append(parsed) }
    }
    var counts = ticks
    if let last = lines.last, let n = Int64(last.trimmingCharacters(in: .whitespaces)) { counts.append(n) }

    for a in values {
        _ = a.doubleValue
        _ = a.isPositive
        if let inverse = checked("1 / \(a)", { try Rational(1, 1).divided(by: a) }) {
            guard a.inverted == inverse, inverse.inverted == a else { fail("inverted of \(a) is not 1/\(a)") }
        } else if a.inverted != .invalid {
            fail("inverted of \(a) is \(a.inverted) where 1/\(a) has no value")
        }
        for n in counts {
            let s = checked("seconds(\(n), timeBase: \(a))") { try Rational.seconds(checked: n, timeBase: a) }
            guard Rational.seconds(n, timeBase: a) == (s ?? .invalid) else { fail("seconds(\(n), \(a)) forms disagree") }
        }
        for b in values {
            // Exactly one of <, ==, > for valid values.
            guard [a < b, a == b, b < a].filter({ $0 }).count == 1, (a <= b) == !(b < a) else { fail("\(a) and \(b) are not ordered") }
            let sum = checked("\(a) + \(b)") { try a.adding(b) }
            let difference = checked("\(a) - \(b)") { try a.subtracting(b) }
            let product = checked("\(a) × \(b)") { try a.multiplied(by: b) }
            let quotient = checked("\(a) ÷ \(b)") { try a.divided(by: b) }
            guard a + b == (sum ?? .invalid), a - b == (difference ?? .invalid), a * b == (product ?? .invalid),
                  a / b == (quotient ?? .invalid), a.multipliedExactly(by: b) == product, a.dividedExactly(by: b) == quotient else {
                fail("checked and convenience forms disagree on \(a), \(b)")
            }
            // Exactness: undoing an operation gives the operand back whenever it fits.
            if let sum, let back = try? sum.subtracting(b), back != a { fail("(\(a) + \(b)) - \(b) = \(back)") }
            if let difference, let back = try? difference.adding(b), back != a { fail("(\(a) - \(b)) + \(b) = \(back)") }
            if let product, b.num != 0, let back = try? product.divided(by: b), back != a { fail("(\(a) × \(b)) ÷ \(b) = \(back)") }
            if let quotient, let back = try? quotient.multiplied(by: b), back != a { fail("(\(a) ÷ \(b)) × \(b) = \(back)") }
            if b.num == 0, quotient != nil { fail("\(a) ÷ 0 has a value") }
            for n in counts { checkRescale(n, from: a, to: b) }
        }
    }
    return 0
}

/// `rescale(checked:)` against the Double estimate n·a/b: a value within rounding of it, an
/// overflow only where the estimate is near or beyond ±Int64.max, and the convenience form
/// giving the same value or Int64.min.
private func checkRescale(_ n: Int64, from a: Rational, to b: Rational) {
    let what = "rescale(\(n), from: \(a), to: \(b))"
    let estimate = Double(n) * a.doubleValue / b.doubleValue
    do {
        let r = try Rational.rescale(checked: n, from: a, to: b)
        guard r != Int64.min else { fail("\(what) returned Int64.min") }
        guard abs(Double(r) - estimate) <= 1 + abs(estimate) * 1e-12 else { fail("\(what) = \(r), expected about \(estimate)") }
        guard Rational.rescale(n, from: a, to: b) == r else { fail("\(what): forms disagree") }
    } catch RationalError.overflow {
        guard abs(estimate) >= 9.2e18 * (1 - 1e-12) else { fail("\(what) overflowed but is about \(estimate)") }
        guard Rational.rescale(n, from: a, to: b) == Int64.min else { fail("\(what): convenience form is not Int64.min") }
    } catch RationalError.undefined {
        guard b.num == 0 else { fail("\(what) undefined for a non-zero target time base") }
    } catch {
        fail("\(what) threw \(error)")
    }
}
