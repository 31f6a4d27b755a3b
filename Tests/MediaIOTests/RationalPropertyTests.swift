@testable import MediaIO
import PropertyBased
import Testing

// Property tests of `Rational`: on random values weighted towards the 64-bit edges, every checked
// operation returns the exact value or reports overflow (never a wrong value), the convenience
// forms never trap, `rescale` rounds like an independent 128-bit reference, ordering is a strict
// total order, and text round-trips. The references below are written independently of
// Rational.swift (their own gcd, their own rounding).

/// Values that break naive 64-bit code: 0, ±1, the Int64 edges and their neighbours, powers of
/// two, and large primes (2⁶³−25, 2⁶¹−1, 2³²−5, 2³¹−1, 10⁹+7, none of which reduce).
private let edgeValues: [Int64] = [
    0, 1, -1, 2, -2, 3, -3, .max, .min, .max - 1, .min + 1, 1 << 62, -(1 << 62), 1 << 32, 1 << 31,
    9_223_372_036_854_775_783, -9_223_372_036_854_775_783, 2_305_843_009_213_693_951, 4_294_967_291,
    2_147_483_647, -2_147_483_647, 1_000_000_007, 1001, 30000, 60000, 90000, 48000, 12800,
]

/// Int64s: a quarter edge values, a quarter small, a quarter of random bit length, a quarter any.
private let int64s = zip(Gen.int(in: 0...3), Gen.int(in: 0...(edgeValues.count - 1)), Gen.int64(), Gen.int64(in: -1000...1000),
                         Gen.int(in: 0...63)).map { kind, index, any, small, bits -> Int64 in
    switch kind {
    case 0: return edgeValues[index]
    case 1: return small
    case 2: return any >> bits
    default: return any
    }
}

/// Valid rationals built from two such terms (pairs that do not reduce into 64 bits are skipped).
private let rationals = zip(int64s, int64s).compactMap { n, d in Rational(exactly: Int128(n), Int128(d)) }

/// FFmpeg-sized time bases (32-bit terms, any sign of numerator excluded: time bases are positive).
private let timeBases = zip(Gen.int64(in: 1...Int64(Int32.max)), Gen.int64(in: 1...Int64(Int32.max)), Gen.int(in: 0...2),
                            Gen.int64(in: 1...1001)).map { n, d, kind, small -> Rational in
    switch kind {
    case 0: return Rational(1, small)          // 1/25, 1/1001, …: small and odd denominators
    case 1: return Rational(small, d)          // 1001/30000-like
    default: return Rational(n, d)
    }
}

// MARK: Independent references

/// Euclid on magnitudes (not Rational's).
private func referenceGCD(_ a: UInt128, _ b: UInt128) -> UInt128 {
    var x = a, y = b
    while y != 0 { (x, y) = (y, x % y) }
    return x
}

/// What an exact operation must give for the fraction n/d (d ≠ 0): the reduced terms when both
/// fit in ±Int64.max, else nil (= it must report overflow).
private func referenceValue(_ n: Int128, _ d: Int128) -> (num: Int64, den: Int64)? {
    let g = referenceGCD(n.magnitude, d.magnitude)
    let rn = n.magnitude / g, rd = d.magnitude / g
    guard rn <= UInt128(Int64.max), rd <= UInt128(Int64.max) else { return nil }
    let negative = (n < 0) != (d < 0)
    return (negative ? -Int64(rn) : Int64(rn), Int64(rd))
}

