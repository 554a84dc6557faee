#!/usr/bin/env bash
# The suite against the lowest versions pyproject.toml allows, in a fresh venv:
#   PYTHON=python3.10 bash ci/test_lowest.sh
# NumPy 2.0, array-api-compat 1.11, array-api-strict 2.6 and the test extra's other
# floors (the first releases of scikit-learn, SciPy, h5py, matplotlib and pandas built
# for NumPy 2, Pillow 10); the suite runs on NumPy and on array_api_strict, as in ci/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv-lowest}
# --clear: a venv left by an earlier run (perhaps of another Python) is made afresh
"${PYTHON:-python3}" -m venv --clear "$VENV"
. "$VENV/bin/activate"
python -m pip install --quiet --upgrade pip
python -m pip install --quiet "numpy==2.0.*" "array-api-compat==1.11.*" "array-api-strict==2.6.*" \
  "pytest==8.0.*" "pytest-xdist==3.5.*" "scikit-learn==1.4.2" "scipy==1.13.*" "h5py==3.11.*" "matplotlib==3.8.4" \
  "pillow==10.*" "pandas==2.2.2" "onnx==1.17.*" "onnxruntime==1.19.*"
python -m pip install --quiet --no-deps -e .
python -c "import numpy, array_api_compat, sys; print(sys.version.split()[0], 'numpy', numpy.__version__, 'array-api-compat', array_api_compat.__version__)"
KERASX_BACKEND=numpy python -m pytest -p no:cacheprovider -n auto --maxprocesses 4
KERASX_BACKEND=array_api_strict python -m pytest -p no:cacheprovider -n auto --maxprocesses 4
