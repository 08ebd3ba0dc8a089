# Shortcuts for the scripts; the scripts work without make.
.PHONY: demo test build bench bench-store

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh

build:
	swift build -c release --product blocklab

bench-store: build
	.build/release/blocklab bench store

bench: bench-store
