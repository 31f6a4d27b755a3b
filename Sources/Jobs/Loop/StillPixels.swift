import Spectral
import Flow
import Raster

/// Finds the pixels of a reference frame that stay where they are over a window, so that a
/// loop can hold them exactly still: a table, a wall or the sky under sub-pixel tracking
/// jitter. Rendered with that jitter, such a region is resampled differently in every frame;
/// an encoder then codes it differently in every frame, and the loop shimmers where the clip
/// was still. Held at zero displacement it is the reference's own samples in every frame.
///
/// A pixel p is still when, over the frames t pushed (luma in [0, 1], the reference's size):
/// - its tracked motion is small: mean over t of |F_t(p)| ≤ `maximumMotion` (pixels), and
/// - staying put explains the frames at least as well as the trajectory does:
///   Σ_t |I_t(q) − I_0(q)| ≤ Σ_t |I_t(q + F_t(q)) − I_0(q)| + `tolerance` · frames, both
///   sides averaged over the 5 × 5 patch of pixels q around p.
///
/// The first condition keeps whatever moves visibly (the flat inside of a moving object
/// explains its frames either way, but moves); the second keeps small real motion (distant
/// leaves), which tracking explains better than standing still does.
///
/// A pixel is also still, however far it was tracked, when standing still explains the frames
/// clearly better than its track: still cost < `lostTrackRatio` × tracked cost (patch sums as
/// above). Its track was lost: a background pixel that something passing over it dragged
/// along, or a flat area whose flow wandered. Played back, such a track moves picture that
/// never moved.
///
/// Frames in which neither explains the pixel (both patch means above `coveredCost`: something
/// passed over it and the track went with it) are left out of every sum above: a background
/// pixel that an object crossing the frame covers at the window's end is judged by the frames
/// in which it was seen. A pixel covered in most frames (content that cannot be followed, such
/// as a texture that changes as it zooms) is judged on all of them.
///
/// A pixel in a flat region of the reference (`Raster.FlatRegions`: its 5 × 5 patch spans at
/// most `flatRange`) shows nothing of its own motion: both costs are zero whether it moves or
/// not, and a flow estimator fills it in from around it, so a flat background ahead of an
/// object moving over it is pushed along. With `flatRegions` on, a region (connected flat
/// pixels, neighbours within `flatStep`, at least 25 pixels) in which most pixels are still is
/// held still whole. The flat inside of a moving object is a region of its own, cut off by the
/// object's edges, mostly moving, and keeps its motion.
///
/// Such a pixel, that nothing follows in most frames, has no track to trust. When the camera
/// moves (`add`'s camera displacement, mean length at least `cameraMotion` pixels) and
/// following the camera explains its frames at least as well as its own track, it follows the
/// camera instead (`cameraMask()`): a zoom into a texture that aliases differently in every
/// frame keeps the zoom rather than each pixel's wandering guess. Without camera motion (a
/// still camera over water or flames) the tracks are kept, so the content still moves.
public struct StillPixelDetector: Sendable {
    /// Frame 0, luma in [0, 1].
    public let reference: Plane
    /// Largest mean trajectory length of a still pixel, pixels.
    public var maximumMotion: Float
    /// Luma difference per frame (0 … 1 of full scale) by which standing still may explain a
    /// pixel worse than its trajectory and still be chosen: coding noise.
    public var tolerance: Float
    /// A pixel whose standing-still cost is at most this fraction of its tracked cost is still
    /// whatever its tracked motion: its track was lost (a background pixel dragged along by
    /// something that passed over it, or a flat area whose flow drifted), 0 … 1.
    public var lostTrackRatio: Float
    /// Mean luma difference over the 5 × 5 patch (0 … 1 of full scale) above which, when both
    /// the still and the tracked patch differ that much in a frame, the pixel counts as covered
    /// in that frame (neither explanation holds) and the frame is left out of its judgement.
    public var coveredCost: Float
    /// Smallest mean length of the camera's displacement of a pixel (pixels) for the pixel to
    /// follow the camera (`cameraMask()`): below it the camera is taken to stand still.
    public var cameraMotion: Float
    /// Whether flat regions that are mostly still are held still whole (a negative or
    /// non-finite `flatRange` or `flatStep` turns it off too).
    public var flatRegions: Bool
    /// Largest span of a flat pixel's 5 × 5 patch, and largest difference between two
    /// neighbouring pixels of one flat region (0 … 1 of full scale).
    public var flatRange: Float, flatStep: Float
    /// Frames pushed.
    public private(set) var frames = 0
    /// Patch costs and trajectory lengths summed over every frame, and over the frames where the
    /// pixel was seen, with the count of those frames.
    private var stillCost: [Float], trackedCost: [Float], motion: [Float]
    private var seenStillCost: [Float], seenTrackedCost: [Float], seenMotion: [Float], seenFrames: [Float]
    /// The camera's patch cost and displacement length summed over every frame, and the frames
    /// that had a camera displacement.
    private var cameraCost: [Float], cameraLength: [Float], cameraFrames = 0

