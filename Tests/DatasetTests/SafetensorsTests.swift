import XCTest
@testable import DatasetJob
@testable import Tensors

/// The safetensors writer and reader: round trips, the exact byte layout, determinism, and
/// every rule the reader enforces, each broken by a crafted file.
final class SafetensorsTests: XCTestCase {
    /// A file with `header` as its JSON text and `data` as its buffer; `length` overrides the
    /// header length field.
    static func craft(_ header: String, data: [UInt8] = [], length: UInt64? = nil) -> [UInt8] {
        let json = Array(header.utf8)
        let n = length ?? UInt64(json.count)
        return (0..<8).map { UInt8(truncatingIfNeeded: n >> UInt64(8 * $0)) } + json + data
    }

    /// The error `bytes` are refused with; fails the test when they are accepted or the error
    /// does not name the file.
    func refusal(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            let parsed = try SafetensorsFile(bytes: bytes, name: "crafted.safetensors")
            XCTFail("accepted: \(parsed.tensors)", file: file, line: line)
            return ""
        } catch let error as DatasetError {
            XCTAssertEqual(error.subject, "crafted.safetensors", file: file, line: line)
            XCTAssertFalse(error.description.contains("\n"), file: file, line: line)
            return error.problem
        } catch {
            XCTFail("not a DatasetError: \(error)", file: file, line: line)
            return ""
        }
    }

    func assertRefused(_ bytes: [UInt8], _ words: String..., file: StaticString = #filePath, line: UInt = #line) {
        let problem = refusal(bytes, file: file, line: line)
        for word in words {
            XCTAssertTrue(problem.contains(word), "\"\(problem)\" does not say \"\(word)\"", file: file, line: line)
        }
    }

    func testDTypeSizesFollowTheirNames() {
        for dtype in TensorDType.allCases {
            let digits = dtype.rawValue.filter(\.isNumber)
            let bits = digits.isEmpty ? 8 : Int(digits)!  // BOOL is one byte
            XCTAssertEqual(dtype.byteSize * 8, bits, dtype.rawValue)
        }
        XCTAssertEqual(TensorDType.allCases.count, 13)
    }

    func testRoundTripOfSeveralDTypesAndShapes() throws {
        var writer = SafetensorsWriter()
        let f32 = (0..<6).map { Float($0) * 1.5 - 2 }
        let f16 = (0..<8).map { Float($0 - 4) * 0.125 }  // exact in F16
        let bf16: [Float] = [1, -2, 0.5, 256, -0.0, 3.140625]  // exact in BF16
        let u8 = (0..<24).map { UInt8($0 * 11 % 256) }
        let i64 = [Int64(-1), 1 << 40].flatMap { v in (0..<8).map { UInt8(truncatingIfNeeded: v >> Int64(8 * $0)) } }
        XCTAssertEqual(try writer.add("f32", shape: [2, 3], floats: f32, as: .f32), .f32)
        XCTAssertEqual(try writer.add("f16", shape: [8], floats: f16, as: .f16), .f16)
        XCTAssertEqual(try writer.add("bf16", shape: [3, 2], floats: bf16, as: .bf16), .bf16)
        try writer.add("frames", shape: [2, 3, 4], uint8: u8)
        try writer.add("empty-u8", shape: [0], uint8: [])
        try writer.add("empty-f16", shape: [4, 0, 2], floats: [], as: .f16)
        try writer.add("i64", dtype: .i64, shape: [2], bytes: i64)
        try writer.add("scalar", shape: [], floats: [42], as: .f32)
        try writer.add("flags", dtype: .bool, shape: [3], bytes: [1, 0, 1])
        let file = try SafetensorsFile(bytes: try writer.serialized())
        XCTAssertEqual(file.metadata, [:])
        XCTAssertEqual(file.tensors.map(\.name), ["f32", "f16", "bf16", "frames", "empty-f16", "empty-u8", "i64", "scalar", "flags"])
        XCTAssertEqual(file.tensors, writer.tensors.sorted { ($0.byteRange.lowerBound, $0.byteRange.upperBound, $0.name) < ($1.byteRange.lowerBound, $1.byteRange.upperBound, $1.name) })
        XCTAssertEqual(try file.floats("f32"), f32)
        XCTAssertEqual(try file.floats("f16"), f16)
        XCTAssertEqual(try file.floats("bf16").map(\.bitPattern), bf16.map(\.bitPattern))
        XCTAssertEqual(try file.uint8("frames"), u8)
        XCTAssertEqual(try file.uint8("empty-u8"), [])
        XCTAssertEqual(try file.floats("empty-f16"), [])
        XCTAssertEqual(file.tensor("empty-f16")?.shape, [4, 0, 2])
        XCTAssertEqual(Array(try file.bytes(of: "i64")), i64)
        XCTAssertEqual(try file.floats("scalar"), [42])
        XCTAssertEqual(file.tensor("scalar")?.shape, [])
        XCTAssertEqual(file.tensor("frames")?.byteRange.count, 24)
        XCTAssertNil(file.tensor("nothing"))
        XCTAssertThrowsError(try file.floats("frames"))
        XCTAssertThrowsError(try file.uint8("f32"))
        XCTAssertThrowsError(try file.floats("i64"))
        XCTAssertThrowsError(try file.bytes(of: "nothing")) { XCTAssertTrue("\($0)".contains("no tensor named \"nothing\"")) }

        writer.metadata = ["format": "warpflow-dataset", "quote \"and\" \\ \n\t\u{1}": "ü ✓ \u{0}"]
        let withMetadata = try SafetensorsFile(bytes: try writer.serialized())
        XCTAssertEqual(withMetadata.metadata, writer.metadata)
        XCTAssertEqual(withMetadata.tensors, file.tensors)
    }

    func testF64IsReadAsFloats() throws {
        let values: [Double] = [1.5, -1e300, 1e-3]
        let bytes = values.flatMap { v in (0..<8).map { UInt8(truncatingIfNeeded: v.bitPattern >> UInt64(8 * $0)) } }
        var writer = SafetensorsWriter()
        try writer.add("d", dtype: .f64, shape: [3], bytes: bytes)
        XCTAssertEqual(try SafetensorsFile(bytes: writer.serialized()).floats("d"), [1.5, -.infinity, Float(1e-3)])
    }

    func testHeaderIsPaddedWithSpacesToAMultipleOf8() throws {
        for length in 1...17 {
            var writer = SafetensorsWriter()
            try writer.add(String(repeating: "x", count: length), shape: [1], uint8: [7])
            let bytes = try writer.serialized()
            let n = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            XCTAssertEqual(n % 8, 0, "name length \(length)")
            XCTAssertEqual(bytes.count, 8 + n + 1)
            XCTAssertEqual(bytes.last, 7)
            let header = bytes[8..<(8 + n)]
            let close = header.lastIndex(of: UInt8(ascii: "}"))!
            XCTAssertLessThan(header.endIndex - close - 1, 8, "at most 7 padding bytes")
            XCTAssertTrue(header[(close + 1)...].allSatisfy { $0 == UInt8(ascii: " ") })
        }
    }

    /// The bytes of a tiny file, written out from the format's description: an 8-byte
    /// little-endian length, compact JSON (metadata first, then the tensors in the order added)
    /// padded with spaces, then U8 [1, 2] and F16 1.0 (sign 0, exponent 15, mantissa 0: 0x3C00).
    func testByteLayoutOfATinyFile() throws {
        var writer = SafetensorsWriter(metadata: ["k": "v"])
        try writer.add("a", shape: [2], uint8: [1, 2])
        try writer.add("h", shape: [1], floats: [1.0], as: .f16)
        let json = #"{"__metadata__":{"k":"v"},"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"h":{"dtype":"F16","shape":[1],"data_offsets":[2,4]}}"#
        XCTAssertEqual(json.utf8.count, 131)
        let expected: [UInt8] = [136, 0, 0, 0, 0, 0, 0, 0] + Array(json.utf8) + [UInt8](repeating: 0x20, count: 5) + [0x01, 0x02, 0x00, 0x3c]
        XCTAssertEqual(try writer.serialized(), expected)
    }

    func testSameInputsGiveSameBytes() throws {
        func build(_ metadataOrder: [(String, String)]) throws -> [UInt8] {
            var metadata: [String: String] = [:]
            for (k, v) in metadataOrder { metadata[k] = v }
            var writer = SafetensorsWriter(metadata: metadata)
            try writer.add("spectra", shape: [2, 3], floats: [0.1, 0.2, 0.3, -1, 1e-6, 65504], as: .f16)
            try writer.add("frames", shape: [1, 2, 2, 3], uint8: Array(0..<12))
            return try writer.serialized()
        }
        let pairs = (0..<20).map { ("key\($0)", "value \($0)") }
        let first = try build(pairs)
        XCTAssertEqual(try build(pairs), first)
        XCTAssertEqual(try build(pairs.reversed()), first)
        XCTAssertEqual(try build(pairs.shuffled()), first)
        XCTAssertNotEqual(try build(Array(pairs.dropLast())), first)
    }

    func testWriterRefusesBadTensors() throws {
        var writer = SafetensorsWriter()
        try writer.add("a", shape: [2], uint8: [1, 2])
        XCTAssertThrowsError(try writer.add("a", shape: [1], uint8: [1])) { XCTAssertTrue("\($0)".contains("already added"), "\($0)") }
        XCTAssertThrowsError(try writer.add("b", shape: [3], uint8: [1, 2])) { XCTAssertTrue("\($0)".contains("needs 3 bytes, got 2"), "\($0)") }
        XCTAssertThrowsError(try writer.add("c", dtype: .f32, shape: [1], bytes: [0, 0])) { XCTAssertTrue("\($0)".contains("needs 4 bytes"), "\($0)") }
        XCTAssertThrowsError(try writer.add("d", shape: [-1], uint8: []))
        XCTAssertThrowsError(try writer.add("e", shape: [Int.max, 2], uint8: [])) { XCTAssertTrue("\($0)".contains("64 bits"), "\($0)") }
        XCTAssertThrowsError(try writer.add("__metadata__", shape: [0], uint8: [])) { XCTAssertTrue("\($0)".contains("reserved"), "\($0)") }
        XCTAssertThrowsError(try writer.add("f", shape: [1], floats: [1], as: .i32))
        XCTAssertThrowsError(try writer.add("g", shape: [2], floats: [1], as: .f32)) { XCTAssertTrue("\($0)".contains("2 elements, got 1"), "\($0)") }
        XCTAssertEqual(writer.tensors.map(\.name), ["a"])
        // A zero entry makes any shape empty, however large its other entries.
        try writer.add("h", shape: [Int.max, Int.max, 0], uint8: [])
        let file = try SafetensorsFile(bytes: writer.serialized())
        XCTAssertEqual(file.tensor("h")?.shape, [Int.max, Int.max, 0])
    }

    func testF16OverflowPromotesToF32() throws {
        var writer = SafetensorsWriter()
        let big: [Float] = [1, -70000, 0.5]
        XCTAssertEqual(try writer.add("big", shape: [3], floats: big, as: .f16), .f32)
        XCTAssertEqual(try writer.add("edge", shape: [2], floats: [65504, -65504], as: .f16), .f16)
        XCTAssertEqual(try writer.add("above", shape: [1], floats: [65504.5], as: .f16), .f32)
        XCTAssertEqual(try writer.add("huge-bf16", shape: [1], floats: [.greatestFiniteMagnitude], as: .bf16), .f32)
        XCTAssertThrowsError(try writer.add("strict", shape: [1], floats: [65505], as: .f16, promoteOnOverflow: false)) {
            XCTAssertTrue("\($0)".contains("65504"), "\($0)")
        }
        let file = try SafetensorsFile(bytes: writer.serialized())
        XCTAssertEqual(file.tensor("big")?.dtype, .f32)
        XCTAssertEqual(try file.floats("big"), big)
        XCTAssertEqual(file.tensor("edge")?.dtype, .f16)
        XCTAssertEqual(try file.floats("edge"), [65504, -65504])
        XCTAssertEqual(try file.floats("above"), [65504.5])
        XCTAssertNil(file.tensor("strict"))
    }

    func testNonFiniteValuesAreRefused() throws {
        var writer = SafetensorsWriter()
        for dtype in [TensorDType.f32, .f16, .bf16] {
            for bad in [Float.nan, .infinity, -.infinity, Float(bitPattern: 0xffc0_0001)] {
                var values = [Float](repeating: 1, count: 19)
                values[13] = bad
                XCTAssertThrowsError(try writer.add("x", shape: [19], floats: values, as: dtype)) { error in
                    XCTAssertEqual((error as? DatasetError)?.subject, "tensor \"x\"")
                    XCTAssertTrue("\(error)".contains("value 13"), "\(error)")
                }
            }
        }
        XCTAssertTrue(writer.tensors.isEmpty)
    }

    // MARK: - Reader rules

    func testTruncatedFiles() {
        assertRefused([], "truncated", "0 bytes")
        assertRefused([8, 0, 0, 0, 0], "truncated")
        assertRefused(Self.craft("{}", length: 100), "truncated", "100")
        assertRefused(Array(Self.craft(#"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}"#, data: [1, 2, 3, 4]).dropLast()), "truncated: 64 of at least 65 bytes")
    }

    func testHeaderLengthLimit() {
        assertRefused(Self.craft("{}", length: 100_000_001), "too large", "100000000")
        assertRefused(Self.craft("{}", length: .max), "too large")
        assertRefused(Self.craft("{}", length: 1 << 63), "too large")
    }

    func testHeaderMustBeAJSONObject() {
        assertRefused(Self.craft(#"{"a":"#), "not valid JSON")
        assertRefused(Self.craft("{\"a\":\"\u{1}\"}"), "not valid JSON", "control byte")
        for bad: [UInt8] in [[0xff], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xe2, 0x82]] {  // stray, surrogate, overlong, cut
            let json: [UInt8] = Array(#"{"":""#.utf8) + bad + Array(#""}"#.utf8)
            assertRefused([UInt8(json.count), 0, 0, 0, 0, 0, 0, 0] + json, "UTF-8")
        }
        assertRefused(Self.craft("[1, 2]"), "not a JSON object")
        assertRefused(Self.craft(#""text""#), "not a JSON object")
        assertRefused(Self.craft(" {}"), "not a JSON object")
        assertRefused(Self.craft(#"{"a":5}"#), "tensor \"a\" is not a JSON object")
    }

    func testUnknownDTypeAndFields() {
        assertRefused(Self.craft(#"{"a":{"dtype":"F8","shape":[1],"data_offsets":[0,1]}}"#, data: [0]), "unknown dtype \"F8\"")
        assertRefused(Self.craft(#"{"a":{"dtype":5,"shape":[1],"data_offsets":[0,1]}}"#, data: [0]), "no dtype")
        assertRefused(Self.craft(#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"x":1}}"#, data: [0]), "unknown field \"x\"")
        assertRefused(Self.craft(#"{"a":{"dtype":"U8","data_offsets":[0,1]}}"#, data: [0]), "no shape")
        assertRefused(Self.craft(#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0]}}"#, data: [0]), "data_offsets")
    }

    func testBadShapes() {
        func file(_ shape: String, _ offsets: String = "[0,0]") -> [UInt8] {
            Self.craft(#"{"t":{"dtype":"F32","shape":"# + shape + #","data_offsets":"# + offsets + "}}")
        }
        assertRefused(file("[-1]"), "shape entry -1", "not an integer")
        assertRefused(file("[2.0]"), "not an integer")
        assertRefused(file("[1e3]"), "not an integer")
        assertRefused(file("[true]"), "shape entry true")
        assertRefused(file("[null]"), "not an integer")
        assertRefused(file("[[1]]"), "not an integer")
        assertRefused(file("[18446744073709551615]"), "not an integer")
        assertRefused(file("[99999999999999999999999999]"), "not an integer")
        assertRefused(file("[4294967296,4294967296]"), "overflow")
        assertRefused(file("[2305843009213693952]"), "overflow")  // 2^61 elements × 4 bytes
        assertRefused(file("[2,2]", "[0,0]"), "needs 16 bytes", "hold 0")
        XCTAssertEqual(try SafetensorsFile(bytes: file("[9223372036854775807,0]")).tensors.first?.shape, [Int.max, 0])
    }

    func testOffsetsOutOfRange() {
        let u8 = #"{"a":{"dtype":"U8","shape":[4],"data_offsets":"#
        // Data past the end of the file reads as what it most often is: a cut-off file.
        assertRefused(Self.craft(u8 + "[0,4]}}", data: [1, 2]), "truncated: 63 of at least 65 bytes")
        assertRefused(Self.craft(u8 + "[-4,0]}}", data: [1, 2, 3, 4]), "out of range")
        assertRefused(Self.craft(u8 + "[4,0]}}", data: [1, 2, 3, 4]), "end before they begin")
        assertRefused(Self.craft(u8 + "[18446744073709551615,18446744073709551619]}}", data: [1, 2, 3, 4]), "out of range")
    }

    func testTensorsMustTileTheBuffer() {
        func two(_ a: String, _ b: String, bytes: Int) -> [UInt8] {
            Self.craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":\(a)},\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":\(b)}}",
                       data: [UInt8](repeating: 9, count: bytes))
        }
        assertRefused(two("[0,4]", "[3,5]", bytes: 5), "overlap", "\"a\"", "\"b\"")
        assertRefused(two("[0,4]", "[2,4]", bytes: 4), "overlap")  // b inside a
        assertRefused(two("[0,4]", "[5,7]", bytes: 7), "gap", "4..<5", "after tensor \"a\"")
        assertRefused(two("[2,6]", "[6,8]", bytes: 8), "gap", "0..<2", "start")
        assertRefused(two("[0,4]", "[4,6]", bytes: 9), "trailing", "6..<9")
        assertRefused(Self.craft("{}", data: [1]), "trailing")
        XCTAssertNoThrow(try SafetensorsFile(bytes: two("[2,6]", "[0,2]", bytes: 6)))
        XCTAssertEqual(try SafetensorsFile(bytes: two("[2,6]", "[0,2]", bytes: 6)).tensors.map(\.name), ["b", "a"])
    }

    func testMetadataValuesMustBeStrings() throws {
        assertRefused(Self.craft(#"{"__metadata__":{"k":1}}"#), "metadata value of \"k\" is not a string")
        assertRefused(Self.craft(#"{"__metadata__":{"k":null}}"#), "not a string")
        assertRefused(Self.craft(#"{"__metadata__":{"k":["v"]}}"#), "not a string")
        assertRefused(Self.craft(#"{"__metadata__":"v"}"#), "__metadata__ is not a JSON object")
        let ok = try SafetensorsFile(bytes: Self.craft(#"{"__metadata__":{"k":"v","é":"\u00e9\n"}}    "#))
        XCTAssertEqual(ok.metadata, ["k": "v", "é": "é\n"])
        XCTAssertTrue(ok.tensors.isEmpty)
    }

    func testErrorsFromAPathNameThePath() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("st-path-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("bad.safetensors").path
        try Data(Self.craft(#"{"a":{"dtype":"X","shape":[],"data_offsets":[0,0]}}"#)).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try SafetensorsFile(path: path)) { error in
            XCTAssertEqual((error as? DatasetError)?.subject, path)
            XCTAssertTrue("\(error)".contains("unknown dtype"), "\(error)")
        }
        XCTAssertThrowsError(try SafetensorsFile(path: dir.appendingPathComponent("missing").path)) { XCTAssertTrue("\($0)".contains("cannot open"), "\($0)") }
        XCTAssertThrowsError(try SafetensorsFile(path: dir.path)) { XCTAssertTrue("\($0)".contains("not a regular file"), "\($0)") }
    }
}

/// A file cut where several tensors' data lies beyond its end is refused as truncated, always
/// for the same tensor (entries are checked in name order; a JSON object has no order).
final class SafetensorsTruncationTests: XCTestCase {
    func testTruncationIsNamedAndDeterministic() throws {
        var writer = SafetensorsWriter(metadata: ["format": "warpflow-dataset"])
        try writer.add("frames", shape: [64], uint8: [UInt8](repeating: 7, count: 64))
        _ = try writer.add("spectra", shape: [64], floats: [Float](repeating: 1, count: 64), as: .f32)
        _ = try writer.add("trajectories", shape: [64], floats: [Float](repeating: 2, count: 64), as: .f32)
        let whole = try writer.serialized()
        let cut = Array(whole.prefix(whole.count - 400))
        var messages = Set<String>()
        for _ in 0..<20 {
            XCTAssertThrowsError(try SafetensorsFile(bytes: cut, name: "cut.safetensors")) { error in
                messages.insert("\(error)")
            }
        }
        XCTAssertEqual(messages.count, 1, "\(messages)")
        let message = try XCTUnwrap(messages.first)
        XCTAssertTrue(message.contains("cut.safetensors") && message.contains("truncated: \(cut.count) of at least"), message)
    }
}
