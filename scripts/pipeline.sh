#!/usr/bin/env bash
# The main job: installs what BlockLab needs (apt), builds it (release), runs
# `blocklab pipeline --profile quick` on a repository (this
# project's own history unless a path is given), and prints where the store, model,
# manifest and report are, then `blocklab runs`.
# Usage: bash scripts/pipeline.sh [REPO] [more `blocklab pipeline` flags, e.g. --set training.max_steps=300]
# The store is $BLOCKLAB_STORE, else ./blocklab.db.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="${1:-.}"
[ $# -gt 0 ] && shift
source scripts/setup.sh --base
bash scripts/build.sh
bin=.build/release/blocklab
start=$(date +%s)
store="${BLOCKLAB_STORE:-blocklab.db}"
"$bin" pipeline --repo "$repo" --profile quick --store "$store" "$@"
echo "pipeline time: $(( $(date +%s) - start )) s" >&2
"$bin" runs --store "$store"
