/// An exact rational number, used for frame rates (frames per second) and time bases
/// (seconds per tick). Timestamps travel as `Int64` ticks of a `Rational` time base and are
/// never converted to `Double` seconds and back.
///
/// ## Representable values
/// Every value this type makes (by an initializer or an operation) is either a *valid* value, reduced to
/// lowest terms with a denominator in 1…Int64.max and a numerator in −Int64.max…Int64.max
/// (never `Int64.min`, so negating a value never overflows), or the one *invalid* value
/// `Rational.invalid` (0/0). Arithmetic is exact: intermediate products are computed in 128
/// bits (256 for `rescale`), so an answer is never rounded or clamped into range.
///
/// ## Two forms of every operation
/// - **Checked** (throw `RationalError`, never trap, never approximate): `init(checked:_:)`,
///   `parse(_:)`, `adding(_:)`, `subtracting(_:)`, `multiplied(by:)`, `divided(by:)`,
///   `rescale(checked:from:to:)`, `seconds(checked:timeBase:)`. Use them on anything derived
///   from input (timestamps, time bases, option values). `init?(exactly:_:)`,
///   `init?(parsing:)`, `multipliedExactly(by:)` and `dividedExactly(by:)` are the same checks
///   returning nil instead of throwing.
/// - **Convenience** (never throw, never trap): `init(_:_:)`, `+ - * /`, `inverted`,
///   `rescale(_:from:to:)`, `seconds(_:timeBase:)`. For values known to be small (literals,
///   validated rates). Where the checked form would throw they return a marked non-answer
///   instead of a wrong number: `Rational.invalid` for rationals (which then propagates
///   through further arithmetic, is never `isPositive` and is unordered by `<`, like NaN), and
///   `Int64.min` for tick counts (FFmpeg's "no timestamp", `AV_NOPTS_VALUE`).
public struct Rational: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// Numerator.
    public internal(set) var num: Int64
    /// Denominator (positive for a valid value; 0 for `Rational.invalid`).
    public internal(set) var den: Int64

    /// The invalid value 0/0: the result of the convenience forms where no exact answer exists
    /// (a zero denominator, division by zero, or a result beyond 64 bits).
    public static let invalid = Rational(terms: 0, 0)

    private init(terms num: Int64, _ den: Int64) {
        self.num = num
        self.den = den
    }

    /// Makes `num/den` reduced to lowest terms with a positive denominator. Never traps: when
    /// `den` is 0, or the reduced value is not representable (only possible with an `Int64.min`
    /// term, e.g. `Int64.min/1` or `1/Int64.min`), the result is `Rational.invalid`. Meant for
    /// literal and internal values; use `init(checked:_:)` for values from input.
    public init(_ num: Int64, _ den: Int64) {
        self = Rational(exactly: Int128(num), Int128(den)) ?? .invalid
    }

    /// Makes `num/den` reduced to lowest terms with a positive denominator. Throws
    /// `RationalError.undefined` when `den` is 0 and `RationalError.overflow` when the reduced
    /// value is not representable (an `Int64.min` term that does not reduce).
    public init(checked num: Int64, _ den: Int64) throws {
        guard den != 0 else { throw RationalError.undefined(operation: "\(num)/\(den)") }
        guard let value = Rational(exactly: Int128(num), Int128(den)) else {
            throw RationalError.overflow(operation: "\(num)/\(den)")
        }
        self = value
    }

    /// Parses `"30000/1001"`, `"60"`, `"29.97"` (decimal strings become exact fractions).
    /// Returns nil for text that is not such a number, a zero denominator, or a value whose
    /// reduced numerator or denominator does not fit in 64 bits (never traps). `parse(_:)`
    /// says which of these it was.
    public init?(parsing text: String) {
        guard let value = try? Rational.parse(text) else { return nil }
        self = value
    }

    /// Parses `"30000/1001"` (also `"30000:1001"`), `"60"`, `"29.97"` (at most 9 decimals)
    /// into the exact reduced value; surrounding spaces are ignored. Throws
    /// `RationalError.notANumber` for other text, `.undefined` for a zero denominator and
    /// `.overflow` when a term or the reduced value does not fit in 64 bits.
    public static func parse(_ text: String) throws -> Rational {
        let s = text.trimmingCharacters(in: .whitespaces)
        let what = "the number \"\(s)\""
        /// A 64-bit integer term; a well-formed integer (optional sign, then digits) too large for
        /// 64 bits is an overflow rather than "not a number".
        func term(_ part: Substring) throws -> Int64 {
            if let v = Int64(part) { return v }
            let digits = part.first == "-" || part.first == "+" ? part.dropFirst() : part
            if !digits.isEmpty && digits.allSatisfy({ $0.isASCII && $0.isNumber }) { throw RationalError.overflow(operation: what) }
            throw RationalError.notANumber(text: text)
        }
        func make(_ n: Int128, _ d: Int128) throws -> Rational {
            guard d != 0 else { throw RationalError.undefined(operation: what) }
            guard let value = Rational(exactly: n, d) else { throw RationalError.overflow(operation: what) }
            return value
        }
        if let slash = s.firstIndex(where: { $0 == "/" || $0 == ":" }) {
            let n = try term(s[..<slash]), d = try term(s[s.index(after: slash)...])
            return try make(Int128(n), Int128(d))
        }
        guard let dot = s.firstIndex(of: ".") else { return try make(Int128(term(s[...])), 1) }
        let wholeText = s[..<dot], fracText = s[s.index(after: dot)...]
        guard !fracText.isEmpty, fracText.count <= 9, fracText.allSatisfy(\.isASCII), fracText.allSatisfy(\.isNumber),
              let frac = Int64(fracText) else { throw RationalError.notANumber(text: text) }
        let whole = wholeText.isEmpty ? 0 : try term(wholeText)
        var scale: Int128 = 1
        for _ in 0..<fracText.count { scale *= 10 }
        let negative = whole < 0 || s.hasPrefix("-")
        return try make(Int128(whole) * scale + (negative ? -Int128(frac) : Int128(frac)), scale)
    }

    /// `n/d` reduced, or nil when `d` is 0 or the reduced value does not fit (a numerator or
    /// denominator beyond Int64.max in magnitude).
    public init?(exactly n: Int128, _ d: Int128) {
        guard d != 0 else { return nil }
        let g = Rational.gcd(n.magnitude, d.magnitude)
        let rn = n.magnitude / g, rd = d.magnitude / g
        guard rd <= UInt128(Int64.max), rn <= UInt128(Int64.max) else { return nil }
        let negative = (n < 0) != (d < 0) && rn != 0
        self.num = negative ? -Int64(rn) : Int64(rn)
        self.den = Int64(rd)
    }

    // MARK: Properties

    /// True for every value except `Rational.invalid` (any value with a zero denominator).
    public var isValid: Bool { den != 0 }
    /// True when the value is valid and strictly positive.
    public var isPositive: Bool { wide.map { $0.n > 0 } ?? false }
    /// The value as a `Double` (for display and for maths that is allowed to be inexact);
    /// NaN for `Rational.invalid`.
    public var doubleValue: Double { Double(num) / Double(den) }
    /// The reciprocal (`den/num`); `Rational.invalid` for 0 and for `Rational.invalid`.
    /// (Always exact otherwise: valid terms never include `Int64.min`.)
    public var inverted: Rational { wide.flatMap { Rational(exactly: $0.d, $0.n) } ?? .invalid }
    /// `"30000/1001"`, or `"60"` for a whole number (what `parse(_:)` reads back); `"0/0"` for
    /// `Rational.invalid`.
    public var description: String { den == 1 ? "\(num)" : "\(num)/\(den)" }

    /// The terms in 128 bits with a positive denominator; nil for an invalid value. Handles any
    /// bit pattern of the public `num`/`den`, not only reduced ones.
    private var wide: (n: Int128, d: Int128)? {
        if den == 0 { return nil }
        return den < 0 ? (-Int128(num), -Int128(den)) : (Int128(num), Int128(den))
    }

    // MARK: Checked arithmetic

    /// The exact sum. Throws `RationalError.undefined` for an invalid operand and `.overflow`
    /// when the reduced result does not fit in 64 bits.
    public func adding(_ other: Rational) throws -> Rational {
        try Rational.checked(Rational.sum(self, other, negatingSecond: false), self, "+", other)
    }

    /// The exact difference; throws like `adding(_:)`.
    public func subtracting(_ other: Rational) throws -> Rational {
        try Rational.checked(Rational.sum(self, other, negatingSecond: true), self, "−", other)
    }

    /// The exact product; throws like `adding(_:)`.
    public func multiplied(by other: Rational) throws -> Rational {
        try Rational.checked(Rational.product(self, other), self, "×", other)
    }

    /// The exact quotient; throws `RationalError.undefined` for division by zero or an invalid
    /// operand and `.overflow` when the reduced result does not fit in 64 bits.
    public func divided(by other: Rational) throws -> Rational {
        try Rational.checked(Rational.quotient(self, other), self, "÷", other, divisor: true)
    }

    /// The exact product, or nil when an operand is invalid or it does not fit in 64 bits
    /// (`try? multiplied(by:)`).
    public func multipliedExactly(by b: Rational) -> Rational? { Rational.product(self, b) }

    /// The exact quotient, or nil when `b` is zero, an operand is invalid or the result does not
    /// fit in 64 bits (`try? divided(by:)`).
    public func dividedExactly(by b: Rational) -> Rational? { Rational.quotient(self, b) }

    // MARK: Convenience operators (never trap; `Rational.invalid` where no exact answer exists)

    /// Exact sum, reduced; `Rational.invalid` when `a.adding(b)` would throw.
    public static func + (a: Rational, b: Rational) -> Rational { sum(a, b, negatingSecond: false) ?? .invalid }
    /// Exact difference, reduced; `Rational.invalid` when `a.subtracting(b)` would throw.
    public static func - (a: Rational, b: Rational) -> Rational { sum(a, b, negatingSecond: true) ?? .invalid }
    /// Exact product, reduced; `Rational.invalid` when `a.multiplied(by: b)` would throw.
    public static func * (a: Rational, b: Rational) -> Rational { product(a, b) ?? .invalid }
    /// Exact quotient, reduced; `Rational.invalid` when `a.divided(by: b)` would throw.
    public static func / (a: Rational, b: Rational) -> Rational { quotient(a, b) ?? .invalid }

    // MARK: Ordering

    /// Exact comparison by cross-multiplication in 128 bits: a strict total order on valid
    /// values. False whenever either side is `Rational.invalid` (unordered, like NaN).
    public static func < (a: Rational, b: Rational) -> Bool {
        guard let x = a.wide, let y = b.wide else { return false }
        return x.n * y.d < y.n * x.d
    }
    /// `a < b` or equal in value; false when either side is invalid.
    public static func <= (a: Rational, b: Rational) -> Bool { a.isValid && b.isValid && !(b < a) }
    /// `b < a`; false when either side is invalid.
    public static func > (a: Rational, b: Rational) -> Bool { b < a }
    /// `b <= a`; false when either side is invalid.
    public static func >= (a: Rational, b: Rational) -> Bool { b <= a }

    // MARK: Timestamps

    /// Rescales `value` ticks of time base `from` into ticks of `to` (`value · from / to`),
    /// rounding to nearest with ties away from zero (like `av_rescale_q`), exactly: the product
    /// is formed in 256 bits, so no intermediate overflows. Throws `RationalError.undefined`
    /// when `to` is zero or either time base is invalid, and `.overflow` when the rounded result
    /// is outside ±Int64.max (`Int64.min` is FFmpeg's "no timestamp" and is never returned as a
    /// value). `rescale(checked: 1, from: seconds, to: timeBase)` converts exact seconds to ticks.
    public static func rescale(checked value: Int64, from: Rational, to: Rational) throws -> Int64 {
        let what = "rescaling \(value) ticks of \(from) s to ticks of \(to) s"
        guard let f = from.wide, let t = to.wide, t.n != 0 else { throw RationalError.undefined(operation: what) }
        // |value · f.n · t.d| / |f.d · t.n|: both factors of the numerator, and the divisor, fit
        // in 127 bits; the numerator is a 256-bit product.
        let left = UInt128(value.magnitude) * f.n.magnitude
        let product = left.multipliedFullWidth(by: t.d.magnitude)
        let divisor = f.d.magnitude * t.n.magnitude
        // A quotient of 2¹²⁸ or more does not fit anything (and would trap dividingFullWidth).
        guard product.high < divisor else { throw RationalError.overflow(operation: what) }
        let (quotient, remainder) = divisor.dividingFullWidth(product)
        let limit = UInt128(Int64.max)
        guard quotient <= limit else { throw RationalError.overflow(operation: what) }
        // Ties away from zero on the magnitude: round up when 2·remainder ≥ divisor
        // (remainder < divisor < 2¹²⁷, so 2·remainder cannot overflow).
        let rounded = remainder * 2 >= divisor ? quotient + 1 : quotient
        guard rounded <= limit else { throw RationalError.overflow(operation: what) }
        let negative = ((value < 0) != (f.n < 0)) != (t.n < 0)
        return negative ? -Int64(rounded) : Int64(rounded)
    }

    /// `rescale(checked:from:to:)`, or `Int64.min` (FFmpeg's "no timestamp", `AV_NOPTS_VALUE`)
    /// where that would throw. For values known to fit; use the checked form on input.
    public static func rescale(_ value: Int64, from: Rational, to: Rational) -> Int64 {
        (try? rescale(checked: value, from: from, to: to)) ?? Int64.min
    }

    /// `ticks` of time base `timeBase`, as exact seconds. Throws `RationalError.undefined` for
    /// an invalid time base and `.overflow` when the reduced value does not fit in 64 bits.
    public static func seconds(checked ticks: Int64, timeBase: Rational) throws -> Rational {
        let what = "\(ticks) ticks of \(timeBase) s in seconds"
        guard let tb = timeBase.wide else { throw RationalError.undefined(operation: what) }
        guard let value = Rational(exactly: Int128(ticks) * tb.n, tb.d) else { throw RationalError.overflow(operation: what) }
        return value
    }

    /// `seconds(checked:timeBase:)`, or `Rational.invalid` where that would throw.
    public static func seconds(_ ticks: Int64, timeBase: Rational) -> Rational {
        (try? seconds(checked: ticks, timeBase: timeBase)) ?? .invalid
    }

    // MARK: Exact kernels (nil: invalid operand, division by zero or overflow)

    /// a ± b. With g = gcd(a.d, b.d) the cross terms are at most 2¹²⁶ and never both equal to
    /// it, so their sum fits in Int128 for every bit pattern of the operands.
    private static func sum(_ a: Rational, _ b: Rational, negatingSecond: Bool) -> Rational? {
        guard let x = a.wide, let y = b.wide else { return nil }
        let g = Int128(gcd(x.d.magnitude, y.d.magnitude))
        let yn = negatingSecond ? -y.n : y.n
        return Rational(exactly: x.n * (y.d / g) + yn * (x.d / g), (x.d / g) * y.d)
    }

    private static func product(_ a: Rational, _ b: Rational) -> Rational? {
        guard let x = a.wide, let y = b.wide else { return nil }
        return Rational(exactly: x.n * y.n, x.d * y.d)
    }

    private static func quotient(_ a: Rational, _ b: Rational) -> Rational? {
        guard let x = a.wide, let y = b.wide, y.n != 0 else { return nil }
        return Rational(exactly: x.n * y.d, x.d * y.n)
    }

    /// Turns a kernel's nil into the right `RationalError`.
    private static func checked(_ result: Rational?, _ a: Rational, _ op: String, _ b: Rational, divisor: Bool = false) throws -> Rational {
        if let result { return result }
        let what = "\(a) \(op) \(b)"
        if !a.isValid || !b.isValid || (divisor && b.num == 0) { throw RationalError.undefined(operation: what) }
        throw RationalError.overflow(operation: what)
    }

    /// Greatest common divisor (1 when both are 0), on 64 bits when the operands allow.
    static func gcd(_ a: UInt128, _ b: UInt128) -> UInt128 {
        if a <= UInt128(UInt64.max) && b <= UInt128(UInt64.max) {
            var x = UInt64(a), y = UInt64(b)
            while y != 0 { (x, y) = (y, x % y) }
            return x == 0 ? 1 : UInt128(x)
        }
        var x = a, y = b
        while y != 0 { (x, y) = (y, x % y) }
        return x == 0 ? 1 : x
    }
}

/// Why an exact `Rational` operation has no answer. `description` is a complete sentence
/// naming the operation and its operands.
public enum RationalError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The exact result of `operation` does not fit: a reduced numerator or denominator, or a
    /// tick count, beyond ±Int64.max.
    case overflow(operation: String)
    /// `operation` has no value: a zero denominator, division by zero, or an invalid operand or
    /// time base.
    case undefined(operation: String)
    /// `text` is not a number `Rational.parse(_:)` accepts.
    case notANumber(text: String)

    public var description: String {
        switch self {
        case .overflow(let operation):
            return "\(operation): the exact result does not fit in 64 bits"
        case .undefined(let operation):
            return "\(operation) is undefined (zero denominator, division by zero or an invalid value)"
        case .notANumber(let text):
            return "\"\(text)\" is not a rational number such as 30000/1001, 60 or 29.97 (at most 9 decimals)"
        }
    }
}

import Foundation
