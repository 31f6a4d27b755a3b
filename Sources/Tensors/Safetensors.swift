/// The element types of safetensors tensors, named as in the file's header.
public enum TensorDType: String, Sendable, CaseIterable {
    case bool = "BOOL", u8 = "U8", i8 = "I8", u16 = "U16", i16 = "I16", f16 = "F16", bf16 = "BF16"
    case u32 = "U32", i32 = "I32", f32 = "F32", u64 = "U64", i64 = "I64", f64 = "F64"

    /// Bytes per element (1, 2, 4 or 8).
    public var byteSize: Int {
        switch self {
        case .bool, .u8, .i8: return 1
        case .u16, .i16, .f16, .bf16: return 2
        case .u32, .i32, .f32: return 4
        case .u64, .i64, .f64: return 8
        }
    }
}

/// One tensor of a safetensors file as its header describes it.
public struct TensorInfo: Sendable, Equatable {
    /// The tensor's name (a key of the header).
    public var name: String
    /// Its element type.
    public var dtype: TensorDType
    /// Its dimensions, outermost first (elements, each ≥ 0; `[]` is a scalar).
    public var shape: [Int]
    /// Where its bytes are, in bytes from the start of the data buffer (after the header).
    public var byteRange: Range<Int>

    /// A tensor description; the reader and writer make these, tests compare them.
    public init(name: String, dtype: TensorDType, shape: [Int], byteRange: Range<Int>) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.byteRange = byteRange
    }
}

/// Limits and helpers shared by the writer and the reader.
enum Safetensors {
    /// The largest header the reader accepts, in bytes (as the reference implementation).
    static let maximumHeaderLength = 100_000_000
    /// The header key that holds the string-to-string metadata instead of a tensor.
    static let metadataKey = "__metadata__"

    /// The number of elements of `shape`, or nil when an entry is negative or the product
    /// does not fit in `Int`. Any zero entry makes the count 0, whatever the others are.
    static func elementCount(_ shape: [Int]) -> Int? {
        guard shape.allSatisfy({ $0 >= 0 }) else { return nil }
        if shape.contains(0) { return 0 }
        var count = 1
        for d in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            if overflow { return nil }
            count = product
        }
        return count
    }

    /// The byte count of a tensor of `shape` and `dtype`, or nil when it does not fit in `Int`
    /// (or an entry is negative).
    static func byteCount(_ shape: [Int], _ dtype: TensorDType) -> Int? {
        guard let n = elementCount(shape) else { return nil }
        let (bytes, overflow) = n.multipliedReportingOverflow(by: dtype.byteSize)
        return overflow ? nil : bytes
    }

    /// `text` as a JSON string literal: quotes, backslashes and control characters escaped,
    /// everything else as its UTF-8 bytes.
    static func appendJSONString(_ text: String, to out: inout [UInt8]) {
        out.append(0x22)
        for byte in text.utf8 {
            switch byte {
            case 0x22: out.append(contentsOf: [0x5c, 0x22])  // \"
            case 0x5c: out.append(contentsOf: [0x5c, 0x5c])  // \\
            case 0x0a: out.append(contentsOf: [0x5c, 0x6e])  // \n
            case 0x0d: out.append(contentsOf: [0x5c, 0x72])  // \r
            case 0x09: out.append(contentsOf: [0x5c, 0x74])  // \t
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [0x5c, 0x75, 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xf)]])  // \u00XX
            default: out.append(byte)
            }
        }
        out.append(0x22)
    }

    /// The little-endian bytes of `values` (binary32).
    static func littleEndianBytes(_ values: [Float]) -> [UInt8] {
        #if _endian(little)
        return values.withUnsafeBytes { [UInt8]($0) }
        #else
        var out = [UInt8]()
        out.reserveCapacity(4 * values.count)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        return out
        #endif
    }
}

extension DatasetError {
    /// An error about the tensor `name` given to a `SafetensorsWriter`.
    static func safetensorsTensor(_ name: String, _ problem: String) -> DatasetError {
        DatasetError("tensor \"\(name)\"", problem)
    }
}

/// A scan of float buffers before they are stored, SIMD with a scalar reference.
enum FloatScan {
    /// The largest |x| of `values` as a binary32 bit pattern without the sign, so that finite
    /// values compare like their magnitudes and NaN/±inf give ≥ 0x7f800000; 0 when empty.
    static func largestMagnitudeBits(_ values: UnsafeBufferPointer<Float>) -> UInt32 {
        guard let base = values.baseAddress else { return 0 }
        var i = 0
        var lanes = SIMD8<UInt32>(repeating: 0)
        while i + 8 <= values.count {
            let u = UnsafeRawPointer(base + i).loadUnaligned(as: SIMD8<UInt32>.self) & 0x7fff_ffff
            lanes = pointwiseMax(lanes, u)
            i += 8
        }
        var largest = lanes.max()
        while i < values.count {
            largest = max(largest, base[i].bitPattern & 0x7fff_ffff)
            i += 1
        }
        return largest
    }

    /// Scalar reference of `largestMagnitudeBits`.
    static func largestMagnitudeBitsScalar(_ values: UnsafeBufferPointer<Float>) -> UInt32 {
        values.reduce(0) { max($0, $1.bitPattern & 0x7fff_ffff) }
    }
}