/// Checks one checked operation against the reference for n/d.
private func expectExact(_ result: () throws -> Rational, equals n: Int128, _ d: Int128, _ what: String) {
    let expected = referenceValue(n, d)
    do {
        let r = try result()
        #expect(expected != nil, "\(what) returned \(r) although the exact value does not fit")
        if let expected { #expect(r.num == expected.num && r.den == expected.den, "\(what) = \(r), exact \(expected.num)/\(expected.den)") }
    } catch let error as RationalError {
        guard case .overflow = error else { Issue.record("\(what) threw \(error), expected overflow or a value"); return }
        #expect(expected == nil, "\(what) reported overflow although \(expected.map { "\($0.num)/\($0.den)" } ?? "") fits")
    } catch {
        Issue.record("\(what) threw an unexpected \(error)")
    }
}

/// Round-half-away-from-zero of value·from/to for 32-bit time bases, where the product fits in
/// Int128 (|value| < 2⁶³, terms < 2³¹): nil when the result is outside ±Int64.max.
private func referenceRescale(_ value: Int64, from: Rational, to: Rational) -> Int64? {
    let n = Int128(value) * Int128(from.num) * Int128(to.den)
    let d = Int128(from.den) * Int128(to.num)
    var q = n / d                      // truncates towards zero
    let r = n % d                      // same sign as n
    if 2 * r.magnitude >= d.magnitude { q += (n < 0) != (d < 0) ? -1 : 1 }
    guard q.magnitude <= UInt128(Int64.max) else { return nil }
    return Int64(q)
}

private func isReduced(_ r: Rational) -> Bool {
    r.den >= 1 && r.num != .min && referenceGCD(UInt128(r.num.magnitude), UInt128(r.den.magnitude)) == 1
}

@Suite struct RationalPropertyTests {
    @Test func initializersReduceExactlyOrReturnInvalid() async {
        await propertyCheck(count: 2000, input: int64s, int64s) { n, d in
            let r = Rational(n, d)
            if d == 0 {
                #expect(r == .invalid && !r.isValid)
                #expect(throws: RationalError.undefined(operation: "\(n)/\(d)")) { try Rational(checked: n, d) }
                return
            }
            let expected = referenceValue(Int128(n), Int128(d))
            if let expected {
                #expect(r.num == expected.num && r.den == expected.den, "\(n)/\(d) gave \(r)")
                #expect(isReduced(r))
                #expect((try? Rational(checked: n, d)) == r)
            } else {
                #expect(r == .invalid, "\(n)/\(d) does not fit but gave \(r)")
                #expect(throws: RationalError.self) { try Rational(checked: n, d) }
            }
        }
    }

    @Test func checkedArithmeticIsExactOrReportsOverflow() async {
        await propertyCheck(count: 2000, input: rationals, rationals) { a, b in
            let an = Int128(a.num), ad = Int128(a.den), bn = Int128(b.num), bd = Int128(b.den)
            // Valid terms are below 2⁶³ in magnitude, so every cross product fits in Int128.
            expectExact({ try a.adding(b) }, equals: an * bd + bn * ad, ad * bd, "\(a) + \(b)")
            expectExact({ try a.subtracting(b) }, equals: an * bd - bn * ad, ad * bd, "\(a) − \(b)")
            expectExact({ try a.multiplied(by: b) }, equals: an * bn, ad * bd, "\(a) × \(b)")
            if b.num == 0 {
                #expect((try? a.divided(by: b)) == nil)
                #expect(a.dividedExactly(by: b) == nil && (a / b) == .invalid)
            } else {
                expectExact({ try a.divided(by: b) }, equals: an * bd, ad * bn, "\(a) ÷ \(b)")
            }
            // The nil-returning and operator forms agree with the throwing ones.
            #expect(a.multipliedExactly(by: b) == (try? a.multiplied(by: b)))
            #expect((a + b) == ((try? a.adding(b)) ?? .invalid))
            #expect((a - b) == ((try? a.subtracting(b)) ?? .invalid))
            #expect((a * b) == ((try? a.multiplied(by: b)) ?? .invalid))
            if b.num != 0 {
                #expect(a.dividedExactly(by: b) == (try? a.divided(by: b)))
                #expect((a / b) == ((try? a.divided(by: b)) ?? .invalid))
            }
        }
    }

    @Test func addingThenSubtractingGivesTheValueBack() async {
        await propertyCheck(count: 2000, input: rationals, rationals) { a, b in
            guard let sum = try? a.adding(b), let back = try? sum.subtracting(b) else { return }
            #expect(back == a, "\(a) + \(b) − \(b) = \(back)")
            if let product = try? a.multiplied(by: b), b.num != 0 {
                #expect((try? product.divided(by: b)) == a, "\(a) × \(b) ÷ \(b)")
            }
        }
    }

    @Test func orderingIsAStrictTotalOrderMatchingCrossMultiplication() async {
        await propertyCheck(count: 2000, input: rationals, rationals, rationals) { a, b, c in
            #expect((a < b) == (Int128(a.num) * Int128(b.den) < Int128(b.num) * Int128(a.den)))
            // Trichotomy (values are reduced, so equal value ⇔ equal terms), irreflexivity, transitivity.
            #expect([a < b, b < a, a == b].filter { $0 }.count == 1, "\(a) vs \(b)")
            #expect(!(a < a))
            if a < b && b < c { #expect(a < c, "\(a) < \(b) < \(c)") }
            #expect((a <= b) == !(b < a) && (a >= b) == !(a < b) && (a > b) == (b < a))
            // `invalid` is unordered, like NaN.
            #expect(!(a < .invalid) && !(Rational.invalid < a) && !(a <= .invalid) && !(a >= .invalid))
        }
    }

    @Test func descriptionParsesBackToTheSameValue() async {
        await propertyCheck(count: 2000, input: rationals) { r in
            #expect(Rational(parsing: r.description) == r, "\(r.description)")
            #expect((try? Rational.parse(" \(r.description) ")) == r)
        }
    }

    @Test func rescaleMatchesAnIndependentRoundingReference() async {
        await propertyCheck(count: 3000, input: int64s, timeBases, timeBases) { value, from, to in
            let expected = referenceRescale(value, from: from, to: to)
            do {
                let got = try Rational.rescale(checked: value, from: from, to: to)
                #expect(got == expected, "rescale(\(value), \(from) → \(to)) = \(got), reference \(expected.map(String.init) ?? "overflow")")
                #expect(Rational.rescale(value, from: from, to: to) == got)
            } catch {
                #expect(expected == nil, "rescale(\(value), \(from) → \(to)) threw \(error), reference \(expected ?? 0)")
                #expect(Rational.rescale(value, from: from, to: to) == Int64.min)
            }
        }
    }

    @Test func rescaleToAFinerTimeBaseAndBackIsTheIdentity() async {
        // Any finer time base (|to| ≤ |from|): the forward error is at most ½·to, so back is exact.
        await propertyCheck(count: 3000, input: int64s, timeBases, timeBases) { value, a, b in
            let (fine, coarse) = a < b ? (a, b) : (b, a)
            guard let forward = try? Rational.rescale(checked: value, from: coarse, to: fine) else { return }
            #expect((try? Rational.rescale(checked: forward, from: fine, to: coarse)) == value,
                    "\(value) ticks of \(coarse) → \(forward) ticks of \(fine) → back")
        }
        // Full-range time bases, finer by an integer factor: the forward step is exact.
        await propertyCheck(count: 3000, input: int64s, rationals, Gen.int64(in: 1...100_000)) { value, base, k in
            let coarse = base.isPositive ? base : Rational(1, 1)
            guard let fine = try? coarse.divided(by: Rational(k, 1)) else { return }
            guard let forward = try? Rational.rescale(checked: value, from: coarse, to: fine) else {
                // Only a product beyond Int64 may fail.
                #expect(value.multipliedReportingOverflow(by: k).overflow || value.multipliedReportingOverflow(by: k).partialValue == .min)
                return
            }
            #expect(forward == value * k)
            #expect((try? Rational.rescale(checked: forward, from: fine, to: coarse)) == value)
        }
    }

    @Test func secondsIsExactOrReportsOverflow() async {
        await propertyCheck(count: 2000, input: int64s, rationals) { ticks, timeBase in
            expectExact({ try Rational.seconds(checked: ticks, timeBase: timeBase) },
                        equals: Int128(ticks) * Int128(timeBase.num), Int128(timeBase.den), "\(ticks) ticks of \(timeBase)")
        }
    }

    @Test func convenienceFormsNeverTrap() async {
        // Any bit pattern, including unreduced terms and negative or zero denominators set directly.
        await propertyCheck(count: 2000, input: int64s, int64s, int64s, int64s) { n1, d1, n2, d2 in
            var a = Rational(1, 1), b = Rational(1, 1)
            a.num = n1; a.den = d1; b.num = n2; b.den = d2
            _ = (a + b, a - b, a * b, a / b, a < b, a <= b, a.inverted, a.isPositive, a.description)
            _ = (Rational.rescale(n1, from: a, to: b), Rational.seconds(n2, timeBase: b))
            _ = (try? a.adding(b), try? a.divided(by: b), try? Rational.rescale(checked: n1, from: a, to: b))
            if a.isValid && b.isValid { #expect((a < b) == (Int128(n1) * Int128(d2) * Int128(d1.signum() * d2.signum()) < Int128(n2) * Int128(d1) * Int128(d1.signum() * d2.signum()))) }
        }
    }
}
