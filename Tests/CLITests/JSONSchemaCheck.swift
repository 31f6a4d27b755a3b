import Foundation

/// Checks a decoded JSON value against the subset of JSON Schema (draft 2020-12) the
/// command schemas use: `type` (a name or a list), `properties`, `required`,
/// `additionalProperties` (false, or a schema), `items`, `enum`, `minimum`. Returns one line
/// per violation, each with the path of the value.
enum JSONSchemaCheck {
    static func violations(of value: Any, against schema: [String: Any], at path: String = "$") -> [String] {
        var out: [String] = []
        if let types = (schema["type"] as? [String]) ?? (schema["type"] as? String).map({ [$0] }) {
            guard types.contains(where: { matches(value, type: $0) }) else {
                return ["\(path): \(describe(value)) is not \(types.joined(separator: " or "))"]
            }
        }
        if let allowed = schema["enum"] as? [Any], !allowed.contains(where: { equal($0, value) }) {
            out.append("\(path): \(describe(value)) is not one of \(allowed)")
        }
        if let minimum = schema["minimum"] as? Double, let number = value as? NSNumber, !isBool(value), number.doubleValue < minimum {
            out.append("\(path): \(number) is below \(minimum)")
        }
        if let object = value as? [String: Any] {
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for key in schema["required"] as? [String] ?? [] where object[key] == nil {
                out.append("\(path): missing required key \"\(key)\"")
            }
            for (key, item) in object {
                if let sub = properties[key] as? [String: Any] {
                    out += violations(of: item, against: sub, at: "\(path).\(key)")
                } else if let extra = schema["additionalProperties"] as? [String: Any] {
                    out += violations(of: item, against: extra, at: "\(path).\(key)")
                } else if (schema["additionalProperties"] as? Bool) == false {
                    out.append("\(path): key \"\(key)\" is not in the schema")
                }
            }
        }
        if let array = value as? [Any], let items = schema["items"] as? [String: Any] {
            for (i, item) in array.enumerated() { out += violations(of: item, against: items, at: "\(path)[\(i)]") }
        }
        return out
    }

    /// JSONSerialization gives true and false as NSNumbers of type "c" (char).
    static func isBool(_ value: Any) -> Bool {
        guard let n = value as? NSNumber else { return false }
        return String(cString: n.objCType) == "c"
    }

    static func matches(_ value: Any, type: String) -> Bool {
        switch type {
        case "null": return value is NSNull
        case "boolean": return isBool(value)
        case "integer":
            guard let n = value as? NSNumber, !isBool(value) else { return false }
            return !["d", "f"].contains(String(cString: n.objCType))
        case "number": return value is NSNumber && !isBool(value)
        case "string": return value is String
        case "array": return value is [Any]
        case "object": return value is [String: Any]
        default: return false
        }
    }

    static func equal(_ a: Any, _ b: Any) -> Bool {
        if let a = a as? String, let b = b as? String { return a == b }
        if let a = a as? NSNumber, let b = b as? NSNumber { return a == b }
        return false
    }

    static func describe(_ value: Any) -> String {
        let text = "\(value)"
        return text.count > 60 ? String(text.prefix(60)) + "…" : text
    }
}
