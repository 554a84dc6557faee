"""A seeded grammar of preprocessing-layer cases: layers with random arguments, and small
models of preprocessing layers then trainable layers.

`draw(rng, i)` returns a layer case and `draw_model(rng, i)` a model case, each as
(recipe, arrays): a JSON-able recipe that `fuzz_preprocessing_recipe.py` runs with Keras
or kerasx, and a dict of NumPy arrays (inputs, adapt data, targets). NumPy only.
A vocabulary given as a file is `{"__lines__": [...]}` in the recipe. A recipe's `tf`
is True where Keras runs the layers through TensorFlow.
"""
import numpy as np

TF_CLASSES = {"StringLookup", "IntegerLookup", "Hashing", "HashedCrossing", "TextVectorization"}
WORDS = np.array(["a", "b", "c", "dog", "cat", "the", "", "zz", "Élan", "x y"])
TEXTS = np.array(["The cat sat on the mat.", "A dog; a CAT!", "the end", "",
                  "Élan vital, élan", "dogs,cats & birds", "  spaced   out  ", "the the the"])


def _shape(rng, rank, lo=1, hi=5):
    return tuple(int(v) for v in rng.integers(lo, hi, rank))


def _floats(rng, shape, scale=3.0):
    return (rng.normal(size=shape) * scale + rng.normal() * 2).astype(np.float32)


def _pick(rng, seq):
    return seq[int(rng.integers(len(seq)))]


def normalization(rng, arrays):
    rank = int(rng.integers(2, 5))
    shape = (int(rng.integers(3, 8)),) + _shape(rng, rank - 1, 1, 5)
    x = _floats(rng, shape)
    if rng.random() < 0.2:
        x = np.round(x).astype(_pick(rng, ["int32", "int64", "float64"]))
    arrays["x"] = x
    axes = [-1, None, (-1,), 1 if rank > 1 else -1]
    if rank >= 3:
        axes += [(1, 2), (-1, -2), 2, (1, -1)]
    if rank >= 4:
        axes += [(1, 3), (1, 2, 3)]
    axis = _pick(rng, axes)
    cfg = {"axis": axis}
    if rng.random() < 0.3:
        cfg["invert"] = True
    spec = {"class": "Normalization", "config": cfg, "inputs": ["x"]}
    if rng.random() < 0.45:
        # given statistics, broadcastable to the kept axes
        kept = [] if axis is None else [a % rank for a in
                                         ((axis,) if isinstance(axis, int) else axis)]
        mode = rng.integers(3)
        if mode == 0 or not kept:
            cfg["mean"], cfg["variance"] = float(rng.normal()), float(rng.random() + 0.5)
        else:
            st = [shape[a] for a in sorted(kept)]
            if mode == 1 and len(st) == 1:
                cfg["mean"] = [float(v) for v in rng.normal(size=st[0])]
                cfg["variance"] = [float(v) for v in rng.random(st[0]) + 0.1]
            else:
                full = [shape[a] if a in kept else 1 for a in range(1, rank)]
                cfg["mean"] = rng.normal(size=full).round(3).tolist()
                cfg["variance"] = (rng.random(full) + 0.1).round(3).tolist()
    else:
        ashape = (int(rng.integers(2, 12)),) + shape[1:]
        a = _floats(rng, ashape)
        if rng.random() < 0.15:
            a[..., 0] = 5.0  # a constant feature: zero variance
        arrays["adapt"] = a
        spec["adapt"] = "adapt"
        if rng.random() < 0.2:
            arrays["adapt2"] = _floats(rng, (3,) + shape[1:])
            spec["readapt"] = "adapt2"
    return spec


