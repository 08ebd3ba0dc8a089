# Shortcuts for the scripts; the scripts work without make.
# `make bench` runs the five benchmarks that need no model or browser set-up (store, git, tokenizer,
# train, cli; `blocklab bench --help` lists all eight); REPO is the repository `bench git` and
# `bench tokenizer` read.
REPO ?= .
BLOCKLAB = .build/release/blocklab
.PHONY: pipeline demo test build bench bench-store bench-git bench-tokenizer bench-train bench-cli

pipeline:
	bash scripts/pipeline.sh $(REPO)

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh

build:
	bash scripts/build.sh

bench-store: build
	$(BLOCKLAB) bench store

bench-git: build
	$(BLOCKLAB) bench git --repo $(REPO)

bench-tokenizer: build
	$(BLOCKLAB) bench tokenizer --repo $(REPO)

bench-train: build
	$(BLOCKLAB) bench train

bench-cli: build
	$(BLOCKLAB) bench cli

bench: bench-store bench-git bench-tokenizer bench-train bench-cli
