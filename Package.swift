// swift-tools-version: 6.1
import PackageDescription

// One module per capability; dependencies point one way (README.md, "Modules").
// Each capability declares its targets in its own list below.

let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")
let grdb: Target.Dependency = .product(name: "GRDB", package: "GRDB.swift")
let sqlite: Target.Dependency = .product(name: "GRDBSQLite", package: "GRDB.swift")
let yams: Target.Dependency = .product(name: "Yams", package: "Yams")
let subprocess: Target.Dependency = .product(name: "Subprocess", package: "swift-subprocess")
let heap: Target.Dependency = .product(name: "HeapModule", package: "swift-collections")
let systemPackage: Target.Dependency = .product(name: "SystemPackage", package: "swift-system")
let hummingbird: Target.Dependency = .product(name: "Hummingbird", package: "hummingbird")
// Hummingbird's own I/O layer and service lifecycle, named by the dashboard for a port in use
// (NIO's `IOError`) and a graceful stop (a `ServiceGroup`); already built for Hummingbird.
let nioCore: Target.Dependency = .product(name: "NIOCore", package: "swift-nio")
let serviceLifecycle: Target.Dependency = .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
// SHA-256 (store checksums) and SHA-1 (UUIDv5 point ids); on Linux it builds BoringSSL's C sources.
let crypto: Target.Dependency = .product(name: "Crypto", package: "swift-crypto")

// What tests of several modules share: temporary directories, shell scripts with a fixed git
// identity, children run with a deadline, the built executables, what a machine can do.
let testSupportTargets: [Target] = [
    .target(name: "TestSupport", path: "Tests/TestSupport"),
    .testTarget(name: "TestSupportTests", dependencies: ["TestSupport"]),
]

// The planning formulas every phase shares (epochs, warmup, batch size, learning-rate scaling).
let planTargets: [Target] = [
    .target(name: "TrainingPlan"),
    .testTarget(name: "TrainingPlanTests", dependencies: ["TrainingPlan"]),
]

// Files that appear complete or not at all (write, sync, rename, sync the directory), atomic
// symbolic links, and the clean-up of what killed processes left: a leaf every writer uses.
let durableFileTargets: [Target] = [
    .target(name: "DurableFiles"),
    .testTarget(name: "DurableFilesTests", dependencies: ["DurableFiles"]),
]

// The experiment store: the SQLite file, its schema, the run handle and read queries.
let storeTargets: [Target] = [
    // Hardware samples (CPU, RAM, RSS, temperatures, GPUs through nvidia-smi): a leaf that owns
    // the sample types; the store records them.
    .target(name: "HardwareMonitor"),
    .testTarget(name: "HardwareMonitorTests", dependencies: ["HardwareMonitor"]),
    .target(name: "ExperimentStore", dependencies: [grdb, sqlite, crypto, "HardwareMonitor", "DurableFiles"], resources: [.copy("Schema")]),
    .testTarget(name: "ExperimentStoreTests", dependencies: ["TestSupport", "ExperimentStore", "HardwareMonitor"]),
]

// Git history (libgit2).
let gitTargets: [Target] = [
    .systemLibrary(name: "CGit2", pkgConfig: "libgit2", providers: [.apt(["libgit2-dev"])]),
    .target(name: "GitHistory", dependencies: ["CGit2", "TrainingPlan", "DurableFiles"]),
    .testTarget(name: "GitHistoryTests", dependencies: ["TestSupport", "GitHistory"]),
    // Runs the built `blocklab` binary (analyse, scrape): exit codes, messages, files, store rows.
    .testTarget(name: "GitCommandTests", dependencies: ["TestSupport"]),
]
let gitCommandDependencies: [Target.Dependency] = ["GitHistory"]

// Tokenizer and dataset.
let tokenizerTargets: [Target] = [
    .target(name: "Tokenizer", dependencies: ["TrainingPlan", "DurableFiles", heap]),
    .testTarget(name: "TokenizerTests", dependencies: ["TestSupport", "Tokenizer", "TrainingPlan"]),
]
let tokenizerCommandDependencies: [Target.Dependency] = ["Tokenizer"]

