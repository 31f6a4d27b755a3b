// swift-tools-version:6.0
// A third-party package that extends warpflow with its own filter plugin.
import PackageDescription

let package = Package(
    name: "CustomFilter",
    dependencies: [
        // Your own project would use .package(url: "…/warpflow", from: "0.1.0").
        .package(name: "warpflow", path: "../.."),
    ],
    targets: [
        // The plugin: a type conforming to VideoFilter.
        .target(name: "InvertFilter", dependencies: [.product(name: "WarpFlow", package: "warpflow")]),
        // A tool that registers it beside the built-ins and runs a chain.
        .executableTarget(name: "custom-filter", dependencies: ["InvertFilter", .product(name: "WarpFlow", package: "warpflow")]),
        // The README's library example, compiled so the README stays true to the API.
        .executableTarget(name: "library-tour", dependencies: [.product(name: "WarpFlow", package: "warpflow")]),
    ],
    swiftLanguageModes: [.v6]
)
