import MediaIO
import Flow
import Spectral
import Raster

/// Why a window was not turned into a sample.
public enum WindowVerdict: String, Sendable, CaseIterable {
    case kept
    /// A scene cut falls inside the window.
    case sceneCut = "scene_cut"
    /// The mean displacement is below `minimumMotion`.
    case lowMotion = "low_motion"
    /// The camera's motion is above `maximumCameraMotion`.
    case cameraMotion = "camera_motion"
    /// The frames' timestamps are not evenly spaced, so the window has no frequency axis.
    case irregularTime = "irregular_time"
}

/// The numbers behind one window's verdict, kept in the clip report for every completed
/// window (kept or dropped), so a user can see which threshold decided it.
public struct WindowDecision: Sendable, Equatable {
    /// Index of the window's first frame in the clip, and its time (seconds, exact).
    public var startFrame: Int, start: Rational
    public var verdict: WindowVerdict
    /// Mean |F_t| over pixels and t (pixels), as `minimumMotion` compares it.
    public var meanMotion: Double
    /// Camera motion: mean over t of the mean displacement of the robust affine fit to the
    /// confident pixels (pixels), as `maximumCameraMotion` compares it.
    public var cameraMotion: Double
    /// Highest scene-cut score between consecutive frames of the window (FFmpeg scdet's 0–100).
    public var cutScore: Double
    /// Share of pixels and times whose confidence is at least 0.5.
    public var trustedShare: Double
    /// Shortest and longest interval between the window's frames (seconds).
    public var shortestInterval: Double, longestInterval: Double
}

/// One training sample: a window's first frame and the spectrum of its trajectories.
struct DatasetSample {
    var startFrame: Int
    /// Start time in seconds, exact.
    var startTime: Rational
    var rgb: [UInt8]
    var spectrum: MotionSpectrum
    /// F_1 … F_{T−1}, when stored.
    var trajectories: [FlowField]?
    var meanMotion: Double
    var globalMotion: Double
    var maxMotion: Double
    /// c(p, t) for t = 1 … T−1, round(255·c), [T−1, H, W].
    var confidence: [UInt8]
    /// The window's frame rate: the clip's nominal rate, or the one its timestamps show.
    var fps: Rational
}

/// Seconds spent per stage of a clip (wall-clock of the thread doing it).
public struct StageSeconds: Sendable, Equatable {
    public var decode = 0.0, flow = 0.0, dft = 0.0, write = 0.0
    public init() {}
    public static func + (a: StageSeconds, b: StageSeconds) -> StageSeconds {
        var s = a
        s.decode += b.decode; s.flow += b.flow; s.dft += b.dft; s.write += b.write
        return s
    }
}

/// A window being followed through the clip, frame by frame: tracker, streaming DFT and the
/// motion statistics that decide whether it is kept.
struct WindowState {
    let startFrame: Int
    let startTime: Rational
    let rgb: [UInt8]
    private var tracker: TrajectoryTracker
    private var accumulator: SpectrumAccumulator
    private var trajectories: [FlowField]?
    private var motionSum = 0.0, globalSum = 0.0, maxMotion = 0.0, trustedCount = 0
    private var confidence: [UInt8] = []
    /// Presentation time of every frame pushed (frame 0 first), seconds.
    private var times: [Rational]
    private let length: Int
    /// Set when a scene cut falls inside the window; the window then does no more work.
    var cut = false
    /// Highest scene-cut score seen inside the window.
    var cutScore = 0.0

    init(startFrame: Int, startTime: Rational, first: WorkingFrame, configuration c: DatasetConfiguration,
         estimator: FlowEstimator, threads: Int) throws {
        self.startFrame = startFrame
        self.startTime = startTime
        self.rgb = first.rgb
        self.length = c.window
        times = [startTime]
        tracker = try TrajectoryTracker(reference: first.luma, mode: c.trajectoryMode, estimator: estimator,
                                        estimatesCamera: true, regularizes: true, guide: first.colourPlanes)
        confidence.reserveCapacity((c.window - 1) * first.luma.count)
        accumulator = try SpectrumAccumulator(width: c.width, height: c.height, frequencies: c.frequencies,
                                              windowLength: c.window, threads: threads)
        if c.storeTrajectories { trajectories = [] }
    }

