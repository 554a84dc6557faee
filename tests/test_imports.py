"""The shared code path is array-API only, and importing kerasx stays light."""

import os
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "kerasx"
ALLOWED = ("backends", "testing")
IMPORT = re.compile(r"^\s*(import (numpy|cupy|cupyx)\b|from (numpy|cupy|cupyx)[ .])", re.M)


def test_only_backends_import_numpy_or_cupy():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] in ALLOWED:
            continue
        for match in IMPORT.finditer(path.read_text()):
            offenders.append(f"{rel}: {match.group(0).strip()}")
    assert offenders == [], "numpy/cupy imported outside kerasx/backends:\n" + "\n".join(offenders)


def test_import_kerasx_pulls_in_no_heavy_library():
    code = ("import sys, kerasx\n"
            "heavy = ['cupy', 'cupyx', 'torch', 'jax', 'tensorflow', 'h5py', 'matplotlib', "
            "'sklearn', 'scipy', 'array_api_strict', 'flax', 'orbax']\n"
            "print(','.join(m for m in heavy if m in sys.modules))")
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("KERASX_BACKEND", None)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True).stdout.strip()
    assert out == ""
