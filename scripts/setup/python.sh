#!/usr/bin/env bash
# Set-up for the Python package's tests (python/, docs/python.md): idempotent, quick when
# already installed.
#  - .venv-python: a venv over /usr/bin/python3 (--system-site-packages, so it sees Debian's
#    python3-torch) with a transformers release that supports torch 1.13 and the accelerate
#    its Trainer needs, pinned: the Hugging Face callback is tested on a tiny model trained a
#    few steps, and examples/pytorch_train.py runs on its torch. The package itself is not
#    installed here (the tests put python/ on PYTHONPATH; one test installs it into a fresh
#    venv with `pip install ./python`).
# The last line prints `export BLOCKLAB_PYTHON_PYTHON=...` for scripts/test.sh to eval.
set -euo pipefail
cd "$(dirname "$0")/../.."

need=()
for pkg in python3-torch python3-venv; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "python set-up: installing ${need[*]}" >&2
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

venv=.venv-python
if ! "$venv/bin/python" -c "import torch, transformers, accelerate; assert transformers.__version__ == '4.40.2'" 2>/dev/null; then
    echo "python set-up: creating $venv" >&2
    /usr/bin/python3 -m venv --system-site-packages "$venv" >&2
    "$venv/bin/pip" install -q --disable-pip-version-check \
        "transformers==4.40.2" "tokenizers==0.19.1" "safetensors==0.4.3" "huggingface-hub==0.23.4" \
        "accelerate==0.30.1" "numpy<2" >&2
fi
echo "export BLOCKLAB_PYTHON_PYTHON=$(pwd)/$venv/bin/python"
