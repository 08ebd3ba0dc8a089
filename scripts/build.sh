#!/usr/bin/env bash
# Builds BlockLab's three release products into .build/release: `blocklab` (the command
# people type; runs the store commands itself), `blocklab-full` (every other command, which
# `blocklab` execs) and libBlockLabTorch.so (the libtorch model code the model commands
# open on first use). SwiftPM builds one product per call; on a built tree each takes ~1 s.
set -euo pipefail
cd "$(dirname "$0")/.."
for product in blocklab blocklab-full BlockLabTorch; do
    swift build -c release --product "$product" >&2
done
