// libFuzzer target `safetensors`: the input bytes as a whole safetensors file given to
// `SafetensorsFile(bytes:)`. A file that is refused must be refused with a one-line
// `DatasetError` naming it; a file that is accepted must have its every tensor readable
// (`floats` for F16/BF16/F32/F64, `uint8` for U8, the others refused by both), must be written
// again by `SafetensorsWriter` (floats through the F16/BF16/F32 encoders, NaN/inf refused) and
// must parse back to the same metadata, tensors and bytes; writing that again gives the same
// file. Build and run: see Tests/Fuzz/README.md.
import Tensors

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = count > 0 && start != nil ? Array(UnsafeBufferPointer(start: start, count: count)) : []
    let file: SafetensorsFile
    do {
        file = try SafetensorsFile(bytes: bytes, name: "fuzz-input")
    } catch let error as DatasetError {
        guard error.subject == "fuzz-input", !error.problem.isEmpty, !error.description.contains("\n") else {
            fatalError("fuzz-safetensors: a refusal that does not name the input on one line: \(error)")
        }
        return 0
    } catch {
        fatalError("fuzz-safetensors: an error that is not a DatasetError: \(error)")
    }
    do {
        try roundTrip(file)
    } catch {
        fatalError("fuzz-safetensors: an accepted file does not round-trip: \(error)")
    }
    return 0
}

private struct Mismatch: Error, CustomStringConvertible {
    var description: String
}

/// Reads every tensor of `file`, writes it again and checks that it parses back equal.
private func roundTrip(_ file: SafetensorsFile) throws {
    var writer = SafetensorsWriter(metadata: file.metadata)
    var raw = SafetensorsWriter(metadata: file.metadata)
    for t in file.tensors {
        let bytes = try file.bytes(of: t.name)
        guard bytes.count == t.byteRange.count, bytes.count % t.dtype.byteSize == 0 else {
            throw Mismatch(description: "\(t.name): \(bytes.count) bytes for range \(t.byteRange)")
        }
        let elements = bytes.count / t.dtype.byteSize
        try raw.add(t.name, dtype: t.dtype, shape: t.shape, bytes: Array(bytes))
        switch t.dtype {
        case .u8:
            let values = try file.uint8(t.name)
            guard values.elementsEqual(bytes) else { throw Mismatch(description: "\(t.name): uint8 differs from its bytes") }
            try writer.add(t.name, shape: t.shape, uint8: values)
        case .f16, .bf16, .f32, .f64:
            let values = try file.floats(t.name)
            guard values.count == elements else { throw Mismatch(description: "\(t.name): \(values.count) floats for \(elements) elements") }
            if t.dtype == .f64 {
                try writer.add(t.name, dtype: t.dtype, shape: t.shape, bytes: Array(bytes))
            } else if values.allSatisfy(\.isFinite) {
                let stored = try writer.add(t.name, shape: t.shape, floats: values, as: t.dtype, promoteOnOverflow: false)
                guard stored == t.dtype else { throw Mismatch(description: "\(t.name): \(t.dtype) written as \(stored)") }
            } else {
                var probe = writer
                guard (try? probe.add(t.name, shape: t.shape, floats: values, as: t.dtype)) == nil else {
                    throw Mismatch(description: "\(t.name): the writer took NaN or infinite values")
                }
                try writer.add(t.name, dtype: t.dtype, shape: t.shape, bytes: Array(bytes))
            }
        default:
            guard (try? file.floats(t.name)) == nil, (try? file.uint8(t.name)) == nil else {
                throw Mismatch(description: "\(t.name): \(t.dtype) read as floats or uint8")
            }
            try writer.add(t.name, dtype: t.dtype, shape: t.shape, bytes: Array(bytes))
        }
    }
    let out = try writer.serialized()
    guard try raw.serialized() == out else { throw Mismatch(description: "converted and raw tensors serialise differently") }
    let again = try SafetensorsFile(bytes: out, name: "reserialized")
    guard again.metadata == file.metadata else { throw Mismatch(description: "metadata differs after the round trip") }
    guard again.tensors == file.tensors else { throw Mismatch(description: "tensors differ after the round trip: \(again.tensors) vs \(file.tensors)") }
    for t in file.tensors {
        guard try again.bytes(of: t.name) == file.bytes(of: t.name) else {
            throw Mismatch(description: "\(t.name): bytes differ after the round trip")
        }
    }
    let length = out.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << UInt64(8 * $1.offset) }
    guard length % 8 == 0 else { throw Mismatch(description: "header length \(length) is not a multiple of 8") }
    var rewriter = SafetensorsWriter(metadata: again.metadata)
    for t in again.tensors { try rewriter.add(t.name, dtype: t.dtype, shape: t.shape, bytes: Array(try again.bytes(of: t.name))) }
    guard try rewriter.serialized() == out else { throw Mismatch(description: "writing the re-parsed file gives other bytes") }
}
