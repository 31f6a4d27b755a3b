import Foundation
internal import CFFmpeg

// Small internal bridges between Swift values and FFmpeg's C structs.

extension Rational {
    /// From FFmpeg's AVRational (0/1 when invalid).
    init(_ q: AVRational) {
        if q.den == 0 { self.init(0, 1) } else { self.init(Int64(q.num), Int64(q.den)) }
    }
    /// As FFmpeg's AVRational; nil when a term does not fit in Int32.
    var av: AVRational? {
        guard let n = Int32(exactly: num), let d = Int32(exactly: den) else { return nil }
        return AVRational(num: n, den: d)
    }
}

/// A Swift string from a C string (empty for NULL).
func cString(_ p: UnsafePointer<CChar>?) -> String {
    guard let p else { return "" }
    return String(cString: p)
}

/// The number of cores to use for work split by the library (at least 1).
let processorCount = max(1, ProcessInfo.processInfo.activeProcessorCount)

/// Frees an AVPacket pointer held in an optional.
func freePacket(_ p: inout UnsafeMutablePointer<AVPacket>?) { av_packet_free(&p) }
/// Frees an AVFrame pointer held in an optional.
func freeFrame(_ p: inout UnsafeMutablePointer<AVFrame>?) { av_frame_free(&p) }
