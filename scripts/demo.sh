#!/usr/bin/env bash
# The store alone, on an embedded default: installs what BlockLab needs, builds it (release),
# records a synthetic training run with this machine's real hardware samples into
# ./blocklab.db of the current folder (or $BLOCKLAB_STORE), prints it as `blocklab show`
# does, then prints `blocklab runs`. Checkpoint files go to ./out/demo.
# BLOCKLAB_BIN names a `blocklab` already built: nothing is installed or built then.
# Usage: bash scripts/demo.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ -n "${BLOCKLAB_BIN:-}" ]; then
    bin="$BLOCKLAB_BIN"
else
    (cd "$root" && source scripts/setup.sh --base && bash scripts/build.sh)
    bin="$root/.build/release/blocklab"
fi
store="${BLOCKLAB_STORE:-blocklab.db}"
"$bin" demo --store "$store"
"$bin" runs --store "$store"
