import Testing

extension Tag {
    /// Tests that train a model for more than a few steps or call Python.
    @Tag static var slow: Self
}