// libtorch model and the training loop.
let trainingTargets: [Target] = [
    // The C API over libtorch (ctorch.h). Swift links `CTorch`, whose functions forward to
    // libBlockLabTorch.so, opened on first use, so commands that never touch a model start
    // without loading libtorch (~1 s of static initialisers). `CTorchLibrary` is ctorch.cpp
    // (the model) and ctorch_distributed.cpp (process groups on libtorch's c10d, which needs
    // libgloo-dev's headers) on Debian's libtorch-dev (CPU), built as that library (product
    // `BlockLabTorch`).
    .target(name: "CTorch", linkerSettings: [.linkedLibrary("dl")]),
    .target(
        name: "CTorchLibrary",
        // include/ links to CTorch's ctorch.h, the one declaration of the API.
        cxxSettings: [.unsafeFlags(["-std=c++17", "-I/usr/include/torch/csrc/api/include", "-O2",
                                    "-Wno-deprecated-declarations"])],
        // -Bsymbolic: the library's own calls never bind to the loader's functions of the same names.
        linkerSettings: [.linkedLibrary("torch"), .linkedLibrary("torch_cpu"), .linkedLibrary("c10"),
                         .unsafeFlags(["-Xlinker", "-Bsymbolic"])]
    ),
    .target(name: "Torch", dependencies: ["CTorch"]),
    .target(name: "Training", dependencies: ["Torch", "Tokenizer", "ExperimentStore", "HardwareMonitor", "TrainingPlan", "DurableFiles", yams]),
    .testTarget(name: "TrainingTests", dependencies: ["TestSupport", "Training", "Torch", "ExperimentStore", "TrainingPlan", "DurableFiles"]),
]
let trainingCommandDependencies: [Target.Dependency] = ["Training", "Torch"]

// The live dashboard, its JSON API and the self-contained HTML report (Hummingbird).
let dashboardTargets: [Target] = [
    .target(name: "Dashboard", dependencies: ["ExperimentStore", "HardwareMonitor", hummingbird, nioCore, serviceLifecycle], resources: [.copy("Assets")]),
    // A real server on 127.0.0.1, real HTTP, real store files; browser tests drive Debian's chromium.
    .testTarget(name: "DashboardTests", dependencies: ["TestSupport", "Dashboard", "ExperimentStore", "HardwareMonitor"]),
]
let dashboardCommandDependencies: [Target.Dependency] = ["Dashboard"]

// Phase 3: commit embeddings (a sentence encoder on libtorch), Qdrant's REST API over libcurl.
let embeddingTargets: [Target] = [
    .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
    .target(name: "Qdrant", dependencies: ["CCurl", crypto]),
    // Qdrant's REST API on qdrant-edge-py (Python), validated against Qdrant's OpenAPI spec; for tests and `bench embed`.
    .target(name: "QdrantTestSupport", dependencies: ["Qdrant", "TestSupport"], path: "Tests/QdrantTestSupport",
            exclude: ["qdrant_test_server.py", "qdrant_contract.py", "qdrant_filter.py", "openapi.json"]),
    .testTarget(name: "QdrantTests", dependencies: ["Qdrant", "QdrantTestSupport"]),
    .target(name: "Embedding", dependencies: ["Torch", "Tokenizer", "ExperimentStore", "Qdrant"]),
    .testTarget(name: "EmbeddingTests", dependencies: ["TestSupport", "Embedding", "Torch", "Tokenizer", "ExperimentStore", "Qdrant",
                                                       "QdrantTestSupport"]),
]
let embeddingCommandDependencies: [Target.Dependency] = ["Embedding", "Qdrant"]

// Benchmarks: one file per benchmark and one support file; their Python peers are scripts/bench/*.py.
let benchTargets: [Target] = [
    .target(name: "Benchmarks", dependencies: [argumentParser, subprocess, "StoreCommands", "ExperimentStore", "HardwareMonitor", "TrainingPlan",
                                               "GitHistory", "Tokenizer", "Training", "Dashboard", "Torch", "Embedding", "Qdrant"]),
    .testTarget(name: "BenchmarksTests", dependencies: ["TestSupport", "Benchmarks", "ExperimentStore"]),
]

