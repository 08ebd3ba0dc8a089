import Training

extension PipelineConfig {
    /// The profiles every config has, so `--profile quick` works where no config file is
    /// (BlockLab installed, run from any folder). A config file's `profiles` section adds
    /// others and may redefine these: its entry of a name replaces the built-in one whole.
    /// `training_config.yaml` writes these two out as they are here (a test holds them equal).
    ///
    /// - `full`: nothing changed: the sections as written (GPT-2 124M on 2048-token sequences).
    /// - `quick`: minutes on 2 CPU cores: a tiny model, a small vocabulary, 150 steps, no embed
    ///   (its cost grows with the commits, uncapped; add it with `--phases`).
    public static var builtInProfiles: [String: [String: Any]] {
        [
            "full": [:],
            "quick": [
                "pipeline.phases": ["analyse", "scrape", "tokenize", "train", "push"],
                "tokenizer.vocab_size": 1024,
                "dataset.sequence_length": 129,
                "model.preset": "tiny",
                "model.n_positions": 128,
                "training.base_learning_rate": 2e-3,
                "training.warmup_steps_min": 10,
                "training.eval_every_steps": 50,
                "training.eval_max_batches": 8,
                "training.max_steps": 150,
                "training.progress_every_steps": 25,
            ],
        ]
    }
}
