import Foundation

/// Parsing and validation of a safetensors header (the JSON text after the 8-byte length).
/// Every rule broken is a `DatasetError` whose subject is the file and whose problem names the
/// rule; nothing in the header can trap, however large its numbers.
package enum SafetensorsHeader {
    /// The metadata and the tensors (sorted by offset, ties by name) of `json`, the header
    /// text, checked against a data buffer of `bufferLength` bytes. `source` names the file;
    /// `json`'s indices are its offsets in the file (the data buffer starts at `json.endIndex`).
    static func parse(_ json: ArraySlice<UInt8>, bufferLength: Int, source: String) throws -> (metadata: [String: String], tensors: [TensorInfo]) {
        func fail(_ problem: String) -> DatasetError { DatasetError(source, problem) }
        guard json.first == UInt8(ascii: "{") else {
            throw fail("the header is not a JSON object (it must begin with '{')")
        }
        // JSON text has no raw control characters besides tab, LF and CR; rejecting them also
        // keeps Foundation from reading the header as UTF-16 or UTF-32.
        if let bad = json.firstIndex(where: { $0 < 0x20 && $0 != 0x09 && $0 != 0x0a && $0 != 0x0d }) {
            throw fail("the header is not valid JSON: control byte 0x\(String(json[bad], radix: 16)) at header byte \(bad - json.startIndex)")
        }
        guard isValidUTF8(json) else {
            throw fail("the header is not valid UTF-8")
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(json), options: [])
        } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
            throw fail("the header is not valid JSON (\(oneLine(detail)))")
        }
        guard let entries = object as? [String: Any] else {
            throw fail("the header is not a JSON object")
        }
        var metadata: [String: String] = [:]
        var tensors: [TensorInfo] = []
        tensors.reserveCapacity(entries.count)
        // In name order, so that a file with several broken entries is always refused for the same one.
        for (name, value) in entries.sorted(by: { $0.key < $1.key }) {
            if name == Safetensors.metadataKey {
                metadata = try parseMetadata(value, fail)
            } else {
                tensors.append(try parseTensor(name, value, bufferLength: bufferLength, dataStart: json.endIndex, fail))
            }
        }
        tensors.sort { ($0.byteRange.lowerBound, $0.byteRange.upperBound, $0.name) < ($1.byteRange.lowerBound, $1.byteRange.upperBound, $1.name) }
        try checkLayout(tensors, bufferLength: bufferLength, fail)
        return (metadata, tensors)
    }

    /// `__metadata__`: an object whose values are all strings.
    private static func parseMetadata(_ value: Any, _ fail: (String) -> DatasetError) throws -> [String: String] {
        guard let object = value as? [String: Any] else {
            throw fail("__metadata__ is not a JSON object")
        }
        var metadata: [String: String] = [:]
        for (key, entry) in object.sorted(by: { $0.key < $1.key }) {
            guard let text = entry as? String else {
                throw fail("metadata value of \(quoted(key)) is not a string")
            }
            metadata[key] = text
        }
        return metadata
    }

    /// One tensor entry: exactly `dtype`, `shape` and `data_offsets`, consistent with each other
    /// and with the buffer.
    /// `dataStart` is the data buffer's offset in the file (for messages).
    private static func parseTensor(_ name: String, _ value: Any, bufferLength: Int, dataStart: Int,
                                    _ fail: (String) -> DatasetError) throws -> TensorInfo {
        let what = "tensor \(quoted(name))"
        guard let entry = value as? [String: Any] else {
            throw fail("\(what) is not a JSON object")
        }
        if let extra = entry.keys.sorted().first(where: { !["dtype", "shape", "data_offsets"].contains($0) }) {
            throw fail("\(what) has an unknown field \(quoted(extra))")
        }
        guard let dtypeName = entry["dtype"] as? String else {
            throw fail("\(what) has no dtype string")
        }
        guard let dtype = TensorDType(rawValue: dtypeName) else {
            throw fail("\(what) has an unknown dtype \(quoted(dtypeName)) (known: \(TensorDType.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard let shapeValues = entry["shape"] as? [Any] else {
            throw fail("\(what) has no shape array")
        }
        var shape: [Int] = []
        shape.reserveCapacity(shapeValues.count)
        for value in shapeValues {
            guard let d = nonNegativeInteger(value) else {
                throw fail("\(what): shape entry \(describe(value)) is not an integer in 0…\(Int.max)")
            }
            shape.append(d)
        }
        guard let offsets = entry["data_offsets"] as? [Any], offsets.count == 2 else {
            throw fail("\(what) has no data_offsets array of two integers")
        }
        guard let begin = nonNegativeInteger(offsets[0]), let end = nonNegativeInteger(offsets[1]) else {
            throw fail("\(what): data_offsets [\(describe(offsets[0])), \(describe(offsets[1]))] are not integers in 0…\(Int.max) (offset out of range)")
        }
        guard begin <= end else {
            throw fail("\(what): data_offsets [\(begin), \(end)] end before they begin")
        }
        guard end <= bufferLength else {
            // Offsets this large come from a damaged header or (far more often) a cut-off file.
            let (fileEnd, overflow) = dataStart.addingReportingOverflow(end)
            throw fail(overflow || end > 64 * max(bufferLength, 1 << 20)
                ? "\(what): data_offsets [\(begin), \(end)] are out of range of the \(bufferLength)-byte data buffer"
                : "truncated: \(dataStart + bufferLength) of at least \(fileEnd) bytes (\(what)'s data ends at byte \(fileEnd))")
        }
        guard let bytes = Safetensors.byteCount(shape, dtype) else {
            throw fail("\(what): shape \(shape) of \(dtype.rawValue) has more bytes than fit in 64 bits (overflow)")
        }
        guard bytes == end - begin else {
            throw fail("\(what): shape \(shape) of \(dtype.rawValue) needs \(bytes) bytes but data_offsets [\(begin), \(end)] hold \(end - begin)")
        }
        return TensorInfo(name: name, dtype: dtype, shape: shape, byteRange: begin..<end)
    }

    /// Sorted tensors must tile the buffer: the first begins at 0, each begins where the one
    /// before ended, the last ends at the buffer's end.
    private static func checkLayout(_ tensors: [TensorInfo], bufferLength: Int, _ fail: (String) -> DatasetError) throws {
        var expected = 0
        var previous: TensorInfo?
        for t in tensors {
            let begin = t.byteRange.lowerBound
            if begin < expected, let p = previous {
                throw fail("tensors \(quoted(p.name)) (bytes \(p.byteRange.lowerBound)..<\(p.byteRange.upperBound)) and \(quoted(t.name)) (bytes \(begin)..<\(t.byteRange.upperBound)) overlap")
            }
            if begin > expected {
                let after = previous.map { "after tensor \(quoted($0.name))" } ?? "at the start of the data buffer"
                throw fail("gap between tensors: bytes \(expected)..<\(begin) \(after) belong to no tensor")
            }
            expected = t.byteRange.upperBound
            previous = t
        }
        guard expected == bufferLength else {
            throw fail("the tensors end at data byte \(expected) but the data buffer has \(bufferLength) bytes: trailing bytes \(expected)..<\(bufferLength) belong to no tensor")
        }
    }

    /// Whether `bytes` are well-formed UTF-8 (no overlong forms, surrogates or truncation).
    static func isValidUTF8(_ bytes: ArraySlice<UInt8>) -> Bool {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }

    /// A JSON integer ≥ 0 that fits in `Int`: not a boolean, not written as a fraction or with
    /// an exponent (those parse as floating point).
    static func nonNegativeInteger(_ value: Any) -> Int? {
        guard let number = value as? NSNumber, !(number is NSDecimalNumber) else { return nil }
        switch String(cString: number.objCType) {
        case "i", "l", "q", "s":
            let v = number.int64Value
            return v >= 0 ? Int(exactly: v) : nil
        case "I", "L", "Q", "S":
            return Int(exactly: number.uint64Value)
        default:
            return nil  // "c" (a boolean), "d"/"f" (floating point)
        }
    }

    /// A short rendering of a JSON value for messages.
    private static func describe(_ value: Any) -> String {
        let text: String
        if value is [Any] {
            text = "(an array)"
        } else if value is [String: Any] {
            text = "(an object)"
        } else if value is NSNull {
            text = "null"
        } else if let s = value as? String {
            text = quoted(s)
        } else if let number = value as? NSNumber {
            text = String(cString: number.objCType) == "c" ? (number.boolValue ? "true" : "false") : number.description
        } else {
            text = "(a JSON value)"
        }
        return oneLine(text.count > 40 ? String(text.prefix(40)) + "…" : text)
    }

    /// `text` in double quotes, cut at 80 characters, on one line.
    package static func quoted(_ text: String) -> String {
        "\"\(oneLine(text.count > 80 ? String(text.prefix(80)) + "…" : text))\""
    }

    /// `text` with line breaks and other control characters shown as spaces.
    private static func oneLine(_ text: String) -> String {
        String(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f || $0 == "\u{2028}" || $0 == "\u{2029}" || $0 == "\u{85}" ? " " : Character($0) })
    }
}
