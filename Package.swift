// swift-tools-version:6.0
// warpflow: video motion toolkit over FFmpeg's C libraries.
import PackageDescription

let package = Package(
    name: "warpflow",
    platforms: [.macOS(.v13)],
    // MARK: - Public API
    products: [
        .library(name: "WarpFlow", targets: ["MediaIO", "Raster", "Flow", "Spectral", "Tensors", "WarpingNODE", "Pipeline", "FrameRateJob", "LoopJob", "DatasetJob", "AnimateJob", "PokeJob", "WarpFlowFilters"]),
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

        // MARK: - Toolkits (lowest first): generic, job-agnostic
        // Raster: FFmpeg-free image maths on planar Float images and displacement fields.
        .target(name: "Raster", path: "Sources/Raster", exclude: ["README.md"]),
        // MediaIO: decode, encode (MP4 and GIF), frames, swscale conversion to Raster images,
        // libavutil's FFT. The only module that talks to FFmpeg.
        .target(name: "MediaIO", dependencies: ["CFFmpeg", "Raster"], path: "Sources/MediaIO", exclude: ["README.md"]),
        // Flow: optical flow estimation, flow fields, `.flo` files, occlusion, scene detection.
        .target(name: "Flow", dependencies: ["Raster"], path: "Sources/Flow", exclude: ["README.md"]),
        // Spectral: per-pixel trajectories with their confidence, camera fit, truncated DFT
        // kernels, motion spectra, histograms and normalisation.
        .target(name: "Spectral", dependencies: ["Flow", "Raster"], path: "Sources/Spectral", exclude: ["README.md"]),
        // Tensors: safetensors files (reader, writer, float16/bfloat16) and atomic data-file I/O
        // (temporaries registered with MediaIO's LiveTemporaries, so an interrupt removes them).
        .target(name: "Tensors", dependencies: ["MediaIO"], path: "Sources/Tensors", exclude: ["README.md"]),
        // WarpingNODE: stationary velocity fields, their integration into diffeomorphic warps,
        // the per-pair fit and the frame interpolator that renders any time t in YUV.
        .target(name: "WarpingNODE", dependencies: ["Raster", "Flow", "MediaIO"], path: "Sources/WarpingNODE", exclude: ["README.md"]),
        // Pipeline: the filter protocol, registry, chain parser, chain driver and streaming runner.
        .target(name: "Pipeline", dependencies: ["MediaIO", "Raster"], path: "Sources/Pipeline", exclude: ["README.md"]),

        // MARK: - Jobs: one module each, over the toolkits
        // Frame-rate upscaling: the `fps` filter.
        .target(name: "FrameRateJob", dependencies: ["Pipeline", "MediaIO", "Raster", "Flow", "WarpingNODE"],
                path: "Sources/Jobs/FrameRate", exclude: ["README.md"]),
        // Seamless loops: the `loop` filter, its planner, motion resynthesis, guards, renderer and
        // spectrum file.
        .target(name: "LoopJob", dependencies: ["Pipeline", "MediaIO", "Raster", "Flow", "Spectral", "Tensors"],
                path: "Sources/Jobs/Loop", exclude: ["README.md"]),
        // Training sets from clips (trajectories, motion spectra, shards, manifests, mergeable
        // statistics, sharding over a cluster).
        .target(name: "DatasetJob", dependencies: ["MediaIO", "Raster", "Flow", "Spectral", "Tensors"],
                path: "Sources/Jobs/Dataset", exclude: ["README.md"]),

        // Animations between two pictures (Image2Gif): conformed pictures, a velocity field
        // searched far and kept fold-free at every frame's time.
        .target(name: "AnimateJob", dependencies: ["Pipeline", "MediaIO", "Raster", "Flow", "WarpingNODE"],
                path: "Sources/Jobs/Animate", exclude: ["README.md"]),

        // Interactive dynamics on a still: a spectrum as a modal basis, pokes, damped modes,
        // rendered by the loop job's splatting.
        .target(name: "PokeJob", dependencies: ["LoopJob", "Pipeline", "MediaIO", "Raster", "Flow", "Spectral"],
                path: "Sources/Jobs/Poke", exclude: ["README.md"]),

        // The generic built-in filters and the standard registry of every built-in (the one
        // place that lists the jobs' filters too).
        .target(name: "WarpFlowFilters", dependencies: ["Pipeline", "MediaIO", "Raster", "Flow", "FrameRateJob", "LoopJob"],
                path: "Filters", exclude: ["README.md"]),
        // The command-line tool: one file per job.
        .executableTarget(
            name: "warpflow",
            dependencies: [
                "WarpFlowFilters", "FrameRateJob", "LoopJob", "DatasetJob", "AnimateJob", "PokeJob", "Pipeline", "MediaIO", "Flow", "Spectral",
                "Tensors", "Raster",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/warpflow",
            // One JSON Schema per command's --json report (checked by ReportSchemaTests).
            exclude: ["Schemas", "README.md"]
        ),

        // Benchmarks against peers (ffmpeg CLI, OpenCV); run by `make bench`, never by tests.
        .executableTarget(
            name: "warpflow-bench",
            dependencies: ["WarpFlowFilters", "Pipeline", "MediaIO", "Flow", "Spectral", "Tensors", "Raster", "DatasetJob"],
            path: "Sources/warpflow-bench",
            exclude: ["README.md"]
        ),

        // MARK: - Test support and tests
        // FilterVerifier and helpers that make clips with the ffmpeg CLI at test time.
        .target(name: "WarpFlowTestSupport", dependencies: ["Pipeline", "MediaIO"], path: "Sources/WarpFlowTestSupport", exclude: ["README.md"]),
        .testTarget(name: "MediaIOTests", dependencies: ["MediaIO", "Raster", "WarpFlowTestSupport", .product(name: "PropertyBased", package: "swift-property-based")], path: "Tests/MediaIOTests"),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "WarpFlowFilters", "FrameRateJob", "LoopJob", "Flow", "Spectral", "Tensors", "MediaIO", "Raster", "WarpFlowTestSupport"], path: "Tests/PipelineTests"),
        .testTarget(name: "MotionTests", dependencies: ["Flow", "Spectral", "Raster"], path: "Tests/MotionTests"),
        .testTarget(name: "LoopJobTests", dependencies: ["LoopJob", "Flow", "Spectral", "Raster"], path: "Tests/LoopJobTests"),
        .testTarget(name: "WarpingNODETests", dependencies: ["WarpingNODE", "Flow", "Raster", "MediaIO", "WarpFlowTestSupport"], path: "Tests/WarpingNODETests"),
        .testTarget(name: "DatasetTests", dependencies: ["DatasetJob", "Tensors", "Flow", "Spectral", "MediaIO", "Raster", "WarpFlowTestSupport"], path: "Tests/DatasetTests"),
        .testTarget(name: "AnimateJobTests", dependencies: ["AnimateJob", "MediaIO", "Raster", "WarpFlowTestSupport"], path: "Tests/AnimateJobTests"),
        .testTarget(name: "PokeJobTests", dependencies: ["PokeJob", "LoopJob", "Spectral", "Flow", "MediaIO", "Raster"], path: "Tests/PokeJobTests"),
        .testTarget(name: "CLITests", dependencies: ["warpflow", "WarpFlowTestSupport", "DatasetJob", "Tensors", "LoopJob", "MediaIO", "Raster"], path: "Tests/CLITests",
                    exclude: ["HelpSnapshots"]),
    ],
    swiftLanguageModes: [.v6]
)

