#!/usr/bin/env bash
# Summaries on a CUDA GPU: a facebook/bart-large-cnn-shaped model (random weights, benchmarks/shapes.py),
# beam 4, 32 new tokens each, the per-document `generate` loop against `summarizer.backend: transformers`
# and `summarizer.backend: ctranslate2`, in bfloat16 and in float16; prints a table with docs/s per arm.
# About 3-4 minutes on one H100/H200-class GPU (each run is capped at 150 s).
#
#   benchmarks/gpu.sh                      # PYTHON=... for another interpreter, WORKDIR=... for the models
#
# Needs a CUDA build of torch and ctranslate2 (pip install ".[fast]") in that interpreter.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
WORK=${WORKDIR:-/tmp/peninsula-bench}
"$PY" - <<'CHECK'
import sys
import torch
import ctranslate2
if not torch.cuda.is_available() or ctranslate2.get_cuda_device_count() == 0:
    sys.exit("benchmarks/gpu.sh needs a CUDA device, a CUDA build of torch and ctranslate2 with CUDA")
print(torch.cuda.get_device_name(0), "torch", torch.__version__, "ctranslate2", ctranslate2.__version__)
CHECK
for dtype in bfloat16 float16; do
  echo
  echo "== runtime.dtype ${dtype}, CTranslate2 compute_type ${dtype}"
  timeout 150 "$PY" benchmarks/summary_speed.py --device cuda --dtype "$dtype" --compute-types "$dtype" \
    --model bart-large --articles 32 --repetitions 3 --workdir "$WORK"
done
