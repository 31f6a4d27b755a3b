/// Builds a safetensors file: tensors are laid out in the data buffer in the order they were
/// added, the header is compact JSON (metadata first, keys sorted; then the tensors in order)
/// padded with spaces to a multiple of 8 bytes, and all data is little-endian. The same
/// tensors and metadata always give the same bytes. `write(to:)` is atomic.
public struct SafetensorsWriter: Sendable {
    /// The `__metadata__` strings written into the header (omitted when empty).
    public var metadata: [String: String]
    private var entries: [Entry] = []
    private var names: Set<String> = []

    private struct Entry: Sendable {
        var name: String
        var dtype: TensorDType
        var shape: [Int]
        var bytes: [UInt8]
    }

    /// An empty file with the given metadata.
    public init(metadata: [String: String] = [:]) {
        self.metadata = metadata
    }

    /// The tensors added so far, with their byte ranges in the data buffer.
    public var tensors: [TensorInfo] {
        var offset = 0
        return entries.map { e in
            defer { offset += e.bytes.count }
            return TensorInfo(name: e.name, dtype: e.dtype, shape: e.shape, byteRange: offset..<(offset + e.bytes.count))
        }
    }

    /// Adds a tensor from its raw little-endian bytes (row-major). Throws on a duplicate or
    /// reserved name (`__metadata__`), a negative shape entry, or a byte count that is not
    /// shape product × `dtype.byteSize`.
    public mutating func add(_ name: String, dtype: TensorDType, shape: [Int], bytes: [UInt8]) throws {
        let needed = try checkNew(name, dtype: dtype, shape: shape)
        guard needed == bytes.count else {
            throw DatasetError.safetensorsTensor(name, "shape \(shape) of \(dtype.rawValue) needs \(needed) bytes, got \(bytes.count)")
        }
        append(Entry(name: name, dtype: dtype, shape: shape, bytes: bytes))
    }

    /// Adds a U8 tensor (row-major `values`).
    public mutating func add(_ name: String, shape: [Int], uint8 values: [UInt8]) throws {
        try add(name, dtype: .u8, shape: shape, bytes: values)
    }

    /// Adds a float tensor (row-major `values`) stored as `dtype`: F32 as is, F16 or BF16 rounded
    /// to nearest even. With F16 or BF16 and `promoteOnOverflow`, a tensor holding a finite value
    /// whose magnitude exceeds the format's largest finite value (65504 for F16) is stored as
    /// F32 instead; without it, such a tensor throws. NaN and ±infinity always throw (a data set
    /// must not contain them), as do other dtypes. Returns the dtype actually written.
    @discardableResult
    public mutating func add(_ name: String, shape: [Int], floats values: [Float], as dtype: TensorDType, promoteOnOverflow: Bool = true) throws -> TensorDType {
        let limit: Float
        switch dtype {
        case .f32: limit = .greatestFiniteMagnitude
        case .f16: limit = 65504
        case .bf16: limit = Float(bitPattern: 0x7f7f_0000)  // largest finite BF16, about 3.39e38
        default:
            throw DatasetError.safetensorsTensor(name, "floats are stored as F32, F16 or BF16, not \(dtype.rawValue)")
        }
        let needed = try checkNew(name, dtype: .u8, shape: shape)  // element count
        guard needed == values.count else {
            throw DatasetError.safetensorsTensor(name, "shape \(shape) has \(needed) elements, got \(values.count) values")
        }
        let largest = values.withUnsafeBufferPointer { FloatScan.largestMagnitudeBits($0) }
        if largest >= 0x7f80_0000, let i = values.firstIndex(where: { !$0.isFinite }) {
            throw DatasetError.safetensorsTensor(name, "value \(i) is \(values[i]); a data set must not contain NaN or infinite values")
        }
        var stored = dtype
        if Float(bitPattern: largest) > limit {
            guard promoteOnOverflow else {
                throw DatasetError.safetensorsTensor(name, "a value of magnitude \(Float(bitPattern: largest)) exceeds \(dtype.rawValue)'s largest finite value \(limit) (store as F32 or allow promotion)")
            }
            stored = .f32
        }
        let bytes: [UInt8]
        switch stored {
        case .f16: bytes = Float16Conversion.halfBytes(values)
        case .bf16: bytes = Float16Conversion.bfloat16Bytes(values)
        default: bytes = Safetensors.littleEndianBytes(values)
        }
        append(Entry(name: name, dtype: stored, shape: shape, bytes: bytes))
        return stored
    }

