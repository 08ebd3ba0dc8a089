#!/usr/bin/env bash
# Writes BlockLab's man page, blocklab.1, with swift-argument-parser's generate-manual (the
# tool its `generate-manual` plugin runs) from the commands' own help (`--experimental-dump-help`).
# Usage: bash scripts/man.sh [OUT_DIR (default .build/man)] [BLOCKLAB (default .build/release/blocklab)]
# Install:  sudo install -Dm644 .build/man/blocklab.1 /usr/local/share/man/man1/blocklab.1
# The page is dated by the commit it documents (today outside a git checkout), so two runs on
# one commit write the same file. $BLOCKLAB_GENERATE_MANUAL names a built generate-manual
# (otherwise it is built here, a few seconds once the packages are built).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-.build/man}"
blocklab="${2:-.build/release/blocklab}"
tool="${BLOCKLAB_GENERATE_MANUAL:-}"
if [ -z "$tool" ]; then
    swift build -c release --product generate-manual >&2
    tool=.build/release/generate-manual
fi
[ -x "$blocklab" ] || { echo "scripts/man.sh: $blocklab is not built: run bash scripts/build.sh (or name a built blocklab)" >&2; exit 66; }
date=$(git log -1 --format=%cs 2>/dev/null || date +%F)
mkdir -p "$out"
"$tool" "$blocklab" --output-directory "$out" --date "$date"
echo "$out/blocklab.1"
