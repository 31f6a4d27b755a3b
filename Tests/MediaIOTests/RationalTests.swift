import MediaIO
import Testing

/// The specific `Rational` bugs of "No input can crash warpflow", one test each.
@Suite struct RationalTests {
    @Test func rescaleRoundsHalfAwayFromZeroForOddDenominators() throws {
        let third = Rational(1, 3), one = Rational(1, 1)
        #expect(try Rational.rescale(checked: 1, from: third, to: one) == 0)     // 1/3 → 0 (was 1)
        #expect(try Rational.rescale(checked: 2, from: third, to: one) == 1)     // 2/3 → 1
        #expect(try Rational.rescale(checked: -1, from: third, to: one) == 0)    // −1/3 → 0
        #expect(try Rational.rescale(checked: -2, from: third, to: one) == -1)   // −2/3 → −1
        #expect(try Rational.rescale(checked: 4, from: third, to: one) == 1)     // 4/3 → 1
        #expect(try Rational.rescale(checked: 5, from: third, to: one) == 2)     // 5/3 → 2
        // Ties go away from zero.
        let half = Rational(1, 2)
        #expect(try Rational.rescale(checked: 1, from: half, to: one) == 1)
        #expect(try Rational.rescale(checked: -1, from: half, to: one) == -1)
        #expect(try Rational.rescale(checked: 3, from: half, to: one) == 2)
        #expect(try Rational.rescale(checked: -3, from: half, to: one) == -2)
        // Odd divisors of other sizes: 1001/60000 s in 1/90000 ticks = 1501.5 → 1502; 7/9 → 1.
        #expect(try Rational.rescale(checked: 1, from: Rational(1001, 60000), to: Rational(1, 90000)) == 1502)
        #expect(try Rational.rescale(checked: 7, from: Rational(1, 9), to: one) == 1)
        #expect(Rational.rescale(1, from: third, to: one) == 0)
        // The time base may be negative (only zero `to` is undefined); zero `from` gives 0.
        #expect(try Rational.rescale(checked: 2, from: Rational(-1, 3), to: one) == -1)
        #expect(try Rational.rescale(checked: 5, from: Rational(0, 1), to: one) == 0)
    }

    @Test func rescaleNeverTrapsAndReportsOverflow() throws {
        let max = Int64.max
        // The product value·from.num·to.den is 2¹⁸⁹ here: formerly an Int128 overflow trap.
        #expect(try Rational.rescale(checked: max, from: Rational(max, 1), to: Rational(max, 1)) == max)
        #expect(try Rational.rescale(checked: max, from: Rational(1, max), to: Rational(1, max)) == max)
        #expect(throws: RationalError.self) { try Rational.rescale(checked: max, from: Rational(max, 1), to: Rational(1, max)) }
        #expect(Rational.rescale(max, from: Rational(max, 1), to: Rational(1, max)) == Int64.min)
        // One past the range, either way (formerly clamped silently to Int64.max/min).
        #expect(throws: RationalError.self) { try Rational.rescale(checked: max, from: Rational(2, 1), to: Rational(1, 1)) }
        #expect(throws: RationalError.self) { try Rational.rescale(checked: .min, from: Rational(1, 1), to: Rational(1, 1)) }
        #expect(try Rational.rescale(checked: .min, from: Rational(1, 2), to: Rational(1, 1)) == -(1 << 62))
        // A zero or invalid target time base is undefined.
        #expect(throws: RationalError.self) { try Rational.rescale(checked: 1, from: Rational(1, 1), to: Rational(0, 1)) }
        #expect(throws: RationalError.self) { try Rational.rescale(checked: 1, from: .invalid, to: Rational(1, 1)) }
        #expect(Rational.rescale(1, from: Rational(1, 1), to: .invalid) == Int64.min)
    }