// The pipeline: the phases as types, their sequencing and reuse, the one config.
let pipelineTargets: [Target] = [
    .target(name: "Pipeline", dependencies: ["ExperimentStore", "GitHistory", "Tokenizer", "Training", "Torch", "Embedding",
                                             "Qdrant", "DurableFiles", "TrainingPlan"]),
    // Real repositories made by git in the test, a real store, libtorch training.
    .testTarget(name: "PipelineTests", dependencies: ["TestSupport", "Pipeline", "ExperimentStore", "Training", "GitHistory", "Tokenizer"]),
]
let pipelineCommandDependencies: [Target.Dependency] = ["Pipeline"]

// The launcher links the Swift runtime and Foundation statically: it then resolves a few
// hundred symbols at start instead of thousands across 20 shared libraries, which halves
// `blocklab --version` (7 ms against 12-16 ms on this machine). Foundation's static archives
// need their C parts named, as one group so their order does not matter. `-static-stdlib`
// also exports every symbol of the binary (-export-dynamic): the 8,600 of the store, GRDB and
// ArgumentParser, and 4,200 more of swift-crypto's BoringSSL, which made the one `dladdr` at
// start scan them all (+130,000 instructions of 5 million for `--version`). The launcher loads
// no plugins, so `--no-export-dynamic` (after the driver's flag, so it wins) exports none.
let staticSwiftRuntime: [LinkerSetting] = [.unsafeFlags(
    ["-static-stdlib", "-Xlinker", "--no-export-dynamic", "-Xlinker", "--start-group"]
        + ["Foundation", "FoundationEssentials", "FoundationInternationalization", "CoreFoundation", "_FoundationICU",
           "_FoundationCShims", "_FoundationCollections", "swiftDispatch", "dispatch", "BlocksRuntime", "swiftSynchronization",
           "swift_RegexParser", "swift_StringProcessing", "swift_Concurrency", "swiftCore"].map { "-l" + $0 }
        + ["-Xlinker", "--end-group"])]

let commandTargets: [Target] = [
    // The commit BlockLab was built from (`blocklab version`): a header scripts/build.sh fills in.
    .target(name: "BuildInfo"),
    // The commands that read or edit the store (runs, show, sql, export, ...) and the output
    // conventions every command shares (--format, tables, CSV, --store): they link the store, and
    // Yams to read the one key of the config they need (store.path).
    .target(name: "StoreCommands", dependencies: [argumentParser, "ExperimentStore", "HardwareMonitor", yams]),
    // `blocklab`, the command people type: runs the store commands itself (milliseconds to start)
    // and execs `blocklab-full` beside it for every other command.
    .executableTarget(name: "blocklab", dependencies: [argumentParser, "ExperimentStore", "StoreCommands"],
                      linkerSettings: staticSwiftRuntime),
    // Every command: the pipeline, git, tokenizer, training, embeddings, dashboard, benchmarks.
    .executableTarget(
        name: "blocklab-full",
        dependencies: [argumentParser, yams, subprocess, systemPackage, "ExperimentStore", "HardwareMonitor", "TrainingPlan",
                       "DurableFiles", "Benchmarks", "StoreCommands", "BuildInfo"]
            + gitCommandDependencies + tokenizerCommandDependencies + trainingCommandDependencies
            + dashboardCommandDependencies + embeddingCommandDependencies + pipelineCommandDependencies
    ),
    // Runs the built binaries; depends on no BlockLab module (only the Qdrant test server) so it tests what a user runs.
    .testTarget(name: "blocklabTests", dependencies: ["TestSupport", "QdrantTestSupport"]),
]

let package = Package(
    name: "BlockLab",
    products: [
        .executable(name: "blocklab", targets: ["blocklab"]),
        .executable(name: "blocklab-full", targets: ["blocklab-full"]),
        .library(name: "ExperimentStore", targets: ["ExperimentStore"]),
        .library(name: "TrainingPlan", targets: ["TrainingPlan"]),
        .library(name: "HardwareMonitor", targets: ["HardwareMonitor"]),
        .library(name: "BlockLabTorch", type: .dynamic, targets: ["CTorchLibrary"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", exact: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system", exact: "1.8.1"),
        .package(url: "https://github.com/apple/swift-collections", exact: "1.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", exact: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
    ],
    targets: testSupportTargets + planTargets + durableFileTargets + storeTargets + gitTargets + tokenizerTargets + trainingTargets
        + embeddingTargets + dashboardTargets + benchTargets + pipelineTargets + commandTargets
)