def discretization(rng, arrays):
    rank = int(rng.integers(1, 3))
    shape = _shape(rng, rank, 2, 6)
    x = _floats(rng, shape, 2.0)
    cfg = {}
    spec = {"class": "Discretization", "config": cfg, "inputs": ["x"]}
    if rng.random() < 0.5:
        b = np.sort(rng.normal(size=int(rng.integers(1, 6))) * 2).round(2)
        if rng.random() < 0.2 and len(b) > 1:
            b[1] = b[0]
        cfg["bin_boundaries"] = [float(v) for v in b]
        # hit boundaries exactly
        flat = x.reshape(-1)
        flat[: min(len(b), flat.size)] = b[: min(len(b), flat.size)]
    else:
        cfg["num_bins"] = int(rng.integers(2, 7))
        if rng.random() < 0.4:
            cfg["epsilon"] = _pick(rng, [0.1, 0.001, 0.5])
        arrays["adapt"] = _floats(rng, (int(rng.integers(5, 40)),), 2.0)
        spec["adapt"] = "adapt"
    mode = _pick(rng, ["int", "int", "one_hot", "multi_hot", "count"])
    if mode != "int":
        cfg["output_mode"] = mode
    if mode == "one_hot" and rank == 2 and rng.random() < 0.5:
        x = x[:, :1]
    if rng.random() < 0.2:
        x.reshape(-1)[-1] = _pick(rng, [np.inf, -np.inf, np.nan])
    if rng.random() < 0.15:
        x = x.astype(np.float64)
    if rng.random() < 0.1 and mode == "int":
        x = np.round(x).astype(np.int32)
    arrays["x"] = x
    return spec


def category_encoding(rng, arrays):
    n = int(rng.integers(2, 9))
    mode = _pick(rng, ["one_hot", "multi_hot", "count", "multi_hot"])
    rank = int(rng.integers(0, 3))
    if mode == "one_hot" and rank == 2 and rng.random() < 0.5:
        shape = (int(rng.integers(2, 5)), 1)
    else:
        shape = _shape(rng, rank, 1, 5)
    x = rng.integers(0, n, shape).astype(_pick(rng, ["int32", "int64", "float32"]))
    arrays["x"] = np.asarray(x)
    spec = {"class": "CategoryEncoding", "config": {"num_tokens": n, "output_mode": mode},
            "inputs": ["x"]}
    if mode == "count" and rng.random() < 0.5:
        arrays["w"] = rng.random(np.shape(x)).astype(np.float32)
        spec["call_arrays"] = {"count_weights": "w"}
    return spec


def hashing(rng, arrays):
    cfg = {"num_bins": int(rng.integers(1, 9))}
    strings = rng.random() < 0.5
    rank = int(rng.integers(1, 3))
    shape = _shape(rng, rank, 1, 5)
    if strings:
        x = WORDS[rng.integers(0, len(WORDS), shape)]
        if rng.random() < 0.3:
            cfg["mask_value"] = _pick(rng, ["", "a", "cat"])
    else:
        x = rng.integers(-4, 10, shape).astype(_pick(rng, ["int32", "int64"]))
        if rng.random() < 0.3:
            cfg["mask_value"] = int(rng.integers(0, 4))
    if rng.random() < 0.3:
        cfg["salt"] = _pick(rng, [7, [3, 5], 123456789])
    mode = _pick(rng, ["int", "int", "one_hot", "multi_hot", "count"])
    if mode != "int":
        cfg["output_mode"] = mode
        if mode == "one_hot" and rank == 2:
            x = x[:, :1]
    if cfg.get("mask_value") is not None and cfg["num_bins"] < 2:
        cfg["num_bins"] = 2
    arrays["x"] = x
    return {"class": "Hashing", "config": cfg, "inputs": ["x"]}


