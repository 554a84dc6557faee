#!/usr/bin/env bash
# The README's test command: install the test and interop extras, run the suite on the
# NumPy backend and again on array_api_strict (arrays on its non-default "device1"), each
# spread over the machine's cores by pytest-xdist (at most four workers: each also runs
# BLAS threads).
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --quiet -e ".[test,interop]"
KERASX_BACKEND=numpy python -m pytest -n auto --maxprocesses 4
KERASX_BACKEND=array_api_strict python -m pytest -n auto --maxprocesses 4
