import Testing

extension Tag {
    /// Tests that train a model for more than a few steps or call Python.
    @Tag static var slow: Self
}

/// The suites that use libtorch. They run in parallel with each other and with every other
/// suite: each model owns its generator and each thread its libtorch thread count
/// (IsolationTests holds both), so no test can change another's numbers.
@Suite enum LibtorchTests {}
