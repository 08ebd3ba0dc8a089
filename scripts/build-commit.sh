#!/usr/bin/env bash
# Writes the commit of this checkout into Sources/BuildInfo/include/build_commit.h, which
# `blocklab version` reports as build_commit (see scripts/build.sh). Rewrites the file only
# when the value changes; "unknown" outside a git checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
commit=unknown
if head=$(git rev-parse --verify --quiet HEAD 2>/dev/null); then
    commit=$head
    git diff --quiet HEAD -- 2>/dev/null || commit="$head-dirty"
fi
header=Sources/BuildInfo/include/build_commit.h
line="#define BLOCKLAB_BUILD_COMMIT \"$commit\""
if [ ! -f "$header" ] || [ "$(cat "$header")" != "$line" ]; then
    printf '%s\n' "$line" > "$header"
    # The header that includes it is what the compiler has recorded as a dependency (the
    # first time, the file did not exist): touching it makes the next build pick the value up.
    touch Sources/BuildInfo/include/BuildInfo.h
fi
