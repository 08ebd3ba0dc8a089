#!/usr/bin/env bash
# Sets up what the GitHistory tests need: the git command line (fixtures are built with it)
# and libgit2's headers (the CGit2 module). Idempotent; quick when both are there.
# `blocklab bench git` makes its own PyDriller venv (.venv-bench-git) when run.
# Exports nothing: the tests need no environment variable.
set -euo pipefail
need=()
command -v git >/dev/null 2>&1 || need+=(git)
pkg-config --exists libgit2 2>/dev/null || need+=(libgit2-dev pkg-config)
if [ ${#need[@]} -gt 0 ]; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi
