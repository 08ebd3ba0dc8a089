#!/usr/bin/env bash
# Set-up for the training capability (phase 4): idempotent, quick when already installed.
#  - libtorch-dev (1.13.1, CPU) and libopenblas0-openmp: the C++ library CTorch links, and
#    the BLAS that makes it ~10x faster than the reference BLAS on this machine.
#  - libgloo-dev: the headers of Gloo, which libtorch's c10d (ProcessGroupGloo, linked in
#    libtorch_cpu.so) includes; data-parallel training compiles against them.
#  - python3-torch: Debian's PyTorch on the same libtorch build, for the Hugging Face logits
#    check and the PyTorch peer of `blocklab bench train`.
#  - .venv-train: a venv over /usr/bin/python3 (--system-site-packages, so it sees
#    python3-torch) with a transformers release that supports torch 1.13, and jsonschema,
#    which checks every exported manifest against schema/manifest.schema.json.
#  - torchrun (python3-torch's launcher): the data-parallel tests start blocklab under it.
# The last lines print `export BLOCKLAB_TORCHRUN=...`, `export BLOCKLAB_JSONSCHEMA_PYTHON=...` and (last)
# `export BLOCKLAB_TRAIN_PYTHON=...` for scripts/test.sh to eval.
set -euo pipefail
cd "$(dirname "$0")/../.."

need=()
for pkg in libtorch-dev libgloo-dev libopenblas0-openmp python3-torch python3-venv; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "training set-up: installing ${need[*]}" >&2
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

venv=.venv-train
if ! "$venv/bin/python" -c "import torch, transformers, safetensors, jsonschema" 2>/dev/null; then
    echo "training set-up: creating $venv" >&2
    /usr/bin/python3 -m venv --system-site-packages "$venv" >&2
    "$venv/bin/pip" install -q --disable-pip-version-check \
        "transformers==4.40.2" "tokenizers==0.19.1" "safetensors==0.4.3" "huggingface-hub==0.23.4" \
        "jsonschema==4.23.0" >&2
fi
echo "export BLOCKLAB_TORCHRUN=$(command -v torchrun)"
echo "export BLOCKLAB_JSONSCHEMA_PYTHON=$(pwd)/$venv/bin/python"
echo "export BLOCKLAB_TRAIN_PYTHON=$(pwd)/$venv/bin/python"