// MARK: - Fuzz targets (only when WARPFLOW_FUZZ=1; see Tests/Fuzz/README.md and `make fuzz`)
// libFuzzer executables, one per target, built with `-sanitize=fuzzer,address` into their own
// scratch path. Absent from the default package, so `swift build`/`swift test` never see them.
if Context.environment["WARPFLOW_FUZZ"] == "1" {
    let fuzzTargets: [(name: String, dependencies: [Target.Dependency])] = [
        ("chain", ["Pipeline", "WarpFlowFilters", "FrameRateJob", "LoopJob"]),
        ("rational", ["MediaIO"]),
        ("flo", ["Flow", "Raster"]),
        ("reader", ["MediaIO", "Raster"]),
        ("safetensors", ["Tensors"]),
        ("clipreport", ["DatasetJob", "Tensors", "Flow", "Spectral"]),
        ("merge", ["DatasetJob", "Tensors"]),
        ("spectrum", ["LoopJob", "Pipeline", "MediaIO"]),
        ("jobargs", ["AnimateJob", "PokeJob"]),
    ]
    for target in fuzzTargets {
        package.targets.append(.executableTarget(name: "fuzz-\(target.name)", dependencies: target.dependencies,
                                                 path: "Tests/Fuzz/Sources/\(target.name)"))
    }
}
