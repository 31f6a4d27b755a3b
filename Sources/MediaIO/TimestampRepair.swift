/// Places the frames of a video stream on a timeline the way FFmpeg's CLI does (see
/// `ReaderOptions.repairTimestamps`): a frame without a pts comes one period after the last;
/// a jump beyond the limits is a discontinuity (the frame continues one period after the last
/// and the frames after it shift alike); a repeated or slightly backward pts is dropped.
/// A pure value fed one frame at a time, all in ticks of the stream's time base, so every case
/// can be tested without a file.
struct VideoTimestampRepair {
    /// Whether jumps are repaired (off: pts pass through, only missing ones are filled).
    let repairs: Bool
    /// One frame period (0 when the rate is unknown).
    let frameTicks: Int64
    /// The largest step forward, and back, that is not a discontinuity.
    let forwardJumpLimit: Int64, backwardJumpLimit: Int64
    /// The last placed pts.
    private(set) var lastPTS: Int64?
    private var lastWasFilled = false
    /// Added to every raw pts since the last discontinuity.
    private var shift: Int128 = 0

    init(repairs: Bool, frameTicks: Int64, forwardJumpLimit: Int64, backwardJumpLimit: Int64) {
        self.repairs = repairs
        self.frameTicks = frameTicks
        self.forwardJumpLimit = forwardJumpLimit
        self.backwardJumpLimit = backwardJumpLimit
    }

    /// Forgets the frames placed so far (after a seek).
    mutating func reset() {
        lastPTS = nil
        lastWasFilled = false
        shift = 0
    }

    /// The pts of the next decoded frame, whose own is `raw` (nil: none), or nil when the frame
    /// is dropped (counted in `stats`). `start` is where the stream starts (ticks) and
    /// `declaredStart` the container's start when it gives one; a first frame a discontinuity
    /// away from it is moved there, unless `afterSeek`. With `countsLoss`, gaps of more than
    /// 1.5 periods count their missing frames in `stats.framesLost`.
    mutating func place(raw: Int64?, start: Int64, declaredStart: Int64?, afterSeek: Bool, countsLoss: Bool,
                        stats: inout DecodeStats) -> Int64? {
        let period = max(frameTicks, 1)
        var pts: Int64
        var filled = false
        if let raw {
            if repairs, let last = lastPTS {
                let shifted = Int128(raw) + shift
                let step = shifted - Int128(last)
                // After extrapolated pts, a step back says the extrapolation was wrong, not the frame.
                if step > Int128(forwardJumpLimit) || -step > Int128(backwardJumpLimit) || (step <= 0 && lastWasFilled) {
                    // A discontinuity: continue one period after the last frame, and shift the
                    // frames after this one alike.
                    let (next, overflow) = last.addingReportingOverflow(period)
                    if overflow { stats.framesDropped += 1; return nil }
                    pts = next
                    shift = Int128(next) - Int128(raw)
                    stats.timestampDiscontinuities += 1
                } else if step <= 0 {
                    // Repeated or a little backwards: dropped, as FFmpeg's CLI drops it.
                    stats.framesDropped += 1
                    return nil
                } else {
                    // last < shifted ≤ last + limit; beyond Int64.max nothing can follow.
                    guard shifted <= Int128(Int64.max) else { stats.framesDropped += 1; return nil }
                    pts = Int64(shifted)
                }
                if shift != 0 { stats.framesRetimed += 1 }
            } else if repairs, !afterSeek, let declared = declaredStart,
                      Int128(raw) - Int128(declared) > Int128(forwardJumpLimit) || Int128(declared) - Int128(raw) > Int128(forwardJumpLimit) {
                // The stream's first frame, a discontinuity away from where the container says the
                // stream starts (a corrupt edit list or composition offset): placed at the start,
                // and the frames after it shifted alike.
                pts = declared
                shift = Int128(declared) - Int128(raw)
                stats.timestampDiscontinuities += 1
                stats.framesRetimed += 1
            } else {
                // The first frame (after a seek too), or repair is off.
                pts = raw
            }
        } else {
            // Missing: one period after the last frame (the stream's start for the first).
            if let last = lastPTS {
                let (next, overflow) = last.addingReportingOverflow(period)
                // The timeline has reached Int64.max: nothing can follow.
                if overflow { stats.framesDropped += 1; return nil }
                pts = next
            } else {
                pts = start
            }
            stats.framesPtsFilled += 1
            filled = true
        }
        if let last = lastPTS, frameTicks > 0, countsLoss {
            // In 128 bits: without repair, corrupt pts can be anywhere in Int64, so the gap can exceed it.
            let gap = Int128(pts) - Int128(last), ticks = Int128(frameTicks)
            // More than 1.5 frame durations between neighbours: frames are missing.
            if gap * 2 > ticks * 3 {
                let lost = Int(clamping: (gap + ticks / 2) / ticks - 1)
                let (total, overflow) = stats.framesLost.addingReportingOverflow(lost)
                stats.framesLost = overflow ? Int.max : total
            }
        }
        lastPTS = repairs ? pts : max(pts, lastPTS ?? pts)
        lastWasFilled = filled
        return pts
    }
}

/// Repairs a copied audio stream's timestamps as `VideoTimestampRepair` repairs the video's
/// (FFmpeg's CLI repairs every stream of a file): shifted to continue after a discontinuity (a
/// joined transport stream restarts its audio clock too), dropped when the dts does not
/// increase, since a muxer refuses it. Ticks of the audio stream's time base.
struct AudioTimestampRepair {
    /// The largest step forward, and back, that is not a discontinuity.
    let forward: Int64, backward: Int64
    /// The last packet's dts and end.
    private var last: (dts: Int64, end: Int64)?
    private var shift: Int128 = 0

    init(forward: Int64, backward: Int64) {
        self.forward = forward
        self.backward = backward
    }

    /// The repaired (dts, pts) of a packet (`none` marks a missing timestamp, passed through),
    /// or nil when it is dropped (counted in `stats`).
    mutating func repair(dts rawDTS: Int64, pts rawPTS: Int64, duration: Int64, none: Int64,
                         stats: inout DecodeStats) -> (dts: Int64, pts: Int64)? {
        let raw = rawDTS != none ? rawDTS : rawPTS
        guard raw != none else { return (rawDTS, rawPTS) }
        var dts = Int128(raw) + shift
        if let last {
            let step = dts - Int128(last.end)
            if step > Int128(forward) || -step > Int128(backward) {
                shift = Int128(last.end) - Int128(raw)
                dts = Int128(last.end)
                stats.audioDiscontinuities += 1
            } else if dts <= Int128(last.dts) {
                stats.audioPacketsDropped += 1
                return nil
            }
        }
        // Shifted timestamps must stay 64-bit timestamps (Int64.min is "none").
        let shift = self.shift
        func shifted(_ t: Int64) -> Int64? {
            if t == none { return t }
            let v = Int128(t) + shift
            return v > Int128(Int64.min) && v <= Int128(Int64.max) ? Int64(v) : nil
        }
        guard let newDTS = shifted(rawDTS), let newPTS = shifted(rawPTS) else {
            stats.audioPacketsDropped += 1
            return nil
        }
        let start = Int64(dts)
        let (end, overflow) = start.addingReportingOverflow(max(duration, 1))
        last = (start, overflow ? .max : end)
        return (newDTS, newPTS)
    }
}
