/// An exact rational number, used for frame rates (frames per second) and time bases
/// (seconds per tick). Timestamps travel as `Int64` ticks of a `Rational` time base and are
/// never converted to `Double` seconds and back.
public struct Rational: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// Numerator.
    public var num: Int64
    /// Denominator (positive for a valid value).
    public var den: Int64

    /// Makes `num/den` reduced to lowest terms with a positive denominator.
    public init(_ num: Int64, _ den: Int64) {
        var n = num, d = den
        if d < 0 { n = -n; d = -d }
        let g = Rational.gcd(n.magnitude, d.magnitude)
        if g > 1 { n /= Int64(g); d /= Int64(g) }
        self.num = n
        self.den = d
    }

    /// Parses `"30000/1001"`, `"60"`, `"29.97"` (decimal strings become exact fractions).
    /// Returns nil for text that is not such a number, a zero denominator, or a value whose
    /// reduced numerator or denominator does not fit in 64 bits (never traps).
    public init?(parsing text: String) {
        let s = text.trimmingCharacters(in: .whitespaces)
        if let slash = s.firstIndex(where: { $0 == "/" || $0 == ":" }) {
            guard let n = Int64(s[..<slash]), let d = Int64(s[s.index(after: slash)...]), d != 0 else { return nil }
            self.init(exactly: Int128(n), Int128(d))
        } else if let n = Int64(s) {
            self.init(n, 1)
        } else if let dot = s.firstIndex(of: "."), let whole = Int64(s[..<dot].isEmpty ? "0" : s[..<dot]) {
            let fracText = s[s.index(after: dot)...]
            guard !fracText.isEmpty, fracText.count <= 9, fracText.allSatisfy(\.isASCII), fracText.allSatisfy(\.isNumber),
                  let frac = Int64(fracText) else { return nil }
            var scale: Int128 = 1
            for _ in 0..<fracText.count { scale *= 10 }
            let negative = whole < 0 || s.hasPrefix("-")
            self.init(exactly: Int128(whole) * scale + (negative ? -Int128(frac) : Int128(frac)), scale)
        } else {
            return nil
        }
    }

    /// `n/d` reduced, or nil when `d` is 0 or the reduced value does not fit in 64 bits.
    public init?(exactly n: Int128, _ d: Int128) {
        guard d != 0 else { return nil }
        var a = n.magnitude, b = d.magnitude
        while b != 0 { (a, b) = (b, a % b) }
        let g = a == 0 ? 1 : a
        let rn = n.magnitude / g, rd = d.magnitude / g
        let negative = (n < 0) != (d < 0) && rn != 0
        guard rd <= UInt128(Int64.max), rn <= UInt128(Int64.max) else { return nil }
        self.num = negative ? -Int64(rn) : Int64(rn)
        self.den = Int64(rd)
    }

    /// The exact product, or nil when it does not fit in 64 bits.
    public func multipliedExactly(by b: Rational) -> Rational? {
        Rational(exactly: Int128(num) * Int128(b.num), Int128(den) * Int128(b.den))
    }

    /// The exact quotient, or nil when `b` is zero or the result does not fit in 64 bits.
    public func dividedExactly(by b: Rational) -> Rational? {
        Rational(exactly: Int128(num) * Int128(b.den), Int128(den) * Int128(b.num))
    }

    /// True when the value is finite and strictly positive.
    public var isPositive: Bool { num > 0 && den > 0 }
    /// The value as a `Double` (for display and for maths that is allowed to be inexact).
    public var doubleValue: Double { Double(num) / Double(den) }
    /// The reciprocal (`den/num`).
    public var inverted: Rational { Rational(den, num) }
    public var description: String { den == 1 ? "\(num)" : "\(num)/\(den)" }

    /// Exact product, reduced.
    /// Computed in 128 bits; a result that does not fit in 64 bits is clamped (use
    /// `multipliedExactly(by:)` where that can happen).
    public static func * (a: Rational, b: Rational) -> Rational {
        Rational(wide: Int128(a.num) * Int128(b.num), Int128(a.den) * Int128(b.den))
    }

    /// Exact sum, reduced.
    public static func + (a: Rational, b: Rational) -> Rational {
        Rational(wide: Int128(a.num) * Int128(b.den) + Int128(b.num) * Int128(a.den), Int128(a.den) * Int128(b.den))
    }
    /// Exact difference, reduced.
    public static func - (a: Rational, b: Rational) -> Rational { a + Rational(-b.num, b.den) }

    /// Exact quotient, reduced.
    public static func / (a: Rational, b: Rational) -> Rational { a * b.inverted }

    /// Rescales `value` ticks of time base `from` into ticks of `to`, rounding to nearest
    /// (ties away from zero), exactly in 128-bit arithmetic like `av_rescale_q`.
    public static func rescale(_ value: Int64, from: Rational, to: Rational) -> Int64 {
        // value * from.num * to.den / (from.den * to.num)
        let n = Int128(value) * Int128(from.num) * Int128(to.den)
        let d = Int128(from.den) * Int128(to.num)
        guard d != 0 else { return 0 }
        let half = d.magnitude / 2
        let q = n.magnitude / d.magnitude, r = n.magnitude % d.magnitude
        let rounded = r >= half && !(r == 0) ? q + 1 : q
        let negative = (n < 0) != (d < 0)
        let result = negative ? -Int128(rounded) : Int128(rounded)
        return Int64(clamping: result)
    }

    /// Reduces a 128-bit fraction, then clamps into 64 bits.
    init(wide n: Int128, _ d: Int128) {
        var a = n.magnitude, b = d.magnitude
        while b != 0 { (a, b) = (b, a % b) }
        let g = a == 0 ? 1 : Int128(a)
        self.init(Int64(clamping: n / g), Int64(clamping: d / g))
    }

    /// Exact comparison (denominators positive).
    public static func < (a: Rational, b: Rational) -> Bool {
        Int128(a.num) * Int128(b.den) < Int128(b.num) * Int128(a.den)
    }

    /// `ticks` of time base `timeBase`, as exact seconds.
    public static func seconds(_ ticks: Int64, timeBase: Rational) -> Rational {
        Rational(Int64(clamping: Int128(ticks) * Int128(timeBase.num)), timeBase.den)
    }

    static func gcd(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var a = a, b = b
        while b != 0 { (a, b) = (b, a % b) }
        return a == 0 ? 1 : a
    }
}

import Foundation