    /// A detector for the pixels of `reference`.
    public init(reference: Plane, maximumMotion: Float = 8, tolerance: Float = 0.5 / 255, lostTrackRatio: Float = 0.5,
                coveredCost: Float = 0.08, cameraMotion: Float = 1, flatRegions: Bool = true,
                flatRange: Float = 2 / 255, flatStep: Float = 1.5 / 255) {
        self.reference = reference
        self.lostTrackRatio = lostTrackRatio
        self.maximumMotion = maximumMotion
        self.tolerance = tolerance
        self.coveredCost = coveredCost
        self.cameraMotion = cameraMotion
        self.flatRegions = flatRegions
        self.flatRange = flatRange
        self.flatStep = flatStep
        stillCost = [Float](repeating: 0, count: reference.count)
        trackedCost = stillCost
        motion = stillCost
        seenStillCost = stillCost
        seenTrackedCost = stillCost
        seenMotion = stillCost
        seenFrames = stillCost
        cameraCost = stillCost
        cameraLength = stillCost
    }

    /// Adds frame t and its trajectory F_t (the displacement of every reference pixel at frame
    /// t), and optionally the camera's displacement of every reference pixel at frame t (give
    /// it for every frame or for none). Throws `MotionError.sizeMismatch` when any is not the
    /// reference's size.
    public mutating func add(frame: Plane, trajectory: FlowField, camera: FlowField? = nil,
                             threads: Int = Parallel.defaultThreads) throws {
        let w = reference.width, h = reference.height
        guard frame.width == w, frame.height == h else {
            throw MotionError.sizeMismatch(what: "the reference frame and a frame of the window", firstWidth: w, firstHeight: h,
                                           secondWidth: frame.width, secondHeight: frame.height)
        }
        guard trajectory.width == w, trajectory.height == h else {
            throw MotionError.sizeMismatch(what: "the reference frame and a trajectory", firstWidth: w, firstHeight: h,
                                           secondWidth: trajectory.width, secondHeight: trajectory.height)
        }
        if let camera {
            guard camera.width == w, camera.height == h else {
                throw MotionError.sizeMismatch(what: "the reference frame and a camera displacement", firstWidth: w, firstHeight: h,
                                               secondWidth: camera.width, secondHeight: camera.height)
            }
            let cost = patchCost(of: frame, along: camera, threads: threads)
            for i in 0..<reference.count {
                let u = camera.u.data[i], v = camera.v.data[i]
                cameraCost[i] += cost.data[i]
                cameraLength[i] += (u * u + v * v).squareRoot()
            }
            cameraFrames += 1
        }
        let still = patchCost(of: frame, along: nil, threads: threads)
        let tracked = patchCost(of: frame, along: trajectory, threads: threads)
        for i in 0..<reference.count {
            let s = still.data[i], c = tracked.data[i]
            let u = trajectory.u.data[i], v = trajectory.v.data[i], l = (u * u + v * v).squareRoot()
            let m = l.isFinite ? l : .greatestFiniteMagnitude
            stillCost[i] += s
            trackedCost[i] += c
            motion[i] += m
            guard min(s, c) <= coveredCost else { continue }
            seenStillCost[i] += s
            seenTrackedCost[i] += c
            seenMotion[i] += m
            seenFrames[i] += 1
        }
        frames += 1
    }

    /// Per pixel, the mean over its 5 × 5 patch of |I_t(q + F(q)) − I_0(q)|: how badly the
    /// frame pulled back along `field` (standing still when nil) explains the reference. Patch
    /// means judge a pixel on a ridge of the texture, which a small motion along the ridge
    /// leaves unchanged, with the neighbours that show it.
    private func patchCost(of frame: Plane, along field: FlowField?, threads: Int) -> Plane {
        let pulled = field.map { frame.warped(u: $0.u, v: $0.v, threads: threads) } ?? frame
        var cost = Plane(width: reference.width, height: reference.height)
        for i in 0..<reference.count { cost.data[i] = abs(pulled.data[i] - reference.data[i]) }
        return cost.boxFiltered(radius: 2)
    }

