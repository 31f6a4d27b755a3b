// libFuzzer target `flo`: the input bytes as a `.flo` file read by `FlowField.read(floPath:)`;
// a flow that reads must survive everything the CLI does with flows: warping a plane, composing,
// the forward-backward occlusion mask, resizing, end-point error, the colour wheel and writing
// it back bit-exactly. Flows from files may hold NaN, ±inf and huge values: none may trap.
// Build and run: see Tests/Fuzz/README.md.
import Foundation
import Flow
import Raster

/// One scratch file per process, rewritten for every input.
private let path = FileManager.default.temporaryDirectory
    .appendingPathComponent("warpflow-fuzz-flo-\(getpid()).flo").path

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFlo(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let data = count > 0 && start != nil ? Data(bytes: start!, count: count) : Data()
    guard FileManager.default.createFile(atPath: path, contents: data) else {
        fatalError("fuzz-flo: cannot write the scratch file \(path)")
    }
    let flow: FlowField
    do {
        flow = try FlowField.read(floPath: path)
    } catch {
        guard case .floFile(let p, _)? = error as? MotionError, p == path else {
            fatalError("fuzz-flo: unexpected error from the reader: \(error)")
        }
        return 0
    }
    let w = flow.width, h = flow.height
    guard w >= 1, h >= 1, flow.u.count == w * h, flow.v.count == w * h else {
        fatalError("fuzz-flo: the reader returned a \(w)×\(h) flow with \(flow.u.count)/\(flow.v.count) samples")
    }
    // A ramp image the size of the flow, pulled back by it.
    var image = Plane(width: w, height: h)
    for i in 0..<image.count { image.data[i] = Float(i % 251) / 250 }
    _ = flow.warp(image, threads: 1)
    _ = try? flow.composed(after: flow, threads: 1)
    _ = try? flow.occlusionMask(backward: flow, threads: 1)
    _ = try? flow.endPointError(to: flow)
    _ = flow.resized(width: max(1, w / 2), height: h + 1, threads: 1)
    _ = flow.sample(x: flow.u.data[0], y: flow.v.data[0])
    _ = flow.colorWheel()
    _ = flow.colorWheel(maxMagnitude: 1)
    // Writing the flow back gives the same bytes.
    guard flow.encodedFlo() == data else { fatalError("fuzz-flo: the \(w)×\(h) flow does not encode back to its file") }
    return 0
}
