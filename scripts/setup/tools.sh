#!/usr/bin/env bash
# Set-up for the command-line tools the tests run beside BlockLab: idempotent, quick when
# already installed. Exports nothing.
#  - curl: PipelineQdrantTests reads Qdrant's REST API with it, independently of BlockLab's client.
#  - binutils: readelf, with which StartupTests reads the binaries' dynamic sections.
#  - mount: mount and umount, for the tmpfs of the full-disk and read-only-directory tests
#    (they also need root or CAP_SYS_ADMIN, and are skipped, saying so, without it).
#  - util-linux: setsid, with which TestChildTests starts a process outside its parent's group.
set -euo pipefail
need=()
for pkg in curl binutils mount util-linux; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "tools set-up: installing ${need[*]}" >&2
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi
