import Foundation
internal import CFFmpeg

/// The file side shared by `VideoWriter` and `GIFWriter`: a muxer writes into a temporary file
/// beside the final path, which becomes the final file only when everything succeeded, so no
/// half-written file ever sits under the final name.
enum TemporaryOutput {
    /// A fresh hidden name in `path`'s directory (`.NAME.PID.RANDOM.tmp`), after removing the
    /// temporaries of `path` that killed runs left (`removeStaleTemporaries(of:)`).
    /// The name is registered with `LiveTemporaries` until it is committed or discarded.
    static func path(for path: String) -> String {
        removeStaleTemporaries(of: path)
        let url = URL(fileURLWithPath: path)
        let temporary = (url.deletingLastPathComponent().path as NSString)
            .appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp")
        LiveTemporaries.register(temporary)
        return temporary
    }

    /// Writes the trailer and closes the temporary file: a finished file, not yet in place.
    static func close(_ out: UnsafeMutablePointer<AVFormatContext>, path: String) throws {
        try check(av_write_trailer(out), .cannotWrite, path: path, "cannot finish the file")
        try check(avio_closep(&out.pointee.pb), .cannotWrite, path: path, "cannot close the file")
    }

    /// Writes the trailer, closes the temporary file and renames it to `path`. Errors name `path`.
    static func commit(_ out: UnsafeMutablePointer<AVFormatContext>, temporary: String, to path: String) throws {
        try close(out, path: path)
        try StagedFile.commit([StagedFile(temporary: temporary, path: path)])
    }

    /// Closes and frees `output` (nil afterwards) and removes the temporary file unless it was
    /// committed.
    static func discard(_ output: inout UnsafeMutablePointer<AVFormatContext>?, temporary: String, committed: Bool) {
        if let out = output {
            if out.pointee.pb != nil { avio_closep(&out.pointee.pb) }
            avformat_free_context(out)
            output = nil
        }
        if !committed {
            unlink(temporary)
            LiveTemporaries.unregister(temporary)
        }
    }
}

/// A finished file under a temporary name beside its final `path`
/// (`VideoWriter.finishStaged()`, `GIFWriter.finishStaged()`), so several outputs can be put
/// in place together: `StagedFile.commit([mp4, gif])` renames all of them or, when one rename
/// fails, removes every temporary not yet renamed. Until then the temporary is one of the
/// process's `LiveTemporaries`, which an interrupted CLI removes.
public struct StagedFile: Sendable, Equatable {
    /// The finished file's current (hidden, temporary) name.
    public let temporary: String
    /// Where it goes.
    public let path: String

    /// Renames every file into place, as one step with respect to
    /// `LiveTemporaries.removeAllAndHold()` (a signal handler cannot remove half of them). A
    /// directory at any destination is refused before anything is renamed. On failure every
    /// temporary not yet renamed is removed; errors name the path.
    public static func commit(_ files: [StagedFile]) throws {
        // A directory in the way would fail its rename after the others were made: refused first.
        for f in files {
            var info = stat()
            if lstat(f.path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
                discard(files)
                throw MediaError(.cannotWrite, path: f.path, "cannot be replaced: it is a directory")
            }
        }
        try LiveTemporaries.whileHeld {
            for (i, f) in files.enumerated() where rename(f.temporary, f.path) != 0 {
                let why = String(cString: strerror(errno))
                for rest in files[i...] { unlink(rest.temporary) }
                for rest in files { LiveTemporaries.unregisterHeld(rest.temporary) }
                throw MediaError(.cannotWrite, path: f.path, "cannot rename the finished file into place: \(why)")
            }
            for f in files { LiveTemporaries.unregisterHeld(f.temporary) }
        }
    }

    /// Removes every temporary file; nothing is put in place.
    public static func discard(_ files: [StagedFile]) {
        for f in files {
            unlink(f.temporary)
            LiveTemporaries.unregister(f.temporary)
        }
    }
}

/// The temporary files this process is writing (registered by warpflow's atomic writers), so
/// a program that catches SIGINT or SIGTERM can remove them all before it exits
/// (`removeAllAndHold()`), leaving neither a half-written file nor a temporary behind.
public enum LiveTemporaries {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var paths: Set<String> = []

    /// Adds `path` to the set.
    public static func register(_ path: String) { whileHeld { paths.insert(path) } }

    /// Removes `path` from the set (it was renamed into place or removed).
    public static func unregister(_ path: String) { whileHeld { unregisterHeld(path) } }

    /// The temporary files registered now.
    public static var current: Set<String> { whileHeld { paths } }

    /// Removes every registered file and keeps the lock, so no writer can register, rename or
    /// create another one afterwards: for a signal handler that exits next.
    public static func removeAllAndHold() {
        lock.lock()
        for p in paths { unlink(p) }
        paths = []
    }

    /// `unregister` for use inside `whileHeld` (which already holds the lock).
    public static func unregisterHeld(_ path: String) { paths.remove(path) }

    /// Runs `body` holding the set's lock: renames made there happen all or none with respect
    /// to `removeAllAndHold()`. `body` must not call `register`/`unregister` (use
    /// `unregisterHeld`).
    public static func whileHeld<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
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
