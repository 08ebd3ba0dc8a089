#!/usr/bin/env bash
# Installs what BlockLab needs on a Debian 12 machine with Swift, and nothing when it is
# already there (quick on the second run). Usage: `source scripts/setup.sh [--base]`.
#   --base  only the system libraries BlockLab links (for building and the demo);
#   default also runs every scripts/setup/*.sh (test peers: Python venvs, apt packages)
#           and exports the variables they print (e.g. BLOCKLAB_TOKENIZERS_PYTHON).
#
# Sourced into the caller's shell, it changes nothing there but the exported variables: the
# work runs in a subshell with `set -euo pipefail` (which, set in an interactive shell,
# would close it at the next failing command), and a failure returns 1.
_blocklab_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Installs what is missing; prints the `export VAR=...` lines of the peers' set-up scripts.
_blocklab_setup() (
    set -euo pipefail

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
        # Each script's output is taken whole, so its exit status is seen (a process
        # substitution would hide it): a failing script stops the set-up, naming itself, after
        # its own messages on stderr.
        for script in "$_blocklab_root"/scripts/setup/*.sh; do
            [ -e "$script" ] || continue
            _blocklab_status=0
            _blocklab_printed="$(bash "$script")" || _blocklab_status=$?
            if [ "$_blocklab_status" -ne 0 ]; then
                echo "blocklab set-up: scripts/setup/$(basename "$script") failed (exit $_blocklab_status); its messages are above" >&2
                exit 1
            fi
            while IFS= read -r line; do
                case "$line" in export\ *) echo "$line" ;; esac
            done <<< "$_blocklab_printed"
        done
    fi
)

# A plain statement, not an `if` condition: bash ignores `set -e` inside functions called
# from one. A caller with `set -e` (scripts/test.sh) stops here when the set-up fails.
_blocklab_exports="$(_blocklab_setup "$@")"
_blocklab_status=$?
if [ "$_blocklab_status" -eq 0 ]; then
    eval "$_blocklab_exports"
fi
unset _blocklab_exports
if [ "$_blocklab_status" -ne 0 ]; then
    unset _blocklab_status
    echo "blocklab set-up failed (see above)" >&2
    return 1 2>/dev/null || exit 1
fi
unset _blocklab_status
