#!/usr/bin/env bash
# GPU check, run on a CUDA machine with CuPy and PyTorch installed and no network:
#   bash ci/gpu.sh [RESULTS_DIR]
# kerasx's pure-Python dependencies that the machine lacks travel as wheels in .whl/
# (see benchmarks/README.md). Results go to RESULTS_DIR (default: $OUT, else gpu-results/).
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
} > "$RESULTS/environment.txt" 2>&1
status=0
KERASX_BACKEND=cupy timeout 300 python3 -m pytest -q -p no:cacheprovider \
  --junitxml="$RESULTS/pytest-cupy.xml" > "$RESULTS/pytest-cupy.log" 2>&1 || status=1
tail -n 3 "$RESULTS/pytest-cupy.log"
KERASX_BACKEND=cupy timeout 120 python3 examples/digits_mlp.py > "$RESULTS/demo-cupy.log" 2>&1 || status=1
tail -n 1 "$RESULTS/demo-cupy.log"
timeout 120 python3 ci/gpu_parity.py > "$RESULTS/parity.log" 2>&1 || status=1
tail -n 2 "$RESULTS/parity.log"
if [ -f benchmarks/run.py ]; then
  timeout 240 python3 -m benchmarks.run --device cuda --batch-size 1024 \
    --output "$RESULTS/benchmarks-cuda.json" > "$RESULTS/benchmarks-cuda.log" 2>&1 || status=1
  tail -n 12 "$RESULTS/benchmarks-cuda.log"
fi
exit $status
