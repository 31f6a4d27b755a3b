// swift-tools-version:6.0
// warpflow: video motion toolkit over FFmpeg's C libraries.
import PackageDescription

let package = Package(
    name: "warpflow",
    platforms: [.macOS(.v13)],
    // MARK: - Public API
    products: [
        .library(name: "WarpFlow", targets: ["MediaIO", "Raster", "Motion", "WarpingNODE", "Pipeline", "WarpFlowFilters", "Dataset"]),
        .library(name: "WarpFlowTestSupport", targets: ["WarpFlowTestSupport"]),
        .executable(name: "warpflow", targets: ["warpflow"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
    ],
    targets: [
        // MARK: - C bindings
        // The only target that includes FFmpeg headers. pkg-config supplies the include and
        // library paths; the module map links the four libraries.
        .systemLibrary(
            name: "CFFmpeg",
            path: "Sources/CFFmpeg",
            pkgConfig: "libavformat",
            providers: [
                .apt(["libavformat-dev", "libavcodec-dev", "libswscale-dev", "libavutil-dev"]),
                .brew(["ffmpeg"]),
            ]
        ),

        // MARK: - Implementation modules (lowest first)
        // Raster: FFmpeg-free image maths on planar Float images.
        .target(name: "Raster", path: "Sources/Raster", exclude: ["README.md"]),
        // MediaIO: decode, encode, frames, swscale conversion to Raster images.
        .target(name: "MediaIO", dependencies: ["CFFmpeg", "Raster"], path: "Sources/MediaIO", exclude: ["README.md"]),
        // Motion: optical flow, flow fields, occlusion masks.
        .target(name: "Motion", dependencies: ["Raster"], path: "Sources/Motion", exclude: ["README.md"]),
        // WarpingNODE: stationary velocity fields, their integration into diffeomorphic warps,
        // the per-pair fit and the frame interpolator that renders any time t in YUV.
        .target(name: "WarpingNODE", dependencies: ["Raster", "Motion", "MediaIO"], path: "Sources/WarpingNODE", exclude: ["README.md"]),
        // Dataset: training sets from clips (trajectories, motion spectra, safetensors shards,
        // manifests, mergeable statistics, sharding over a cluster).
        .target(name: "Dataset", dependencies: ["MediaIO", "Motion", "Raster"], path: "Sources/Dataset", exclude: ["README.md"]),
        // Pipeline: the filter protocol, registry, chain parser and streaming runner.
        .target(name: "Pipeline", dependencies: ["MediaIO"], path: "Sources/Pipeline", exclude: ["README.md"]),
        // The built-in filter plugins, one file each.
        .target(name: "WarpFlowFilters", dependencies: ["Pipeline", "MediaIO", "Raster", "Motion", "WarpingNODE", "Dataset"], path: "Filters", exclude: ["README.md"]),
        // The command-line tool.
        .executableTarget(
            name: "warpflow",
            dependencies: [
                "WarpFlowFilters", "Pipeline", "MediaIO", "Motion", "Raster", "Dataset",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/warpflow",
            // One JSON Schema per command's --json report (checked by ReportSchemaTests).
            exclude: ["Schemas", "README.md"]
        ),

        // Benchmarks against peers (ffmpeg CLI, OpenCV); run by `make bench`, never by tests.
        .executableTarget(
            name: "warpflow-bench",
            dependencies: ["WarpFlowFilters", "Pipeline", "MediaIO", "Motion", "Raster", "Dataset"],
            path: "Sources/warpflow-bench",
            exclude: ["README.md"]
        ),

        // MARK: - Test support and tests
        // FilterVerifier and helpers that make clips with the ffmpeg CLI at test time.
        .target(name: "WarpFlowTestSupport", dependencies: ["Pipeline", "MediaIO"], path: "Sources/WarpFlowTestSupport", exclude: ["README.md"]),
        .testTarget(name: "MediaIOTests", dependencies: ["MediaIO", "Raster", "WarpFlowTestSupport", .product(name: "PropertyBased", package: "swift-property-based")], path: "Tests/MediaIOTests"),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "WarpFlowFilters", "Motion", "Raster", "Dataset", "WarpFlowTestSupport"], path: "Tests/PipelineTests"),
        .testTarget(name: "MotionTests", dependencies: ["Motion", "Raster"], path: "Tests/MotionTests"),
        .testTarget(name: "WarpingNODETests", dependencies: ["WarpingNODE", "Motion", "Raster", "MediaIO", "WarpFlowTestSupport"], path: "Tests/WarpingNODETests"),
        .testTarget(name: "DatasetTests", dependencies: ["Dataset", "Motion", "MediaIO", "Raster", "WarpFlowTestSupport"], path: "Tests/DatasetTests"),
        .testTarget(name: "CLITests", dependencies: ["warpflow", "WarpFlowTestSupport", "Dataset"], path: "Tests/CLITests"),
    ],
    swiftLanguageModes: [.v6]
)

// MARK: - Fuzz targets (only when WARPFLOW_FUZZ=1; see Tests/Fuzz/README.md and `make fuzz`)
// libFuzzer executables, one per target, built with `-sanitize=fuzzer,address` into their own
// scratch path. Absent from the default package, so `swift build`/`swift test` never see them.
if Context.environment["WARPFLOW_FUZZ"] == "1" {
    let fuzzTargets: [(name: String, dependencies: [Target.Dependency])] = [
        ("chain", ["Pipeline", "WarpFlowFilters"]),
        ("rational", ["MediaIO"]),
        ("flo", ["Motion", "Raster"]),
        ("reader", ["MediaIO", "Raster"]),
        ("safetensors", ["Dataset"]),
        ("clipreport", ["Dataset", "Motion"]),
        ("merge", ["Dataset"]),
        ("spectrum", ["WarpFlowFilters", "Pipeline", "MediaIO"]),
    ]
    for target in fuzzTargets {
        package.targets.append(.executableTarget(name: "fuzz-\(target.name)", dependencies: target.dependencies,
                                                 path: "Tests/Fuzz/Sources/\(target.name)"))
    }
}
