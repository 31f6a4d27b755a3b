import Foundation

/// What a `loop` filter run did.
public struct LoopStatistics: Sendable, Equatable {
    /// Frames of one loop, and frames read from the clip.
    public var loopFrames = 0, windowFrames = 0
    /// Frames emitted (loop × repeat).
    public var framesOut = 0
    /// Seconds spent on optical flow and on rendering the loop.
    public var flowSeconds = 0.0, renderSeconds = 0.0
    /// Mean displacement of the loop's motion, working pixels (spectral).
    public var meanMotion = 0.0
    /// Steps of the clip in one period of the loop's motion (spectral from a clip; 0
    /// otherwise): the window's W steps, or fewer when period=auto found a closer match.
    public var periodFrames = 0
    /// Standard deviation of the reference frame's luma at the working size, 0 … 0.5 of full
    /// scale (spectral, when motion is estimated; −1 otherwise).
    public var referenceContrast = -1.0
    /// Loop phase of the first frame, 0 ≤ phase < 1 (0 = the reference frame; spectral).
    public var originPhase = 0.0
    /// Fraction of the reference's pixels held exactly still (spectral with `still=1`; −1
    /// when not computed).
    public var stillFraction = -1.0
    /// Fraction of the reference's pixels that move with the camera instead of their own track
    /// (spectral with `camera=1`; −1 when not computed).
    public var cameraFraction = -1.0
    /// Mean fraction of a rendered frame's luma pixels that no pixel of the reference reached,
    /// and the fraction of those filled from the window's steady background (the rest filled
    /// from their neighbourhood); spectral renders, 0 otherwise.
    public var holeFraction = 0.0, backgroundFill = 0.0
    /// Fraction of the reference's pixels held still because their motion is one-off
    /// (`hold=`; −1 when off or not computed).
    public var heldFraction = -1.0
    /// Fraction of the pixels whose motion the tear guard reduced (`guard=`; −1 when off).
    public var guardedFraction = -1.0

    /// Warnings about the result, for the user: a reference frame so flat (a black or faded
    /// frame, contrast under 0.01) that its motion cannot be followed and the loop shows little.
    public var warnings: [String] {
        guard referenceContrast >= 0, referenceContrast < 0.01 else { return [] }
        return [String(format: "the window's first frame is nearly flat (luma contrast %.4f): no motion can be followed from it; "
                       + "start the window on a textured frame", referenceContrast)]
    }
}
