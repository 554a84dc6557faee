#!/usr/bin/env bash
# GPU check, run on a CUDA machine with CuPy and PyTorch installed and no network:
#   bash ci/gpu.sh [RESULTS_DIR]
# kerasx's pure-Python dependencies that the machine lacks travel as wheels in .whl/
# (see benchmarks/README.md). Results go to RESULTS_DIR (default: $OUT, else gpu-results/).
# The whole check ends within about 7 minutes: the demo and the NumPy-vs-CuPy parity check
# run beside the test suite (in parallel workers where pytest-xdist is installed), then the
# CuPy-vs-PyTorch benchmark runs alone. Every stage writes its own log, so a stage that
# runs out of time still leaves what it printed.
set -uo pipefail
cd "$(dirname "$0")/.."
RESULTS=${1:-${OUT:-gpu-results}}
mkdir -p "$RESULTS"
export PYTHONUNBUFFERED=1
if compgen -G ".whl/*.whl" > /dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/kerasx-site .whl/*.whl
  export PYTHONPATH=/tmp/kerasx-site
fi
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
{
  date -u
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
  python3 -c "import cupy, numpy, torch; print('cupy', cupy.__version__, 'numpy', numpy.__version__, 'torch', torch.__version__)"
  python3 -c "import array_api_compat; print('array-api-compat', array_api_compat.__version__)"
  nproc
} > "$RESULTS/environment.txt" 2>&1

stage() {  # stage NAME SECONDS COMMAND...: runs COMMAND with a limit, logs to NAME.log
  local name=$1 limit=$2; shift 2
  local start=$SECONDS
  timeout "$limit" "$@" > "$RESULTS/$name.log" 2>&1
  local rc=$?
  echo "[$name: exit $rc after $((SECONDS - start)) s]" >> "$RESULTS/$name.log"
  return $rc
}

status=0
KERASX_BACKEND=cupy stage demo-cupy 120 python3 examples/digits_mlp.py & demo=$!
stage parity 120 python3 ci/gpu_parity.py & parity=$!

workers=()
if python3 -c "import xdist" 2> /dev/null; then workers=(-n 12); fi
per_test=()
if python3 -c "import pytest_timeout" 2> /dev/null; then per_test=(--timeout 90); fi
KERASX_BACKEND=cupy stage pytest-cupy 240 python3 -m pytest -p no:cacheprovider \
  "${workers[@]}" "${per_test[@]}" -rfE --tb=short --junitxml="$RESULTS/pytest-cupy.xml" || status=1
wait $demo || status=1
wait $parity || status=1
for name in pytest-cupy demo-cupy parity; do tail -n 3 "$RESULTS/$name.log"; done

stage benchmarks-cuda 150 python3 -m benchmarks.run --device cuda --batch-size 1024 \
  --repeats 2 --output "$RESULTS/benchmarks-cuda.json" || status=1
tail -n 14 "$RESULTS/benchmarks-cuda.log"
exit $status
