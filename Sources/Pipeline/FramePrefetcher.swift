import Foundation
import MediaIO

/// Decodes ahead on its own thread into a small bounded queue, so decoding overlaps with the
/// filters and the encoder. Memory stays bounded by `capacity` frames. The reader is used
/// only from the prefetch thread once started; audio packets are taken there and travel with
/// the frame they were demuxed beside.
final class FramePrefetcher: @unchecked Sendable {
    /// One decoded frame (nil at the end) with the audio packets demuxed before it.
    struct Item {
        var frame: Frame?
        var audio: [MediaPacket]
    }

    private let reader: VideoReader
    private let capacity: Int
    private let keepAudio: Bool
    private let condition = NSCondition()
    private var queue: [Item] = []
    private var failure: Error?
    private var finished = false
    private var stopped = false
    private var thread: Thread?

    init(reader: VideoReader, capacity: Int = 4, keepAudio: Bool) {
        self.reader = reader
        self.capacity = max(1, capacity)
        self.keepAudio = keepAudio
    }

    /// Starts the decoding thread.
    func start() {
        let t = Thread { [self] in self.produce() }
        t.name = "warpflow.decode"
        t.stackSize = 1 << 20
        thread = t
        t.start()
    }

    /// The next item, waiting for the decoder; rethrows a decoding error.
    func next() throws -> Item {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty && failure == nil && !finished { condition.wait() }
        if !queue.isEmpty {
            let item = queue.removeFirst()
            condition.broadcast()
            return item
        }
        if let failure { throw failure }
        return Item(frame: nil, audio: [])
    }

    /// Asks the thread to stop and waits until it has (so the reader is free again).
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        while !finished && failure == nil { condition.wait() }
        // The thread's block holds `self`: drop the thread to break the cycle (else the
        // prefetcher and its reader leak; seen under LeakSanitizer).
        thread = nil
        condition.unlock()
    }

    private func produce() {
        while true {
            condition.lock()
            while queue.count >= capacity && !stopped { condition.wait() }
            let stop = stopped
            condition.unlock()
            if stop { break }
            do {
                let frame = try reader.nextFrame()
                let audio = keepAudio ? reader.takeAudioPackets() : []
                condition.lock()
                queue.append(Item(frame: frame, audio: audio))
                condition.broadcast()
                condition.unlock()
                if frame == nil { break }
            } catch {
                condition.lock()
                failure = error
                condition.broadcast()
                condition.unlock()
                return
            }
        }
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }
}
