// swift-tools-version: 6.1
import PackageDescription

// One module per capability; dependencies point one way (see DESIGN.md, "Modules").
// Each capability declares its targets in its own list below.

let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")
let grdb: Target.Dependency = .product(name: "GRDB", package: "GRDB.swift")
let sqlite: Target.Dependency = .product(name: "GRDBSQLite", package: "GRDB.swift")
let yams: Target.Dependency = .product(name: "Yams", package: "Yams")
let subprocess: Target.Dependency = .product(name: "Subprocess", package: "swift-subprocess")

// The planning formulas every phase shares (epochs, warmup, batch size, learning-rate scaling).
let planTargets: [Target] = [
    .target(name: "TrainingPlan"),
    .testTarget(name: "TrainingPlanTests", dependencies: ["TrainingPlan"]),
]

// The experiment store: the SQLite file, its schema, the run handle and read queries.
let storeTargets: [Target] = [
    .target(name: "ExperimentStore", dependencies: [grdb, sqlite], resources: [.copy("Schema")]),
    .testTarget(name: "ExperimentStoreTests", dependencies: ["ExperimentStore"]),
    // Hardware samples: CPU, RAM, RSS, temperatures, GPUs (nvidia-smi).
    .target(name: "HardwareMonitor", dependencies: ["ExperimentStore"]),
    .testTarget(name: "HardwareMonitorTests", dependencies: ["HardwareMonitor"]),
]

// Git history (libgit2).
let gitTargets: [Target] = [
    .systemLibrary(name: "CGit2", pkgConfig: "libgit2", providers: [.apt(["libgit2-dev"])]),
    .target(name: "GitHistory", dependencies: ["CGit2", "TrainingPlan"]),
    .testTarget(name: "GitHistoryTests", dependencies: ["GitHistory"]),
    // Runs the built `blocklab` binary (analyse, scrape): exit codes, messages, files, store rows.
    .testTarget(name: "GitCommandTests"),
]
let gitCommandDependencies: [Target.Dependency] = ["GitHistory"]

// Tokenizer and dataset.
let tokenizerTargets: [Target] = [
    .target(name: "Tokenizer", dependencies: ["TrainingPlan"]),
    .testTarget(name: "TokenizerTests", dependencies: ["Tokenizer", "TrainingPlan"]),
]
let tokenizerCommandDependencies: [Target.Dependency] = ["Tokenizer"]

// libtorch model and the training loop.
let trainingTargets: [Target] = [
    // Debian's libtorch-dev (CPU); its C++ API headers live outside the default include path.
    .target(
        name: "CTorch",
        cxxSettings: [.unsafeFlags(["-std=c++17", "-I/usr/include/torch/csrc/api/include", "-O2",
                                    "-Wno-deprecated-declarations"])],
        linkerSettings: [.linkedLibrary("torch"), .linkedLibrary("torch_cpu"), .linkedLibrary("c10")]
    ),
    .target(name: "Torch", dependencies: ["CTorch"]),
    .target(name: "Training", dependencies: ["Torch", "Tokenizer", "ExperimentStore", "HardwareMonitor", "TrainingPlan", yams]),
    .testTarget(name: "TrainingTests", dependencies: ["Training", "Torch", "ExperimentStore", "TrainingPlan"]),
]
let trainingCommandDependencies: [Target.Dependency] = ["Training", "Torch"]

// Benchmarks: one file per benchmark and one support file; their Python peers are scripts/bench/*.py.
let benchTargets: [Target] = [
    .target(name: "Benchmarks", dependencies: [argumentParser, subprocess, "ExperimentStore", "HardwareMonitor", "TrainingPlan",
                                               "GitHistory", "Tokenizer", "Training"]),
    .testTarget(name: "BenchmarksTests", dependencies: ["Benchmarks", "ExperimentStore"]),
]

let commandTargets: [Target] = [
    .executableTarget(
        name: "blocklab",
        dependencies: [argumentParser, yams, "ExperimentStore", "HardwareMonitor", "TrainingPlan", "Benchmarks"]
            + gitCommandDependencies + tokenizerCommandDependencies + trainingCommandDependencies
    ),
    // Runs the built binary; depends on no module so it tests what a user runs.
    .testTarget(name: "blocklabTests"),
]

let package = Package(
    name: "BlockLab",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "blocklab", targets: ["blocklab"]),
        .library(name: "ExperimentStore", targets: ["ExperimentStore"]),
        .library(name: "TrainingPlan", targets: ["TrainingPlan"]),
        .library(name: "HardwareMonitor", targets: ["HardwareMonitor"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", exact: "1.0.2"),
    ],
    targets: planTargets + storeTargets + gitTargets + tokenizerTargets + trainingTargets + benchTargets + commandTargets
)
