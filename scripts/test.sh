#!/usr/bin/env bash
# Runs every test: installs what the tests need (scripts/setup.sh), builds, and runs
# `swift test`. Extra arguments go to `swift test` (e.g. --filter ExperimentStoreTests).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
swift build --build-tests >&2
swift test --skip-build "$@"