    /// Frames pushed so far, including frame 0.
    var framesSeen: Int { tracker.step + 1 }
    var isComplete: Bool { framesSeen == length }

    /// Follows the window's pixels into the next frame.
    mutating func push(_ frame: WorkingFrame, time: Rational, seconds: inout StageSeconds, clock: ContinuousClock) throws {
        var field = FlowField(width: 0, height: 0)
        seconds.flow += try clock.seconds { field = try tracker.push(frame.luma) }
        let t = tracker.step
        times.append(time)
        seconds.dft += try clock.seconds {
            try accumulator.add(field, at: t)
            let stats = MotionStatistics(field)
            motionSum += stats.meanMagnitude
            globalSum += tracker.camera.meanDisplacement(width: field.width, height: field.height)
            maxMotion = max(maxMotion, stats.maxMagnitude)
            tracker.confidence.data.withUnsafeBufferPointer { c in
                for value in c {
                    let q = UInt8(max(0, min(255, (value * 255).rounded())))
                    confidence.append(q)
                    if q >= 128 { trustedCount += 1 }
                }
            }
        }
        trajectories?.append(field)
    }

    /// The verdict with its numbers and, when kept, the sample. Only for a complete window
    /// (or a cut one); `nominal` is the clip's frame rate.
    func finish(configuration c: DatasetConfiguration, nominal: Rational) -> (WindowDecision, DatasetSample?) {
        let steps = Double(max(1, tracker.step))
        let mean = motionSum / steps, global = globalSum / steps
        let timing = WindowTiming(times: times, nominal: nominal)
        let pixels = tracker.reference.count * max(1, tracker.step)
        var decision = WindowDecision(startFrame: startFrame, start: startTime, verdict: .kept, meanMotion: jsonRounded(mean),
                                      cameraMotion: jsonRounded(global), cutScore: jsonRounded(cutScore),
                                      trustedShare: jsonRounded(Double(trustedCount) / Double(max(1, pixels))),
                                      shortestInterval: jsonRounded(timing.shortest), longestInterval: jsonRounded(timing.longest))
        if cut {
            decision.verdict = .sceneCut
        } else if !timing.isRegular {
            decision.verdict = .irregularTime
        } else if mean < c.minimumMotion {
            decision.verdict = .lowMotion
        } else if global > c.maximumCameraMotion {
            decision.verdict = .cameraMotion
        }
        guard decision.verdict == .kept else { return (decision, nil) }
        return (decision, DatasetSample(startFrame: startFrame, startTime: startTime, rgb: rgb, spectrum: accumulator.spectrum(),
                                        trajectories: trajectories, meanMotion: mean, globalMotion: global, maxMotion: maxMotion,
                                        confidence: confidence, fps: timing.rate))
    }
}

/// The spacing of a window's frames, from their timestamps. Regular when every interval is
/// within 10 % of the median one; the rate is then the clip's nominal rate when the mean
/// interval is within 1 % of its period, otherwise the rate the timestamps show ((T − 1) over
/// the span, exact).
struct WindowTiming {
    var shortest = 0.0, longest = 0.0
    var isRegular = true
    var rate: Rational

    init(times: [Rational], nominal: Rational) {
        rate = nominal
        guard times.count >= 2, times.allSatisfy(\.isValid) else { return }
        let intervals = zip(times.dropFirst(), times).map { ($0 - $1).doubleValue }
        guard intervals.allSatisfy(\.isFinite) else { isRegular = false; return }
        shortest = intervals.min() ?? 0
        longest = intervals.max() ?? 0
        let median = intervals.sorted()[intervals.count / 2]
        guard median > 0 else { isRegular = false; return }
        isRegular = shortest >= 0.9 * median && longest <= 1.1 * median
        let period = nominal.isPositive ? 1 / nominal.doubleValue : 0
        let span = times[times.count - 1] - times[0]
        let mean = span.doubleValue / Double(times.count - 1)
        if isRegular, !(period > 0 && abs(mean - period) <= 0.01 * period) {
            let measured = Rational(Int64(times.count - 1), 1) / span
            if measured.isValid, measured.isPositive { rate = measured }
        }
    }
}

extension ContinuousClock {
    /// Runs `body` and returns the seconds it took.
    func seconds(_ body: () throws -> Void) rethrows -> Double {
        let d = try measure(body)
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}
