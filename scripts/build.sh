#!/usr/bin/env bash
# Builds BlockLab's three release products into .build/release: `blocklab` (the command
# people type; runs the store commands itself), `blocklab-full` (every other command, which
# `blocklab` execs) and libBlockLabTorch.so (the libtorch model code the model commands
# open on first use). SwiftPM builds one product per call; on a built tree each takes ~1 s.
#
# First it records the commit being built (`blocklab version`'s build_commit) in
# Sources/BuildInfo/include/build_commit.h (git-ignored): the full hash, "-dirty" when
# tracked files differ from it, "unknown" outside a git checkout. The file is rewritten only
# when that changes, so a rebuild of the same commit recompiles nothing, and nothing else
# (no time, no host) goes in, so two builds of one commit are alike.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build-commit.sh
for product in blocklab blocklab-full BlockLabTorch; do
    swift build -c release --product "$product" >&2
done
