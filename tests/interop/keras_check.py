"""Loads `.keras` files written by kerasx in real Keras 3 and reports how they predict.

Run by `test_interop.py` with an interpreter that has keras (never imported by
the tests themselves)::

    python keras_check.py jobs.json

`jobs.json` is a list of `{"path", "data"}`: the model file and an `.npz`
with the input `x` and the expected predictions `pred_<i>`, and optionally
`step_x`, `step_y_<i>` and `after_step_<i>`: one more `train_on_batch` whose
result checks that the optimizer state came through.
Prints one JSON object: for each path, the largest differences, any
warnings Keras gave while loading and the name of each layer's dtype policy.
"""

import json
import os
import sys
import warnings

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np  # noqa: E402

import keras  # noqa: E402


def _as_list(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


def check(job):
    data = np.load(job["data"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = keras.models.load_model(job["path"])
    result = {"warnings": [str(w.message) for w in caught
                           if "optimizer" in str(w.message).lower()
                           or "skipping" in str(w.message).lower()]}
    result["policies"] = {layer.name: layer.dtype_policy.name for layer in model.layers}
    preds = _as_list(model.predict(data["x"], verbose=0))
    result["pred"] = [float(np.max(np.abs(p - data[f"pred_{i}"])))
                      for i, p in enumerate(preds)]
    if "step_x" in data.files and "after_step_0" in data.files:
        ys = [data[k] for k in sorted(data.files) if k.startswith("step_y")]
        y = ys[0] if len(ys) == 1 else ys
        model.train_on_batch(data["step_x"], y)
        preds = _as_list(model.predict(data["x"], verbose=0))
        result["after_step"] = [float(np.max(np.abs(p - data[f"after_step_{i}"])))
                                for i, p in enumerate(preds)]
    return result


def main(path):
    with open(path) as f:
        jobs = json.load(f)
    results = {}
    for job in jobs:
        try:
            results[job["path"]] = check(job)
        except Exception as e:  # noqa: BLE001 - reported to the test, which fails on it
            results[job["path"]] = {"error": f"{type(e).__name__}: {e}"}
    print("RESULTS " + json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1])
