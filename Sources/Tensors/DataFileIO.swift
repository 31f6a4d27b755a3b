import MediaIO
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

private func systemOpen(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 { open(path, flags, mode) }
private func systemWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int { write(fd, bytes, count) }
private func systemFsync(_ fd: Int32) -> Int32 { fsync(fd) }
private func systemRename(_ from: String, _ to: String) -> Int32 { rename(from, to) }

/// File access for the dataset's files (safetensors shards, clip reports, manifest, stats):
/// whole-file reads and atomic writes (temporary file in the same
/// directory, flushed, then renamed), with errors that name the path and the system's reason.
package enum DataFileIO {
    /// The system calls an atomic write makes; tests replace some to inject failures.
    package struct Calls: Sendable {
        /// open(path, flags, mode) → descriptor or −1 with errno set.
        package var open: @Sendable (String, Int32, mode_t) -> Int32
        /// write(fd, bytes, count) → bytes written or −1 with errno set.
        package var write: @Sendable (Int32, UnsafeRawPointer, Int) -> Int
        /// fsync(fd) → 0 or −1.
        package var fsync: @Sendable (Int32) -> Int32
        /// rename(from, to) → 0 or −1.
        package var rename: @Sendable (String, String) -> Int32

        /// The real system calls.
        package static let system = Calls(open: systemOpen, write: systemWrite, fsync: systemFsync, rename: systemRename)
    }

    /// The text of the current `errno`.
    package static func reason(_ code: Int32 = errno) -> String {
        String(cString: strerror(code))
    }

    /// The bytes of the file at `path`. Errors name `path`. Only a regular file is read: the
    /// type is checked before the open, and the open itself never blocks (O_NONBLOCK), so a
    /// FIFO, device or directory in its place is an error, not a hang.
    package static func readFile(_ path: String) throws -> [UInt8] {
        var before = stat()
        guard stat(path, &before) == 0 else { throw DatasetError(path, "cannot open the file: \(reason())") }
        guard before.st_mode & S_IFMT == S_IFREG else { throw DatasetError(path, "is not a regular file (\(fileType(before.st_mode)))") }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw DatasetError(path, "cannot open the file: \(reason())") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw DatasetError(path, "cannot read the file: \(reason())") }
        // Checked again on the open file: the name may have been swapped in between.
        guard info.st_mode & S_IFMT == S_IFREG else { throw DatasetError(path, "is not a regular file (\(fileType(info.st_mode)))") }
        var bytes = [UInt8]()
        bytes.reserveCapacity(min(max(0, Int(info.st_size)), 1 << 30))  // a sparse or lying size must not trap
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw DatasetError(path, "cannot read the file: \(reason())")
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return bytes
    }

    /// A file type in words, for messages.
    package static func fileType(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        case S_IFLNK: return "a symbolic link"
        default: return "not a regular file"
        }
    }

    /// Writes `chunks`, concatenated, to `path` atomically. On any failure the temporary file is
    /// removed and the error names `path`; a file already at `path` is then left as it was.
    package static func writeAtomically(_ path: String, chunks: [[UInt8]], io: Calls = .system) throws {
        try writeAtomically([(path, chunks)], io: io)
    }

    /// Writes several files as one commit: every destination is checked (a directory or other
    /// non-regular file in the way is an error before anything is written), every file is written
    /// to a flushed temporary beside it, and only then are they renamed into place. On any
    /// failure before the renames every temporary is removed and no destination changes.
    package static func writeAtomically(_ files: [(path: String, chunks: [[UInt8]])], io: Calls = .system) throws {
        for (path, _) in files {
            var info = stat()
            if lstat(path, &info) == 0, info.st_mode & S_IFMT != S_IFREG {
                throw DatasetError(path, "cannot be replaced: it is \(fileType(info.st_mode)), not a regular file")
            }
        }
        for (path, _) in files { removeStaleTemporaries(of: path) }
        var temporaries: [String] = []
        do {
            for (path, chunks) in files { temporaries.append(try writeTemporary(for: path, chunks: chunks, io: io)) }
        } catch {
            for temp in temporaries {
                unlink(temp)
                LiveTemporaries.unregister(temp)
            }
            throw error
        }
        // All renames under the lock an interrupted CLI takes to remove temporaries: a signal
        // sees all the files in place or none.
        try LiveTemporaries.whileHeld {
            defer { for temp in temporaries { LiveTemporaries.unregisterHeld(temp) } }
            for (i, (path, _)) in files.enumerated() {
                guard io.rename(temporaries[i], path) == 0 else {
                    let why = reason()
                    for temp in temporaries[i...] { unlink(temp) }
                    throw DatasetError(path, "cannot rename the temporary file to this name: \(why)")
                }
            }
        }
    }

    /// Writes `chunks` to a new, flushed temporary file beside `path` and returns its name; on
    /// failure nothing is left behind and the error names `path`.
    private static func writeTemporary(for path: String, chunks: [[UInt8]], io: Calls) throws -> String {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        guard !base.isEmpty, base != ".", base != ".." else {
            throw DatasetError(path, "not a file name")
        }
        var fd: Int32 = -1
        var temp = ""
        for _ in 0..<8 {
            // A short prefix of the name keeps the temporary name within NAME_MAX.
            temp = "\(directory).\(base.prefix(64)).\(getpid()).\(String(UInt32.random(in: .min ... .max), radix: 16)).tmp"
            // Registered before it exists, so an interrupted CLI removes it whenever it is created.
            LiveTemporaries.register(temp)
            fd = io.open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd >= 0 { break }
            let code = errno
            LiveTemporaries.unregister(temp)
            errno = code
            if code != EEXIST { break }
        }
        guard fd >= 0 else {
            throw DatasetError(path, "cannot create a temporary file in its directory: \(reason())")
        }
        var closed = false
        do {
            for chunk in chunks {
                try chunk.withUnsafeBytes { buffer in
                    var done = 0
                    while done < buffer.count {
                        let n = io.write(fd, buffer.baseAddress! + done, buffer.count - done)
                        if n < 0 && errno == EINTR { continue }
                        guard n > 0 else { throw DatasetError(path, "cannot write the file: \(n < 0 ? reason() : "no progress")") }
                        done += n
                    }
                }
            }
            guard io.fsync(fd) == 0 else { throw DatasetError(path, "cannot flush the file to disk: \(reason())") }
            closed = true
            guard close(fd) == 0 else { throw DatasetError(path, "cannot close the file: \(reason())") }
            return temp
        } catch {
            if !closed { close(fd) }
            unlink(temp)
            LiveTemporaries.unregister(temp)
            throw error
        }
    }
}
