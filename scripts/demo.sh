#!/usr/bin/env bash
# The main job on an embedded default: installs what BlockLab needs, builds it (release),
# records a synthetic training run with this machine's real hardware samples into
# ./blocklab.db (or $BLOCKLAB_STORE), and prints `blocklab runs` and `blocklab show latest`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh --base
bash scripts/build.sh
bin=.build/release/blocklab
"$bin" demo
"$bin" runs
"$bin" show latest
