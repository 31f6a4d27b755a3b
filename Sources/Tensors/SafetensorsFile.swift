/// A safetensors file read into memory and validated: an 8-byte little-endian header length N,
/// N bytes of JSON header, then the data buffer, which the tensors tile without gaps or
/// overlaps. Every rule broken throws a `DatasetError` naming the file and the rule; no input
/// traps. The tensors' values are converted on request (`floats`, `uint8`).
public struct SafetensorsFile: Sendable {
    /// The path (or the name given to `init(bytes:name:)`) that errors name.
    public let source: String
    /// The `__metadata__` strings of the header (empty when absent).
    public let metadata: [String: String]
    /// The tensors in file order (by offset in the data buffer; zero-size tensors at the same
    /// offset by name).
    public let tensors: [TensorInfo]
    /// The whole file and where its data buffer starts in it.
    private let storage: [UInt8]
    private let dataStart: Int
    private let index: [String: Int]

    /// Reads and validates the file at `path`. Errors name `path`.
    public init(path: String) throws {
        try self.init(bytes: try DataFileIO.readFile(path), name: path)
    }

    /// Validates `bytes`, a whole safetensors file; `name` is the subject of errors.
    public init(bytes: [UInt8], name: String = "<memory>") throws {
        source = name
        guard bytes.count >= 8 else {
            throw DatasetError(name, "truncated: \(bytes.count) bytes, shorter than the 8-byte header length field")
        }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(bytes[i]) << UInt64(8 * i) }
        guard length <= UInt64(Safetensors.maximumHeaderLength) else {
            throw DatasetError(name, "header length \(length) is too large (the limit is \(Safetensors.maximumHeaderLength) bytes)")
        }
        let headerLength = Int(length)  // ≤ 10^8 after the check
        guard headerLength <= bytes.count - 8 else {
            throw DatasetError(name, "truncated: the header length \(headerLength) is too large for the \(bytes.count - 8) bytes after the length field")
        }
        let start = 8 + headerLength
        let parsed = try SafetensorsHeader.parse(bytes[8..<start], bufferLength: bytes.count - start, source: name)
        metadata = parsed.metadata
        tensors = parsed.tensors
        storage = bytes
        dataStart = start
        index = Dictionary(parsed.tensors.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The tensor called `name`, or nil.
    public func tensor(_ name: String) -> TensorInfo? {
        index[name].map { tensors[$0] }
    }

    /// The raw little-endian bytes of tensor `name`. Throws when there is no such tensor.
    public func bytes(of name: String) throws -> ArraySlice<UInt8> {
        let t = try info(name)
        return storage[(dataStart + t.byteRange.lowerBound)..<(dataStart + t.byteRange.upperBound)]
    }

    /// The values of tensor `name` as `Float`, row-major: F32 as stored, F16 and BF16 widened
    /// exactly, F64 rounded to nearest (beyond Float's range: ±infinity). Other dtypes throw.
    public func floats(_ name: String) throws -> [Float] {
        let t = try info(name)
        let raw = try bytes(of: name)
        switch t.dtype {
        case .f16: return Float16Conversion.floats(halfBytes: raw)
        case .bf16: return Float16Conversion.floats(bfloat16Bytes: raw)
        case .f32: return Self.littleEndianFloats(raw)
        case .f64: return Self.littleEndianDoubles(raw)
        default:
            throw DatasetError(source, "tensor \(SafetensorsHeader.quoted(name)) is \(t.dtype.rawValue), not a float type (F16, BF16, F32, F64)")
        }
    }

    /// The values of the U8 tensor `name`, row-major. Other dtypes throw.
    public func uint8(_ name: String) throws -> [UInt8] {
        let t = try info(name)
        guard t.dtype == .u8 else {
            throw DatasetError(source, "tensor \(SafetensorsHeader.quoted(name)) is \(t.dtype.rawValue), not U8")
        }
        return Array(try bytes(of: name))
    }

    private func info(_ name: String) throws -> TensorInfo {
        guard let t = tensor(name) else {
            throw DatasetError(source, "no tensor named \(SafetensorsHeader.quoted(name))")
        }
        return t
    }

    private static func littleEndianFloats(_ raw: ArraySlice<UInt8>) -> [Float] {
        let n = raw.count / 4
        return [Float](unsafeUninitializedCapacity: n) { out, count in
            raw.withUnsafeBytes { src in
                #if _endian(little)
                if n > 0 { UnsafeMutableRawPointer(out.baseAddress!).copyMemory(from: src.baseAddress!, byteCount: 4 * n) }
                #else
                for i in 0..<n { out[i] = Float(bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
                #endif
            }
            count = n
        }
    }

    private static func littleEndianDoubles(_ raw: ArraySlice<UInt8>) -> [Float] {
        let n = raw.count / 8
        return [Float](unsafeUninitializedCapacity: n) { out, count in
            raw.withUnsafeBytes { src in
                for i in 0..<n {
                    out[i] = Float(Double(bitPattern: UInt64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
                }
            }
            count = n
        }
    }
}
