import Raster
import Flow
import Foundation

/// Advice for a build that kept few of its windows: which filter dropped the most, with the
/// numbers, and the threshold that would have kept half of the windows it dropped.
public enum DatasetAdvice {
    /// One line when fewer than `share` of the completed windows were kept (always when none
    /// were), nil otherwise or when no window completed. `configuration` gives the thresholds
    /// in force.
    public static func hint(decisions: [WindowDecision], configuration c: DatasetConfiguration, share: Double = 0.1) -> String? {
        let total = decisions.count
        let kept = decisions.filter { $0.verdict == .kept }.count
        guard total > 0, kept == 0 || Double(kept) < share * Double(total) else { return nil }
        var dropped: [WindowVerdict: [WindowDecision]] = [:]
        for d in decisions where d.verdict != .kept { dropped[d.verdict, default: []].append(d) }
        guard let (verdict, windows) = dropped.max(by: { ($0.value.count, $1.key.rawValue) < ($1.value.count, $0.key.rawValue) }) else {
            return nil
        }
        let lead = "\(kept) of \(total) windows kept; \(windows.count) dropped as \(verdict.rawValue)"
        func range(_ values: [Double], _ unit: String) -> String {
            let lo = values.min() ?? 0, hi = values.max() ?? 0
            return lo == hi ? "\(short(lo))\(unit)" : "\(short(lo))–\(short(hi))\(unit)"
        }
        func median(_ values: [Double]) -> Double { values.sorted()[(values.count - 1) / 2] }
        switch verdict {
        case .lowMotion:
            let values = windows.map(\.meanMotion)
            // The lower median, rounded down: at least half of these windows reach it.
            let keep = roundedDown(median(values))
            return "\(lead) (mean motion \(range(values, " px")), limit \(short(c.minimumMotion)) px); "
                + "--min-motion \(short(keep)) would keep half of those"
        case .cameraMotion:
            let values = windows.map(\.cameraMotion)
            let keep = roundedUp(values.sorted()[values.count / 2])
            return "\(lead) (camera motion \(range(values, " px")), limit \(short(c.maximumCameraMotion)) px); "
                + "--max-camera-motion \(short(keep)) would keep half of those"
        case .sceneCut:
            let values = windows.map(\.cutScore)
            let keep = roundedUp(values.sorted()[values.count / 2])
            return "\(lead) (cut score \(range(values, "")), threshold \(short(c.sceneThreshold))); "
                + "--scene-threshold \(short(keep)) would keep half of those, if they hold no real cut"
        case .irregularTime:
            return "\(lead) (frame intervals \(range(windows.map(\.shortestInterval) + windows.map(\.longestInterval), " s"))); "
                + "re-time the clips to a constant rate first, e.g. ffmpeg -i IN -vf fps=RATE OUT"
        case .kept:
            return nil
        }
    }

    /// Two significant digits, no exponent.
    static func short(_ x: Double) -> String {
        guard x.isFinite else { return "\(x)" }
        if x == x.rounded(), abs(x) < 1e6 { return String(Int(x)) }
        return String(format: "%.2g", x).contains("e") ? String(format: "%.3f", x) : String(format: "%.2g", x)
    }

    /// `x` rounded up (down) to two significant digits, so the suggested limit includes it.
    static func roundedUp(_ x: Double) -> Double { rounded(x, .up) }
    static func roundedDown(_ x: Double) -> Double { rounded(x, .down) }
    private static func rounded(_ x: Double, _ rule: FloatingPointRoundingRule) -> Double {
        guard x.isFinite, x > 0 else { return max(0, x.isFinite ? x : 0) }
        let unit = pow(10, floor(log10(x)) - 1)
        return (x / unit).rounded(rule) * unit
    }
}
