#!/usr/bin/env bash
# Runs every test: installs what the tests need (scripts/setup.sh), builds, and runs
# `swift test`. Extra arguments go to `swift test` (e.g. --filter ExperimentStoreTests).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
bash scripts/build-commit.sh   # `blocklab version`'s build_commit (see scripts/build.sh)
swift build --build-tests >&2
swift build --product generate-manual >&2   # the man page's generator, which a test runs
swift test --skip-build "$@"
