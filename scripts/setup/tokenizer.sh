#!/usr/bin/env bash
# Sets up what the Tokenizer tests need: Hugging Face `tokenizers` and `transformers` (for
# GPT2TokenizerFast; no PyTorch) from PyPI in .venv-tok/, pinned like every other peer, so
# the reference the ids are compared with is the same on every machine.
# Idempotent and quick when already installed. The last line printed is the export that
# scripts/test.sh evaluates: BLOCKLAB_TOKENIZERS_PYTHON, the venv's python.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=.venv-tok
pins=("tokenizers==0.23.3" "transformers==5.25.0" "huggingface-hub==2.5.0")
if ! "$venv/bin/python" -c 'import sys, tokenizers, transformers, huggingface_hub as h
sys.exit(not (tokenizers.__version__, transformers.__version__, h.__version__) == ("0.23.3", "5.25.0", "2.5.0"))' >/dev/null 2>&1; then
    echo "tokenizer set-up: creating $venv" >&2
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check "${pins[@]}" >&2
fi
echo "export BLOCKLAB_TOKENIZERS_PYTHON=$PWD/$venv/bin/python"
