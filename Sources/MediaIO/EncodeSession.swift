import Foundation
internal import CFFmpeg

/// One encoder feeding one muxer that writes a temporary file beside `path`: the part
/// `VideoWriter` and `GIFWriter` share. It owns the FFmpeg objects (muxer, encoder, packet),
/// counts frames sent and packets muxed, drains the encoder through the writer's own packet
/// check, and finishes by putting the file in place (or leaving it staged) only when every
/// frame came back as a packet; on any failure, `abort` or deinit nothing stays under `path`.
final class EncodeSession {
    /// The final output path (errors name it).
    let path: String
    /// The temporary file the muxer writes.
    let temporary: String
    /// The muxer (open from `init` on, nil once finished or aborted).
    private(set) var output: UnsafeMutablePointer<AVFormatContext>?
    /// The encoder, set by the writer once it has opened one.
    var encoder: UnsafeMutablePointer<AVCodecContext>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    /// Frames sent to the encoder, and packets the muxer accepted.
    var framesWritten = 0
    private(set) var packetsWritten = 0
    /// True once finished or aborted.
    private(set) var done = false
    /// Set once the header is written, for muxers that hold a packet until their trailer
    /// (FFmpeg 5.1's gif): an aborted file then still gets a trailer, so the packet is freed.
    var writesTrailerOnAbort = false
    private var headerWritten = false

    /// Opens `container` (nil: guessed from `path`'s extension, else MP4) on a temporary file in
    /// `path`'s folder, which must exist and be writable.
    init(path: String, container: String?) throws {
        wf_set_log_quiet(1)
        self.path = path
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw MediaError(.cannotWrite, path: path, "the output folder \(directory) does not exist")
        }
        guard FileManager.default.isWritableFile(atPath: directory) else {
            throw MediaError(.cannotWrite, path: path, "the output folder \(directory) is not writable")
        }
        temporary = TemporaryOutput.path(for: path)
        do {
            // Guessed from the final name, so the temporary's name does not matter.
            let oformat = container == nil ? (av_guess_format(nil, path, nil) ?? av_guess_format("mp4", nil, nil)) : nil
            var oc: UnsafeMutablePointer<AVFormatContext>? = nil
            try check(avformat_alloc_output_context2(&oc, oformat, container, temporary), .cannotWrite, path: path, "cannot create the output container")
            guard let out = oc else { throw MediaError(.cannotWrite, path: path, "cannot create the output container") }
            output = out
            try check(avio_open(&out.pointee.pb, temporary, AVIO_FLAG_WRITE), .cannotWrite, path: path, "cannot create a file in \(directory)")
            packet = av_packet_alloc()
            if packet == nil { throw MediaError(.io, path: path, "out of memory allocating a packet") }
        } catch {
            cleanUp()
            throw error
        }
    }

    deinit { cleanUp() }

    /// The name of the container being written (e.g. "mp4").
    var containerName: String { output.map { cString($0.pointee.oformat.pointee.name) } ?? "" }

    /// Writes the container header with `options` (freed here).
    func writeHeader(options: inout OpaquePointer?, what: String) throws {
        guard let out = output else { throw MediaError(.invalidArgument, path: path, "header after finish or abort") }
        let status = avformat_write_header(out, &options)
        av_dict_free(&options)
        try check(status, .cannotWrite, path: path, "cannot write the \(what) header")
        headerWritten = true
    }

    /// Receives every packet the encoder has ready and gives each to `mux`, which rescales,
    /// checks and writes it into the muxer (the packet is unreferenced afterwards either way);
    /// counts the packets `mux` accepted.
    func drain(encoderName: String, _ mux: (UnsafeMutablePointer<AVPacket>, UnsafeMutablePointer<AVCodecContext>,
                                             UnsafeMutablePointer<AVFormatContext>) throws -> Void) throws {
        guard let enc = encoder, let out = output, let pkt = packet else { return }
        while true {
            let status = avcodec_receive_packet(enc, pkt)
            if status == FFStatus.again || status == FFStatus.eof { return }
            try check(status, .encodeFailed, path: path, "the \(encoderName) encoder failed")
            defer { av_packet_unref(pkt) }
            try mux(pkt, enc, out)
            packetsWritten += 1
        }
    }

    /// Flushes the encoder through `drain`, checks that every frame came back as a packet, and
    /// writes the trailer: the file is renamed to `path`, or with `stage` left under its
    /// temporary name (returned either way). Throws, leaving no file, otherwise.
    func complete(stage: Bool, drain: () throws -> Void) throws -> StagedFile {
        guard !done, let enc = encoder, let out = output else { throw MediaError(.invalidArgument, path: path, "finish after finish or abort") }
        do {
            guard framesWritten > 0 else { throw MediaError(.encodeFailed, path: path, "no frames were written") }
            _ = avcodec_send_frame(enc, nil)
            try drain()
            // Every frame sent must be in the file as a packet, or the file does not decode to
            // the count reported; checked before the file is put in place.
            guard packetsWritten == framesWritten else {
                throw MediaError(.encodeFailed, path: path, "the encoder returned \(packetsWritten) packets for \(framesWritten) frames; "
                                 + "the file would not decode to \(framesWritten) frames, so it is not written")
            }
            headerWritten = false  // the trailer is written below, once, even when it fails
            let staged = StagedFile(temporary: temporary, path: path)
            if stage {
                try TemporaryOutput.close(out, path: path)
            } else {
                try TemporaryOutput.commit(out, temporary: temporary, to: path)
            }
            done = true
            cleanUp()
            return staged
        } catch {
            cleanUp()
            throw error
        }
    }

    /// Frees everything; removes the temporary file unless it was put in place or staged.
    func cleanUp() {
        freePacket(&packet)
        avcodec_free_context(&encoder)
        if writesTrailerOnAbort && headerWritten && !done, let out = output { _ = av_write_trailer(out) }
        headerWritten = false
        TemporaryOutput.discard(&output, temporary: temporary, committed: done)
        done = true
    }
}
