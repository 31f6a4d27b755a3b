import MediaIO
import Motion
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
    private var motionSum = 0.0, globalSum = 0.0, maxMotion = 0.0
    private let length: Int
    /// Set when a scene cut falls inside the window; the window then does no more work.
    var cut = false

    init(startFrame: Int, startTime: Rational, first: WorkingFrame, configuration c: DatasetConfiguration,
         estimator: FlowEstimator, threads: Int) throws {
        self.startFrame = startFrame
        self.startTime = startTime
        self.rgb = first.rgb
        self.length = c.window
        tracker = try TrajectoryTracker(reference: first.luma, mode: c.trajectoryMode, estimator: estimator)
        accumulator = try SpectrumAccumulator(width: c.width, height: c.height, frequencies: c.frequencies,
                                              windowLength: c.window, threads: threads)
        if c.storeTrajectories { trajectories = [] }
    }

    /// Frames pushed so far, including frame 0.
    var framesSeen: Int { tracker.step + 1 }
    var isComplete: Bool { framesSeen == length }

    /// Follows the window's pixels into the next frame.
    mutating func push(_ frame: WorkingFrame, seconds: inout StageSeconds, clock: ContinuousClock) throws {
        var field = FlowField(width: 0, height: 0)
        seconds.flow += try clock.seconds { field = try tracker.push(frame.luma) }
        let t = tracker.step
        seconds.dft += try clock.seconds {
            try accumulator.add(field, at: t)
            let stats = MotionStatistics(field)
            motionSum += stats.meanMagnitude
            globalSum += stats.globalMagnitude
            maxMotion = max(maxMotion, stats.maxMagnitude)
        }
        trajectories?.append(field)
    }

    /// The verdict and, when kept, the sample. Only for a complete window.
    func finish(configuration c: DatasetConfiguration) -> (WindowVerdict, DatasetSample?) {
        if cut { return (.sceneCut, nil) }
        let steps = Double(max(1, length - 1))
        let mean = motionSum / steps, global = globalSum / steps
        if mean < c.minimumMotion { return (.lowMotion, nil) }
        if global > c.maximumCameraMotion { return (.cameraMotion, nil) }
        return (.kept, DatasetSample(startFrame: startFrame, startTime: startTime, rgb: rgb, spectrum: accumulator.spectrum(),
                                     trajectories: trajectories, meanMotion: mean, globalMotion: global, maxMotion: maxMotion))
    }
}

extension ContinuousClock {
    /// Runs `body` and returns the seconds it took.
    func seconds(_ body: () throws -> Void) rethrows -> Double {
        let d = try measure(body)
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}