    @Test func int64MinTermsNeverTrap() throws {
        let min = Int64.min
        // Formerly `-n` trapped for a negative denominator with an Int64.min numerator.
        #expect(Rational(min, -1) == .invalid)                       // 2⁶³ does not fit
        #expect(Rational(min, 1) == .invalid)                        // −2⁶³: not representable (no Int64.min terms)
        #expect(Rational(1, min) == .invalid)
        #expect(Rational(min, min) == Rational(1, 1))
        #expect(Rational(min, 2) == Rational(-(1 << 62), 1))
        #expect(Rational(min, -2) == Rational(1 << 62, 1))
        #expect(Rational(2, min) == Rational(-1, 1 << 62))
        #expect(Rational(-2, min) == Rational(1, 1 << 62))
        #expect(Rational(min, 3) == .invalid)                        // −2⁶³/3 does not reduce
        #expect(throws: RationalError.overflow(operation: "\(min)/-1")) { try Rational(checked: min, -1) }
        #expect(throws: RationalError.undefined(operation: "5/0")) { try Rational(checked: 5, 0) }
        #expect(Rational(parsing: "-9223372036854775808/-1") == nil)
        #expect(Rational(parsing: "-9223372036854775808") == nil)
        #expect(Rational(parsing: "-9223372036854775807") == Rational(-.max, 1))
        #expect(throws: RationalError.overflow(operation: "the number \"-9223372036854775808/-1\"")) {
            try Rational.parse("-9223372036854775808/-1")
        }
    }

    @Test func sumsAndDifferencesNoLongerClamp() throws {
        let max = Rational(Int64.max, 1), one = Rational(1, 1)
        #expect(throws: RationalError.overflow(operation: "9223372036854775807 + 1")) { try max.adding(one) }
        #expect(max + one == .invalid)                               // formerly clamped to Int64.max
        #expect(throws: RationalError.self) { try Rational(-Int64.max, 1).subtracting(Rational(2, 1)) }
        #expect(Rational(-Int64.max, 1) - Rational(2, 1) == .invalid)
        #expect(try max.subtracting(one).adding(one) == max)
        // Large terms that cancel are exact.
        let a = Rational(Int64.max, Int64.max - 1), b = Rational(1, Int64.max - 1)
        #expect(try a.subtracting(b) == Rational(1, 1))
        #expect(try Rational(1, Int64.max).multiplied(by: Rational(Int64.max, 1)) == one)
        #expect(throws: RationalError.self) { try Rational(Int64.max, 2).multiplied(by: Rational(3, 1)) }
        #expect(Rational(Int64.max, 2) * Rational(3, 1) == .invalid)   // formerly clamped
        #expect(Rational(Int64.max, 2).multipliedExactly(by: Rational(3, 1)) == nil)
        #expect(throws: RationalError.undefined(operation: "1 ÷ 0")) { try one.divided(by: Rational(0, 1)) }
    }

    @Test func secondsNoLongerClamps() throws {
        #expect(try Rational.seconds(checked: 90_000, timeBase: Rational(1, 90_000)) == Rational(1, 1))
        #expect(try Rational.seconds(checked: -3, timeBase: Rational(1001, 30000)) == Rational(-1001, 10000))
        #expect(throws: RationalError.self) { try Rational.seconds(checked: .max, timeBase: Rational(1001, 30000)) }
        #expect(Rational.seconds(.max, timeBase: Rational(1001, 30000)) == .invalid)  // formerly clamped
        #expect(throws: RationalError.self) { try Rational.seconds(checked: 1, timeBase: .invalid) }
    }

    @Test func invalidBehavesLikeNaN() {
        let x = Rational(3, 4), bad = Rational(1, 0)
        #expect(bad == .invalid && !bad.isValid && !bad.isPositive && bad.doubleValue.isNaN)
        #expect(Rational(0, 1).inverted == .invalid)
        #expect(x + bad == .invalid && bad * x == .invalid && x / Rational(0, 1) == .invalid)
        #expect(!(x < bad) && !(bad < x) && !(bad <= x) && !(x >= bad))
        #expect(Rational(-3, 4).inverted == Rational(-4, 3))
        #expect(throws: RationalError.self) { try x.adding(bad) }
    }

    @Test func parsingKeepsItsFormsAndSaysWhatWasWrong() throws {
        #expect(Rational(parsing: "30000/1001") == Rational(30000, 1001))
        #expect(Rational(parsing: " 30000:1001 ") == Rational(30000, 1001))
        #expect(Rational(parsing: "29.97") == Rational(2997, 100))
        #expect(Rational(parsing: "-0.5") == Rational(-1, 2))
        #expect(Rational(parsing: ".5") == Rational(1, 2))
        #expect(Rational(parsing: "60") == Rational(60, 1))
        #expect(Rational(parsing: "1/0") == nil)
        #expect(Rational(parsing: "1.0000000001") == nil)               // 10 decimals
        #expect(throws: RationalError.notANumber(text: "abc")) { try Rational.parse("abc") }
        #expect(throws: RationalError.notANumber(text: "1.5e3")) { try Rational.parse("1.5e3") }
        #expect(throws: RationalError.undefined(operation: "the number \"1/0\"")) { try Rational.parse("1/0") }
        // 10¹⁰ + 10⁻⁹ needs a 65-bit numerator over 10⁹: overflow, not "not a number".
        #expect(throws: RationalError.overflow(operation: "the number \"10000000000.000000001\"")) {
            try Rational.parse("10000000000.000000001")
        }
        #expect(throws: RationalError.overflow(operation: "the number \"99999999999999999999\"")) {
            try Rational.parse("99999999999999999999")
        }
    }
}
