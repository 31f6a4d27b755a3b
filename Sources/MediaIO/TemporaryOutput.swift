import Foundation
internal import CFFmpeg

/// The file side shared by `VideoWriter` and `GIFWriter`: a muxer writes into a temporary file
/// beside the final path, which becomes the final file only when everything succeeded, so no
/// half-written file ever sits under the final name.
enum TemporaryOutput {
    /// A fresh hidden name in `path`'s directory (`.NAME.PID.RANDOM.tmp`), after removing the
    /// temporaries of `path` that killed runs left (`removeStaleTemporaries(of:)`).
    static func path(for path: String) -> String {
        removeStaleTemporaries(of: path)
        let url = URL(fileURLWithPath: path)
        return (url.deletingLastPathComponent().path as NSString)
            .appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp")
    }

    /// Writes the trailer, closes the temporary file and renames it to `path`. Errors name `path`.
    static func commit(_ out: UnsafeMutablePointer<AVFormatContext>, temporary: String, to path: String) throws {
        try check(av_write_trailer(out), .cannotWrite, path: path, "cannot finish the file")
        try check(avio_closep(&out.pointee.pb), .cannotWrite, path: path, "cannot close the file")
        if rename(temporary, path) != 0 {
            throw MediaError(.cannotWrite, path: path, "cannot rename the finished file into place (errno \(errno))")
        }
    }

    /// Closes and frees `output` (nil afterwards) and removes the temporary file unless it was
    /// committed.
    static func discard(_ output: inout UnsafeMutablePointer<AVFormatContext>?, temporary: String, committed: Bool) {
        if let out = output {
            if out.pointee.pb != nil { avio_closep(&out.pointee.pb) }
            avformat_free_context(out)
            output = nil
        }
        if !committed { unlink(temporary) }
    }
}

/// Removes the temporaries of `path` (hidden `.NAME.PID.….tmp` files beside it, as warpflow's
/// atomic writers name them) whose process no longer runs, i.e. what a killed run left. Those
/// of other outputs, and of runs still going, stay.
public func removeStaleTemporaries(of path: String) {
    let url = URL(fileURLWithPath: path)
    let directory = url.deletingLastPathComponent().path, prefix = "." + url.lastPathComponent + "."
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
    for name in names where name.hasPrefix(prefix) && name.hasSuffix(".tmp") {
        let middle = name.dropFirst(prefix.count).dropLast(".tmp".count)
        // A live process's temporary stays; a number that is no process id, or none, is stale.
        if let first = middle.split(separator: ".").first, let pid = Int32(first), pid > 0, kill(pid, 0) == 0 || errno == EPERM {
            continue
        }
        unlink((directory as NSString).appendingPathComponent(name))
    }
}