    /// The whole file: length, padded header, data.
    public func serialized() throws -> [UInt8] {
        let head = try headerWithLength()
        var out = [UInt8]()
        out.reserveCapacity(entries.reduce(head.count) { $0 + $1.bytes.count })
        out.append(contentsOf: head)
        for e in entries { out.append(contentsOf: e.bytes) }
        return out
    }

    /// Writes the file to `path` atomically: into a temporary file in the same directory, which
    /// is flushed to disk and then renamed to `path`. On failure the temporary file is removed
    /// and `path` is untouched. Errors name `path`.
    public func write(to path: String) throws {
        try write(to: path, io: .system)
    }

    /// `write(to:)` with the system calls given (tests inject failures).
    func write(to path: String, io: DataFileIO.Calls) throws {
        let head: [UInt8]
        do {
            head = try headerWithLength()
        } catch let error as DatasetError {
            throw DatasetError(path, error.description)
        }
        try DataFileIO.writeAtomically(path, chunks: [head] + entries.map(\.bytes), io: io)
    }

    /// The 8-byte length and the padded header.
    private func headerWithLength() throws -> [UInt8] {
        var json: [UInt8] = [UInt8(ascii: "{")]
        if !metadata.isEmpty {
            Safetensors.appendJSONString(Safetensors.metadataKey, to: &json)
            json.append(contentsOf: Array(":{".utf8))
            for (i, key) in metadata.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }).enumerated() {
                if i > 0 { json.append(UInt8(ascii: ",")) }
                Safetensors.appendJSONString(key, to: &json)
                json.append(UInt8(ascii: ":"))
                Safetensors.appendJSONString(metadata[key] ?? "", to: &json)
            }
            json.append(UInt8(ascii: "}"))
        }
        var offset = 0
        for (i, e) in entries.enumerated() {
            if i > 0 || !metadata.isEmpty { json.append(UInt8(ascii: ",")) }
            let end = offset + e.bytes.count  // arrays in memory: no overflow
            Safetensors.appendJSONString(e.name, to: &json)
            let shape = e.shape.map(String.init).joined(separator: ",")
            json.append(contentsOf: Array(":{\"dtype\":\"\(e.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}".utf8))
            offset = end
        }
        json.append(UInt8(ascii: "}"))
        while json.count % 8 != 0 { json.append(UInt8(ascii: " ")) }
        guard json.count <= Safetensors.maximumHeaderLength else {
            throw DatasetError("safetensors header", "\(json.count) bytes exceed the \(Safetensors.maximumHeaderLength)-byte limit readers accept")
        }
        var out = [UInt8]()
        out.reserveCapacity(8 + json.count)
        let length = UInt64(json.count)
        for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: length >> UInt64(8 * i))) }
        out.append(contentsOf: json)
        return out
    }

    /// Checks a new tensor's name and shape; returns its byte count for `dtype`.
    private func checkNew(_ name: String, dtype: TensorDType, shape: [Int]) throws -> Int {
        guard name != Safetensors.metadataKey else {
            throw DatasetError.safetensorsTensor(name, "the name is reserved for the header's metadata")
        }
        guard !names.contains(name) else {
            throw DatasetError.safetensorsTensor(name, "a tensor of this name was already added")
        }
        guard let bytes = Safetensors.byteCount(shape, dtype) else {
            throw DatasetError.safetensorsTensor(name, "shape \(shape) has a negative entry or more elements than fit in 64 bits")
        }
        return bytes
    }

    private mutating func append(_ entry: Entry) {
        names.insert(entry.name)
        entries.append(entry)
    }
}
