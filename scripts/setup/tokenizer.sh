#!/usr/bin/env bash
# Sets up what the Tokenizer tests need: Hugging Face `tokenizers` and `transformers` (for
# GPT2TokenizerFast; no PyTorch) from PyPI in .venv-tok/.
# Idempotent and quick when already installed. The last line printed is the export that
# scripts/test.sh evaluates: BLOCKLAB_TOKENIZERS_PYTHON, the venv's python.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=.venv-tok
if ! "$venv/bin/python" -c 'import tokenizers, transformers' >/dev/null 2>&1; then
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'tokenizers>=0.20' transformers >&2
fi
echo "export BLOCKLAB_TOKENIZERS_PYTHON=$PWD/$venv/bin/python"
