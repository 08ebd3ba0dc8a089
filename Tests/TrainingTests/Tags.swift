import Testing

extension Tag {
    /// Tests that train a model for more than a few steps or call Python.
    @Tag static var slow: Self
}

/// The suites that use libtorch run one test at a time: its generator and thread count are
/// process-wide, and the determinism and resume tests reseed it between steps.
@Suite(.serialized) enum LibtorchTests {}