def lookup(rng, arrays, cls):
    strings = cls == "StringLookup"
    cfg = {}
    rank = int(rng.integers(1, 3))
    shape = _shape(rng, rank, 1, 6)
    if strings:
        pool = np.array(["a", "b", "c", "dog", "cat", "the", "zz", "q"])
        x = pool[rng.integers(0, len(pool), shape)]
    else:
        pool = np.arange(-2, 12)
        x = rng.integers(-2, 12, shape).astype(_pick(rng, ["int64", "int32"]))
    spec = {"class": cls, "config": cfg, "inputs": ["x"]}
    if rng.random() < 0.4:
        cfg["num_oov_indices"] = int(_pick(rng, [0, 2, 3]))
    if rng.random() < 0.35:
        cfg["mask_token"] = _pick(rng, ["", "q", "[M]"]) if strings else int(_pick(rng, [0, -1, 7]))
    if rng.random() < 0.15:
        cfg["oov_token"] = "[OOV]" if strings else -9
    mode = _pick(rng, ["int", "int", "one_hot", "multi_hot", "count", "tf_idf"])
    if mode != "int":
        cfg["output_mode"] = mode
    if mode == "one_hot" and rank == 2 and rng.random() < 0.6:
        x = x[:, :1]
    given = rng.random() < 0.45
    if given:
        k = int(rng.integers(1, 6))
        vocab = list(dict.fromkeys(pool[rng.permutation(len(pool))[:k]].tolist()))
        if "mask_token" in cfg:
            vocab = [v for v in vocab if v != cfg["mask_token"]] or [pool[0].item()]
        if not strings:
            vocab = [int(v) for v in vocab]
        cfg["vocabulary"] = vocab
        if rng.random() < 0.2 and mode != "tf_idf":
            cfg["vocabulary"] = {"__lines__": [str(v) for v in vocab]}
        if mode == "tf_idf":
            cfg["idf_weights"] = [round(float(v), 3) for v in rng.random(len(vocab)) + 0.5]
    else:
        n = int(rng.integers(4, 20))
        a = pool[rng.integers(0, len(pool), (n,))] if strings else \
            rng.integers(-2, 12, (n,)).astype(np.int64)
        if mode == "tf_idf" or rng.random() < 0.3:
            a = a[: (n // 2) * 2].reshape(-1, 2) if n >= 2 else a
        arrays["adapt"] = a
        spec["adapt"] = "adapt"
        if rng.random() < 0.2:
            arrays["adapt2"] = a[::-1][:max(1, len(a) // 2)]
            spec["readapt"] = "adapt2"
        if rng.random() < 0.4:
            cfg["max_tokens"] = int(rng.integers(3, 9))
    if mode in ("multi_hot", "count", "tf_idf", "one_hot") and rng.random() < 0.4:
        cfg["pad_to_max_tokens"] = True
        cfg.setdefault("max_tokens", int(rng.integers(6, 12)))
    if not strings and rng.random() < 0.2:
        cfg["vocabulary_dtype"] = "int32" if rng.random() < 0.5 else "int64"
    if mode == "int" and rng.random() < 0.25 and given:
        # invert: feed indices
        cfg["invert"] = True
        size = len(cfg["vocabulary"]) + cfg.get("num_oov_indices", 1) + \
            (1 if "mask_token" in cfg else 0)
        x = rng.integers(0, size, shape).astype(np.int64)
    arrays["x"] = x
    return spec


def text_vectorization(rng, arrays):
    cfg = {}
    mode = _pick(rng, ["int", "int", "multi_hot", "count", "tf_idf"])
    if mode != "int":
        cfg["output_mode"] = mode
    st = _pick(rng, ["lower_and_strip_punctuation", "lower", "strip_punctuation", None])
    if st != "lower_and_strip_punctuation":
        cfg["standardize"] = st
    sp = _pick(rng, ["whitespace", "whitespace", "character", None])
    if sp != "whitespace":
        cfg["split"] = sp
    if rng.random() < 0.35:
        cfg["ngrams"] = _pick(rng, [2, 3, [1, 2], [2]])
    if sp is None:
        cfg.pop("ngrams", None)
    if mode == "int" and rng.random() < 0.5:
        cfg["output_sequence_length"] = int(rng.integers(1, 8))
    if rng.random() < 0.4:
        cfg["max_tokens"] = int(rng.integers(4, 20))
        if mode != "int" and rng.random() < 0.5:
            cfg["pad_to_max_tokens"] = True
    idx = rng.integers(0, len(TEXTS), int(rng.integers(2, 6)))
    x = TEXTS[idx]
    if sp is None or rng.random() < 0.2:
        x = x.reshape(-1, 1)
    arrays["x"] = x
    spec = {"class": "TextVectorization", "config": cfg, "inputs": ["x"]}
    if rng.random() < 0.3:
        cfg["vocabulary"] = ["the", "cat", "dog", "a", "mat", "élan"][: int(rng.integers(1, 7))]
        if mode == "tf_idf":
            cfg["idf_weights"] = [round(float(v), 3) for v in
                                  rng.random(len(cfg["vocabulary"])) + 0.5]
    else:
        arrays["adapt"] = TEXTS[rng.permutation(len(TEXTS))]
        spec["adapt"] = "adapt"
    return spec


def hashed_crossing(rng, arrays):
    n = int(rng.integers(2, 4))
    rows = int(rng.integers(2, 6))
    rank2 = rng.random() < 0.4
    names = []
    for i in range(n):
        if rng.random() < 0.5:
            v = WORDS[rng.integers(0, len(WORDS), rows)]
        else:
            v = rng.integers(-3, 20, rows).astype(_pick(rng, ["int64", "int32"]))
        if rank2:
            v = v.reshape(-1, 1)
        arrays[f"x{i}"] = v
        names.append(f"x{i}")
    cfg = {"num_bins": int(rng.integers(1, 20))}
    if rng.random() < 0.3:
        cfg["output_mode"] = "one_hot"
    return {"class": "HashedCrossing", "config": cfg, "inputs": names, "tuple_input": True}


def _image(rng, data_format, rank, lo=2, hi=9):
    h, w, c = (int(v) for v in rng.integers(lo, hi, 3))
    c = int(_pick(rng, [1, 3, 2]))
    shape = (h, w, c) if data_format != "channels_first" else (c, h, w)
    if rank == 4:
        shape = (int(rng.integers(1, 3)),) + shape
    if rng.random() < 0.2:
        return rng.integers(0, 256, shape).astype(_pick(rng, ["uint8", "int32"]))
    return (rng.random(shape) * 255).astype(_pick(rng, ["float32", "float32", "float64"]))


def rescaling(rng, arrays):
    c = int(rng.integers(1, 4))
    x = _floats(rng, (2, 3, c))
    if rng.random() < 0.2:
        x = rng.integers(0, 255, (2, 3, c)).astype(_pick(rng, ["int32", "uint8"]))
    arrays["x"] = x
    scale = _pick(rng, [1 / 255, 2.0, [0.5] * c, -1.0])
    offset = _pick(rng, [0.0, -1.0, [0.1 * i for i in range(c)]])
    if isinstance(scale, list) and c == 1 and rng.random() < 0.5:
        scale = scale[0]
    return {"class": "Rescaling", "config": {"scale": scale, "offset": offset}, "inputs": ["x"]}


def resizing(rng, arrays):
    df = _pick(rng, [None, "channels_last", "channels_first"])
    rank = int(_pick(rng, [3, 4]))
    arrays["x"] = _image(rng, df, rank)
    cfg = {"height": int(rng.integers(1, 11)), "width": int(rng.integers(1, 11)),
           "interpolation": _pick(rng, ["bilinear", "nearest", "bicubic", "area", "lanczos3",
                                        "lanczos5"])}
    if df:
        cfg["data_format"] = df
    r = rng.random()
    if r < 0.3:
        cfg["crop_to_aspect_ratio"] = True
    elif r < 0.6:
        cfg["pad_to_aspect_ratio"] = True
        if rng.random() < 0.5:
            cfg["fill_value"] = float(_pick(rng, [1.5, -2.0, 7.0]))
    if rng.random() < 0.25:
        cfg["antialias"] = True
    return {"class": "Resizing", "config": cfg, "inputs": ["x"]}


def center_crop(rng, arrays):
    df = _pick(rng, [None, "channels_last", "channels_first"])
    rank = int(_pick(rng, [3, 4]))
    arrays["x"] = _image(rng, df, rank)
    cfg = {"height": int(rng.integers(1, 11)), "width": int(rng.integers(1, 11))}
    if df:
        cfg["data_format"] = df
    return {"class": "CenterCrop", "config": cfg, "inputs": ["x"]}


def random_inference(rng, arrays):
    df = _pick(rng, [None, "channels_last", "channels_first"])
    rank = int(_pick(rng, [3, 4]))
    arrays["x"] = _image(rng, df, rank, 3, 8)
    x = arrays["x"]
    cls, cfg, kw = _pick(rng, [
        ("RandomFlip", {"mode": _pick(rng, ["horizontal", "vertical", "horizontal_and_vertical"])},
         {}),
        ("RandomRotation", {"factor": _pick(rng, [0.2, 0.0])}, {}),
        ("RandomZoom", {"height_factor": _pick(rng, [0.2, 0.0])}, {}),
        ("RandomTranslation", {"height_factor": 0.0, "width_factor": _pick(rng, [0.1, 0.0])},
         {}),
        ("RandomContrast", {"factor": 0.0}, {"training": True}),
        ("RandomContrast", {"factor": 0.5}, {}),
        ("RandomBrightness", {"factor": 0.0}, {"training": True}),
        ("RandomBrightness", {"factor": 0.3}, {}),
        ("RandomRotation", {"factor": 0.0}, {"training": True}),
        ("RandomZoom", {"height_factor": 0.0}, {"training": True}),
        ("RandomTranslation", {"height_factor": 0.0, "width_factor": 0.0}, {"training": True}),
        ("RandomGrayscale", {"factor": 0.0}, {"training": True}),
        ("AutoContrast", {}, {}),
        ("Solarization", {"threshold_factor": _pick(rng, [0.0, 0.5])}, {}),
        ("RandomInvert", {"factor": 0.0}, {"training": True}),
        ("RandomHue", {"factor": 0.0}, {"training": True}),
        ("RandomSaturation", {"factor": 0.5}, {}),
        ("RandomPosterization", {"factor": (8, 8)}, {"training": True}),
        ("RandomSharpness", {"factor": 0.0}, {"training": True}),
        ("RandomColorDegeneration", {"factor": 0.0}, {"training": True}),
        ("Equalization", {}, {}),
    ])
    if df and cls not in ("Solarization", "RandomInvert", "RandomBrightness", "RandomContrast"):
        cfg["data_format"] = df
    elif df == "channels_first":
        arrays["x"] = np.moveaxis(x, -3, -1) if x.ndim >= 3 else x
    if cls in ("RandomRotation", "RandomZoom", "RandomTranslation") and rng.random() < 0.5:
        cfg["fill_mode"] = _pick(rng, ["constant", "nearest", "reflect", "wrap"])
    if cls in ("RandomGrayscale", "RandomHue", "RandomSaturation", "AutoContrast",
               "RandomSharpness", "RandomColorDegeneration", "Equalization") and \
            arrays["x"].shape[-1 if df != "channels_first" else -3] != 3:
        xx = arrays["x"]
        ax = -1 if df != "channels_first" else -3
        arrays["x"] = np.concatenate([xx] * 3, axis=ax)[..., :] if xx.shape[ax] == 1 else \
            np.take(np.concatenate([xx, xx], axis=ax), [0, 1, 2], axis=ax)
    if cls in ("Equalization", "RandomPosterization", "AutoContrast", "Solarization",
               "RandomHue", "RandomSaturation", "RandomSharpness"):
        cfg["value_range"] = (0, 255)
    if not kw:
        kw = {"training": False}
    spec = {"class": cls, "config": cfg, "inputs": ["x"], "call_kwargs": kw}
    return spec


GENERATORS = [
    (normalization, 3), (discretization, 2), (category_encoding, 2), (hashing, 2),
    (lambda r, a: lookup(r, a, "StringLookup"), 3),
    (lambda r, a: lookup(r, a, "IntegerLookup"), 3),
    (text_vectorization, 3), (hashed_crossing, 1), (rescaling, 1), (resizing, 3),
    (center_crop, 2), (random_inference, 3),
]


def draw_layer(rng, only=None):
    arrays = {}
    gens = [g for g, w in GENERATORS for _ in range(w)]
    while True:
        spec = gens[int(rng.integers(len(gens)))](rng, arrays)
        if only is None or only(spec):
            return spec, arrays
        arrays.clear()


DTYPES = {
    "Normalization": ["float64", "float16", "mixed_float16", "bfloat16"],
    "Rescaling": ["float64", "float16", "mixed_float16"],
    "Resizing": ["float64", "float16"], "CenterCrop": ["float64", "float16"],
    "CategoryEncoding": ["float64", "int32", "float16"],
    "Discretization": ["float64", "int64", "float16"],
    "Hashing": ["int32", "int64"], "HashedCrossing": ["int32", "int64"],
    "StringLookup": ["int32", "float64"], "IntegerLookup": ["int32", "float64"],
    "TextVectorization": ["int32", "float64"],
}


def draw(rng, i, only=None):
    spec, arrays = draw_layer(rng, only)
    if spec["class"] in DTYPES and rng.random() < 0.2:
        spec["config"]["dtype"] = _pick(rng, DTYPES[spec["class"]])
    if not spec.get("tuple_input") and rng.random() < 0.08:
        spec["as_list"] = True
    recipe = {"name": f"c{i:04d}_{spec['class']}", "kind": "layer", "layer": spec,
              "roundtrip": "adapt" not in spec, "symbolic": True,
              "tf": spec["class"] in TF_CLASSES or (
                  spec["class"] == "Discretization" and "adapt" in spec)}
    return recipe, arrays


def _dense(units):
    return {"class": "Dense", "config": {"units": units}}


def draw_model(rng, i):
    arrays = {}
    n = int(rng.integers(4, 9))
    units = int(rng.integers(1, 4))
    kind = _pick(rng, ["norm", "disc", "strings", "text", "ints", "image", "text_emb", "hash",
                       "norm_image"])
    layers, tf = [], False
    if kind == "norm":
        d = int(rng.integers(2, 5))
        arrays["x"] = _floats(rng, (n, d))
        arrays["x_test"] = _floats(rng, (3, d))
        arrays["adapt"] = _floats(rng, (10, d))
        layers.append({"class": "Normalization", "config": {"axis": _pick(rng, [-1, None])},
                       "adapt": "adapt"})
        if rng.random() < 0.3:
            layers[-1]["config"]["invert"] = True
    elif kind == "norm_image":
        arrays["x"] = (rng.random((n, 4, 4, 2)) * 255).astype(np.float32)
        arrays["x_test"] = (rng.random((2, 4, 4, 2)) * 255).astype(np.float32)
        arrays["adapt"] = (rng.random((6, 4, 4, 2)) * 255).astype(np.float32)
        layers += [{"class": "Rescaling", "config": {"scale": 1 / 255.0}},
                   {"class": "Normalization", "config": {"axis": _pick(rng, [-1, (1, 2)])},
                    "adapt": "adapt"},
                   {"class": "Flatten", "config": {}}]
    elif kind == "disc":
        d = int(rng.integers(1, 4))
        arrays["x"] = _floats(rng, (n, d))
        arrays["x_test"] = _floats(rng, (3, d))
        b = sorted(float(v) for v in (rng.normal(size=3) * 2).round(2))
        layers.append({"class": "Discretization", "config": {"bin_boundaries": b}})
        layers.append({"class": "CategoryEncoding",
                       "config": {"num_tokens": 4, "output_mode": _pick(rng, ["multi_hot",
                                                                            "count"])}})
    elif kind in ("strings", "ints"):
        tf = True
        cls = "StringLookup" if kind == "strings" else "IntegerLookup"
        pool = np.array(["a", "b", "c", "dog", "cat", "the"]) if kind == "strings" \
            else np.arange(0, 9)
        k = int(rng.integers(1, 4))
        arrays["x"] = pool[rng.integers(0, len(pool), (n, k))]
        arrays["x_test"] = np.concatenate(
            [pool[rng.integers(0, len(pool), (2, k))],
             np.full((1, k), "zzz" if kind == "strings" else 99)]).astype(arrays["x"].dtype)
        mode = _pick(rng, ["multi_hot", "count", "tf_idf", "one_hot" if k == 1 else "count"])
        cfg = {"output_mode": mode}
        if rng.random() < 0.5:
            cfg["num_oov_indices"] = int(_pick(rng, [1, 2]))
        if rng.random() < 0.3:
            cfg["max_tokens"] = int(rng.integers(4, 8))
            cfg["pad_to_max_tokens"] = True
        if rng.random() < 0.3 and kind == "strings":
            cfg["mask_token"] = ""
        arrays["adapt"] = pool[rng.integers(0, len(pool), (12, 2))]
        layers.append({"class": cls, "config": cfg, "adapt": "adapt"})
    elif kind in ("text", "text_emb"):
        tf = True
        arrays["x"] = TEXTS[rng.integers(0, len(TEXTS), n)]
        if kind == "text_emb":  # an all-masked row averages 0 / 0
            arrays["x"] = np.where(arrays["x"] == "", "the end", arrays["x"])
        arrays["x_test"] = np.array(["unseen words here", "the cat"])
        arrays["adapt"] = TEXTS
        if kind == "text":
            cfg = {"output_mode": _pick(rng, ["multi_hot", "count", "tf_idf"])}
            if rng.random() < 0.5:
                cfg["ngrams"] = 2
            if rng.random() < 0.4:
                cfg["max_tokens"] = 10
                cfg["pad_to_max_tokens"] = True
            layers.append({"class": "TextVectorization", "config": cfg, "adapt": "adapt"})
        else:
            L = int(rng.integers(2, 6))
            layers.append({"class": "TextVectorization",
                           "config": {"max_tokens": 12, "output_sequence_length": L},
                           "adapt": "adapt"})
            layers.append({"class": "Embedding", "config": {"input_dim": 12, "output_dim": 3,
                                                            "mask_zero": bool(rng.random() < 0.5)}})
            layers.append({"class": _pick(rng, ["GlobalAveragePooling1D", "Flatten"]),
                           "config": {}})
    elif kind == "hash":
        tf = True
        arrays["x"] = WORDS[rng.integers(0, len(WORDS), (n, 2))]
        arrays["x_test"] = WORDS[rng.integers(0, len(WORDS), (3, 2))]
        layers.append({"class": "Hashing", "config": {
            "num_bins": int(rng.integers(3, 8)),
            "output_mode": _pick(rng, ["multi_hot", "count"]),
            "salt": _pick(rng, [None, 5])}})
    else:  # image
        df = _pick(rng, ["channels_last", "channels_first"])
        shape = (n, 6, 5, 2) if df == "channels_last" else (n, 2, 6, 5)
        arrays["x"] = (rng.random(shape) * 255).astype(np.float32)
        arrays["x_test"] = (rng.random((2,) + shape[1:]) * 255).astype(np.float32)
        layers.append({"class": "Rescaling", "config": {"scale": 1 / 127.5, "offset": -1}})
        layers.append({"class": "Resizing", "config": {
            "height": int(rng.integers(2, 6)), "width": int(rng.integers(2, 6)),
            "interpolation": _pick(rng, ["bilinear", "nearest", "bicubic"]),
            "crop_to_aspect_ratio": bool(rng.random() < 0.5), "data_format": df}})
        if rng.random() < 0.5:
            layers.append({"class": "CenterCrop", "config": {"height": 2, "width": 2,
                                                             "data_format": df}})
        if rng.random() < 0.5:
            layers.append({"class": "RandomFlip", "config": {"data_format": df}})
        layers.append({"class": "Flatten", "config": {}})
    if layers[-1]["class"] in ("Normalization",) and arrays["x"].ndim > 2:
        layers.append({"class": "Flatten", "config": {}})
    layers.append(_dense(units))
    arrays["y"] = rng.normal(size=(n, units)).astype(np.float32)
    recipe = {"name": f"m{i:04d}_{kind}", "kind": "model", "layers": layers,
              "model": _pick(rng, ["sequential", "functional"]), "tf": tf,
              # TensorFlow's Adam updates embedding rows lazily (IndexedSlices): not JAX's
              "opt": "sgd" if kind == "text_emb" else _pick(rng, ["sgd", "adam"]),
              "fit": int(_pick(rng, [0, 0, 3])), "save_it": bool(rng.random() < 0.5)}
    return recipe, arrays
