#!/usr/bin/env bash
# Installs what BlockLab needs on a Debian 12 machine with Swift, and nothing when it is
# already there (quick on the second run). Usage: `source scripts/setup.sh [--base]`.
#   --base  only the system libraries BlockLab links (for building and the demo);
#   default also runs every scripts/setup/*.sh (test peers: Python venvs, apt packages)
#           and exports the variables they print (e.g. BLOCKLAB_TOKENIZERS_PYTHON).
set -euo pipefail
_blocklab_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

_blocklab_need=()
for pkg in libsqlite3-dev libgit2-dev libtorch-dev libgloo-dev libopenblas0-openmp libcurl4-openssl-dev \
           libjs-dygraphs python3-venv pkg-config git sqlite3; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || _blocklab_need+=("$pkg")
done
if [ ${#_blocklab_need[@]} -gt 0 ]; then
    echo "blocklab set-up: installing ${_blocklab_need[*]} (apt)" >&2
    _sudo=""; [ "$(id -u)" -ne 0 ] && _sudo="sudo"
    $_sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $_sudo apt-get install -y -qq --no-install-recommends "${_blocklab_need[@]}" >&2
fi

if [ "${1:-}" != "--base" ]; then
    for script in "$_blocklab_root"/scripts/setup/*.sh; do
        [ -e "$script" ] || continue
        while IFS= read -r line; do
            case "$line" in export\ *) eval "$line" ;; esac
        done < <(bash "$script")
    done
fi
