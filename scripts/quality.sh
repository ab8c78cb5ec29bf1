#!/usr/bin/env bash
# The README's quality table: every QA set through `eval predict` and `eval score`, both modes.
# Own splits from data/qa/, development sets from ../shared/eval/ (measured, never fitted).
# Writes reports/quality/<set>_<mode>.txt (and the predictions beside them, git-ignored).
# Usage: bash scripts/quality.sh [generative|extractive ...]   (default: both)
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False
PY=.venv/bin/python
out=reports/quality
mkdir -p "$out"
sets=(
  "report_tune data/qa/report_tune.jsonl data/corpus"
  "report_test data/qa/report_test.jsonl data/corpus"
  "dev ../shared/eval/dev.jsonl data/corpus"
  "laws_tune data/qa/laws_tune.jsonl data/laws"
  "laws_test data/qa/laws_test.jsonl data/laws"
  "laws_dev ../shared/eval/laws_dev.jsonl data/laws"
  "dialogues_tune data/qa/dialogues_tune.jsonl data/corpus data/laws"
  "dialogues_test data/qa/dialogues_test.jsonl data/corpus data/laws"
)
modes=("$@")
((${#modes[@]})) || modes=(extractive generative)
for mode in "${modes[@]}"; do
  for entry in "${sets[@]}"; do
    read -r name qa corpus <<<"$entry"
    [ -f "$qa" ] || { echo "skipping $name: $qa not found"; continue; }
    $PY -m eval predict --qa "$qa" --out "$out/preds_${name}_${mode}.jsonl" --mode "$mode" --corpus $corpus
    $PY -m eval score --qa "$qa" --pred "$out/preds_${name}_${mode}.jsonl" | tee "$out/${name}_${mode}.txt" | tail -1
  done
done