    /// 1 where the pixel is still, 0 elsewhere (the reference's size); all 0 before any frame.
    public func stillMask() -> Plane {
        var mask = Plane(width: reference.width, height: reference.height)
        guard frames > 0 else { return mask }
        for i in 0..<mask.count {
            // Judged on the frames where it was seen, or on all when it was covered in most.
            let seen = 2 * seenFrames[i] >= Float(frames)
            let n = seen ? seenFrames[i] : Float(frames)
            let still = seen ? seenStillCost[i] : stillCost[i], tracked = seen ? seenTrackedCost[i] : trackedCost[i]
            let small = (seen ? seenMotion[i] : motion[i]) <= maximumMotion * n && still <= tracked + tolerance * n
            // Strictly below: where both costs are zero (a flat area, tracked or not) nothing
            // shows the track lost, and the motion limit above decides.
            let lost = still < lostTrackRatio * tracked
            if small || lost { mask.data[i] = 1 }
        }
        if flatRegions, let regions = try? FlatRegions(of: reference, range: flatRange, step: flatStep) {
            var still = [Int](repeating: 0, count: regions.count)
            for i in 0..<mask.count where regions.labels[i] >= 0 && mask.data[i] > 0 { still[Int(regions.labels[i])] += 1 }
            for i in 0..<mask.count where regions.labels[i] >= 0 {
                let r = Int(regions.labels[i])
                if regions.sizes[r] >= 25 && 2 * still[r] >= regions.sizes[r] { mask.data[i] = 1 }
            }
        }
        return mask
    }

    /// 1 where the pixel follows the camera, 0 elsewhere: it is not still (`stillMask()`), it
    /// was covered in most frames (nothing followed it), the camera moved it `cameraMotion`
    /// pixels or more on average, and following the camera explains its frames at least as
    /// well as its own track does (patch sums, `tolerance` per frame). All 0 unless every
    /// frame came with a camera displacement. `stillMask`: this detector's `stillMask()`, when
    /// the caller has it already.
    public func cameraMask(stillMask given: Plane? = nil) -> Plane {
        let still = given ?? stillMask()
        var mask = Plane(width: reference.width, height: reference.height)
        guard frames > 0, cameraFrames == frames else { return mask }
        let n = Float(frames)
        for i in 0..<mask.count where still.data[i] == 0 && 2 * seenFrames[i] < n {
            if cameraLength[i] >= cameraMotion * n && cameraCost[i] <= trackedCost[i] + tolerance * n { mask.data[i] = 1 }
        }
        return mask
    }

    /// `fields` with every pixel set in `mask` given the camera's displacement instead
    /// (`cameras[t]` for `fields[t]`; fields without a camera, or not of the mask's size, are
    /// returned unchanged).
    public static func followingCamera(_ fields: [FlowField], cameras: [AffineMotion], mask: Plane) -> [FlowField] {
        replacing(fields, mask: mask) { t, x, y in t < cameras.count ? cameras[t].displacement(x: x, y: y) : nil }
    }

    /// The fraction of a mask's pixels that are set (0 … 1).
    public static func fraction(of mask: Plane) -> Double {
        mask.count == 0 ? 0 : Double(mask.data.reduce(0, +)) / Double(mask.count)
    }

    /// `fields` with every still pixel's displacement set to zero (`mask` from `stillMask()`,
    /// fields of the mask's size; others are returned unchanged).
    public static func holdingStill(_ fields: [FlowField], mask: Plane) -> [FlowField] {
        replacing(fields, mask: mask) { _, _, _ in (0, 0) }
    }

    /// `fields` with the displacement of every pixel (x, y) set in `mask` replaced by
    /// `displacement(t, x, y)` for `fields[t]`; a field is returned unchanged when that is nil
    /// or it is not of the mask's size.
    private static func replacing(_ fields: [FlowField], mask: Plane,
                                  by displacement: (Int, Int, Int) -> (u: Float, v: Float)?) -> [FlowField] {
        fields.enumerated().map { t, field in
            guard field.width == mask.width, field.height == mask.height else { return field }
            var out = field
            for y in 0..<mask.height {
                for x in 0..<mask.width where mask.data[y * mask.width + x] > 0 {
                    guard let d = displacement(t, x, y) else { return field }
                    (out.u.data[y * mask.width + x], out.v.data[y * mask.width + x]) = d
                }
            }
            return out
        }
    }
}
