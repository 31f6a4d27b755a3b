internal import CFFmpeg

/// Every failure of `MediaIO`: what went wrong, with the file it concerns and, when FFmpeg
/// reported it, FFmpeg's own reason (`av_strerror`) and error code.
public struct MediaError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this is, for callers that branch on it.
    public enum Kind: String, Sendable {
        case fileNotFound, emptyFile, notMedia, noVideoStream, unsupportedCodec, decodeFailed
        case encodeFailed, cannotWrite, invalidArgument, unsupportedFormat, io, cancelled
    }

    public var kind: Kind
    /// The file this error concerns ("" when none).
    public var path: String
    /// A sentence saying what failed, e.g. "cannot open input".
    public var message: String
    /// FFmpeg's error code (negative AVERROR), or 0 when the error did not come from FFmpeg.
    public var code: Int32

    public init(_ kind: Kind, path: String, _ message: String, code: Int32 = 0) {
        self.kind = kind
        self.path = path
        self.message = message
        self.code = code
    }

    /// FFmpeg's text for `code` (av_strerror), or nil when `code` is 0.
    public var reason: String? { code == 0 ? nil : MediaError.ffmpegReason(code) }

    public var description: String {
        var s = path.isEmpty ? message : "\(path): \(message)"
        if let r = reason { s += " (\(r))" }
        return s
    }

    /// FFmpeg's message for an AVERROR code.
    public static func ffmpegReason(_ code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        buffer.withUnsafeMutableBufferPointer { wf_strerror(code, $0.baseAddress, $0.count) }
        let length = buffer.firstIndex(of: 0) ?? buffer.count
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// FFmpeg return-code states that are not errors.
enum FFStatus {
    static let eof = wf_averror_eof()
    static let again = wf_averror_eagain()
}

/// The one place FFmpeg return codes become errors: returns `code` when it is non-negative,
/// otherwise throws a `MediaError` of `kind` naming `path` and FFmpeg's reason.
@discardableResult
func check(_ code: Int32, _ kind: MediaError.Kind, path: String, _ what: @autoclosure () -> String) throws -> Int32 {
    if code >= 0 { return code }
    throw MediaError(kind, path: path, what(), code: code)
}
