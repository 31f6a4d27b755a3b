import Foundation
import Raster

/// Reading and writing Middlebury `.flo` files: the 4 bytes "PIEH" (Float32 202021.25,
/// little-endian), Int32 width, Int32 height, then width × height interleaved Float32 (u, v)
/// pairs in row order, all little-endian.
extension FlowField {
    /// The tag every `.flo` file starts with (the bytes "PIEH" read as a little-endian Float32).
    public static let floTag: Float = 202021.25
    /// The largest side the reader accepts (the format's own sanity limit).
    public static let floMaximumSide = 99_999

    /// Reads a Middlebury `.flo` file. Throws `MotionError.floFile` naming the file and the
    /// problem: unreadable, wrong tag, bad size, or truncated/overlong data.
    public static func read(floPath path: String) throws -> FlowField {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw MotionError.floFile(path: path, problem: "cannot read the file (\(error.localizedDescription))")
        }
        return try decode(flo: data, path: path)
    }

    /// Decodes the bytes of a `.flo` file; `path` is only used in error messages.
    public static func decode(flo data: Data, path: String = "<memory>") throws -> FlowField {
        guard data.count >= 12 else {
            throw MotionError.floFile(path: path, problem: "not a .flo file: \(data.count) bytes is shorter than the 12-byte header")
        }
        let bytes = [UInt8](data)
        func word(_ offset: Int) -> UInt32 {
            UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
        }
        guard Float(bitPattern: word(0)) == floTag else {
            throw MotionError.floFile(path: path, problem: "not a .flo file: the first 4 bytes are not the tag \"PIEH\"")
        }
        let width = Int(Int32(bitPattern: word(4))), height = Int(Int32(bitPattern: word(8)))
        guard (1...floMaximumSide).contains(width), (1...floMaximumSide).contains(height) else {
            throw MotionError.floFile(path: path, problem: "invalid flow size \(width)×\(height) in the header")
        }
        let expected = 12 + 8 * width * height
        guard bytes.count == expected else {
            let kind = bytes.count < expected ? "truncated" : "too long"
            throw MotionError.floFile(path: path, problem: "\(kind): \(bytes.count) bytes, expected \(expected) for \(width)×\(height) flow")
        }
        var flow = FlowField(width: width, height: height)
        for i in 0..<(width * height) {
            flow.u.data[i] = Float(bitPattern: word(12 + 8 * i))
            flow.v.data[i] = Float(bitPattern: word(16 + 8 * i))
        }
        return flow
    }

    /// The bytes of this flow as a `.flo` file.
    public func encodedFlo() -> Data {
        var bytes = [UInt8]()
        bytes.reserveCapacity(12 + 8 * width * height)
        func put(_ w: UInt32) {
            bytes.append(UInt8(w & 0xff)); bytes.append(UInt8((w >> 8) & 0xff))
            bytes.append(UInt8((w >> 16) & 0xff)); bytes.append(UInt8(w >> 24))
        }
        put(FlowField.floTag.bitPattern)
        put(UInt32(bitPattern: Int32(truncatingIfNeeded: width)))
        put(UInt32(bitPattern: Int32(truncatingIfNeeded: height)))
        for i in 0..<(width * height) {
            put(u.data[i].bitPattern)
            put(v.data[i].bitPattern)
        }
        return Data(bytes)
    }

    /// Writes this flow as a `.flo` file, atomically (a temporary file renamed over `floPath`),
    /// so a failed write never leaves a partial file. Throws `MotionError.floFile`.
    public func write(floPath path: String) throws {
        guard width >= 1, height >= 1, width <= FlowField.floMaximumSide, height <= FlowField.floMaximumSide else {
            throw MotionError.floFile(path: path, problem: "cannot write a \(width)×\(height) flow (sides must be 1…\(FlowField.floMaximumSide))")
        }
        do {
            try encodedFlo().write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw MotionError.floFile(path: path, problem: "cannot write the file (\(error.localizedDescription))")
        }
    }
}
