"""Regenerate the real-Keras-3 fixtures of `keras.applications` in `fixtures/applications/`.

Only this script imports keras; kerasx's tests read what it writes. Run it from
the repository root::

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python tests/interop/make_app_fixtures.py

What it writes:

- `architectures.json.gz`: for each builder call in `APP_CASES`, the model Keras
  builds (fresh layer names, `clear_session()` first): its name, every layer's
  (class name, layer name, output shape, parameter count), the total parameter
  count, and, for `weights="imagenet"`, the `get_file` call that fetches the
  pretrained file (file name, URL, cache folder, hash). `get_file` and
  `load_weights` are replaced while building, so nothing is downloaded.
- `legacy_weights.h5` + `legacy_model.h5` + `legacy.npz`: a small functional
  model (convolution, batch norm, depthwise convolution, dense) with random
  weights, its weights in the legacy Keras 2 HDF5 layout the pretrained files
  use (`layer_names` / `weight_names` attributes) and as a whole legacy
  `.h5` model, with an input batch and Keras's predictions.
- `preprocess.npz`: `imagenet_utils.preprocess_input` of fixed float images in
  every mode and data format, 3D and 4D, from NumPy arrays and from tensors.

`python make_app_fixtures.py legacy preprocess` regenerates only those parts;
`python make_app_fixtures.py cases <id> ...` rebuilds only the named cases of
`architectures.json.gz`.

`keras_app_outputs.py` (next to this file) is the other half: run by the tests
when a Python with keras is available, it checks outputs of whole application
models.
"""

import gzip
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np  # noqa: E402

import keras  # noqa: E402
from keras.src.utils import file_utils  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures", "applications")
sys.path.insert(0, HERE)
from app_cases import APP_CASES  # noqa: E402


def describe(model):
    layers = []
    for layer in model.layers:
        shape = layer.output.shape
        layers.append([type(layer).__name__, layer.name, list(shape), int(layer.count_params())])
    return {"name": model.name, "layers": layers, "params": int(model.count_params())}


def build_case(case):
    calls = []

    def fake_get_file(fname=None, origin=None, cache_subdir="datasets", file_hash=None,
                      **kwargs):
        calls.append({"fname": fname, "origin": origin, "cache_subdir": cache_subdir,
                      "file_hash": file_hash})
        return "/nonexistent/weights.h5"

    real_get_file, real_load = file_utils.get_file, keras.Model.load_weights
    file_utils.get_file = fake_get_file
    keras.Model.load_weights = lambda self, *a, **k: None
    try:
        keras.utils.clear_session()
        kwargs = dict(case["kwargs"])
        if "input_shape" in kwargs and kwargs["input_shape"] is not None:
            kwargs["input_shape"] = tuple(kwargs["input_shape"])
        model = getattr(keras.applications, case["builder"])(**kwargs)
    finally:
        file_utils.get_file, keras.Model.load_weights = real_get_file, real_load
    result = describe(model)
    result["get_file"] = calls
    return result


def legacy_fixture():
    from keras.src.legacy.saving import legacy_h5_format
    import h5py

    keras.utils.set_random_seed(7)
    keras.utils.clear_session()
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, padding="same", name="conv")(inputs)
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = keras.layers.ReLU(6.0, name="relu")(x)
    x = keras.layers.DepthwiseConv2D(3, use_bias=False, name="dw")(x)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = keras.layers.Dense(5, name="head")(x)
    model = keras.Model(inputs, outputs, name="legacy_net")
    # non-trivial batch-norm statistics, so that their order in the file matters
    bn = model.get_layer("bn")
    rng = np.random.default_rng(7)
    bn.moving_mean.assign(rng.normal(size=4).astype("float32"))
    bn.moving_variance.assign(rng.uniform(0.5, 2.0, size=4).astype("float32"))
    bn.gamma.assign(rng.uniform(0.5, 1.5, size=4).astype("float32"))
    with h5py.File(os.path.join(OUT, "legacy_weights.h5"), "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)
    legacy_h5_format.save_model_to_hdf5(model, os.path.join(OUT, "legacy_model.h5"))
    x = rng.uniform(0, 255, size=(3, 8, 8, 3)).astype("float32")
    np.savez(os.path.join(OUT, "legacy.npz"), x=x, pred=model.predict(x, verbose=0))


def preprocess_fixture():
    from keras.applications import imagenet_utils

    rng = np.random.default_rng(11)
    images = rng.uniform(0, 255, size=(2, 4, 5, 3)).astype("float32")
    out = {"images": images}
    for mode in ("caffe", "tf", "torch"):
        for fmt in ("channels_last", "channels_first"):
            x4 = images if fmt == "channels_last" else images.transpose(0, 3, 1, 2)
            for rank, x in (("4d", x4), ("3d", x4[0])):
                key = f"{mode}_{fmt}_{rank}"
                out[f"np_{key}"] = imagenet_utils.preprocess_input(x.copy(), fmt, mode)
                tensor = keras.ops.convert_to_tensor(x.copy())
                out[f"tensor_{key}"] = keras.ops.convert_to_numpy(
                    imagenet_utils.preprocess_input(tensor, fmt, mode))
    ints = rng.integers(0, 256, size=(2, 3, 3, 3)).astype("uint8")
    out["ints"] = ints
    out["np_ints_caffe"] = imagenet_utils.preprocess_input(ints.copy(), mode="caffe")
    np.savez(os.path.join(OUT, "preprocess.npz"), **out)


ARCHITECTURES = os.path.join(OUT, "architectures.json.gz")


def write_architectures(results):
    # gzip without a time stamp, so that an unchanged fixture stays byte-identical
    with gzip.GzipFile(ARCHITECTURES, "wb", mtime=0) as f:
        f.write(json.dumps({"keras_version": keras.__version__, "cases": results},
                           separators=(",", ":")).encode())


def update_cases(ids):
    with gzip.open(ARCHITECTURES) as f:
        results = json.load(f)["cases"]
    for case in APP_CASES:
        if case["id"] in ids:
            results[case["id"]] = build_case(case)
            print(case["id"], results[case["id"]]["params"], flush=True)
    known = {case["id"] for case in APP_CASES}
    write_architectures({key: value for key, value in results.items() if key in known})


def main(parts):
    os.makedirs(OUT, exist_ok=True)
    if parts[:1] == ["cases"]:
        update_cases(parts[1:])
        return
    if parts:
        for part in parts:
            {"legacy": legacy_fixture, "preprocess": preprocess_fixture}[part]()
        return
    results = {}
    for case in APP_CASES:
        results[case["id"]] = build_case(case)
        print(case["id"], results[case["id"]]["params"], flush=True)
    write_architectures(results)
    legacy_fixture()
    preprocess_fixture()


if __name__ == "__main__":
    main(sys.argv[1:])
