"""Recipes of the `fuzz_data` golden family: what a user feeds a model.

A case is plain JSON (`draw_case(seed)`); `run_case(K, case, root)` runs it with the
library module `K` (Keras or kerasx) and returns plain results (dicts, lists, numbers,
strings and NumPy arrays). Every input is made from the case's seed with NumPy alone, and
the directory trees of the `*_dataset_from_directory` cases are written under `root`, so
the same case gives the same data in either library. Kinds:

- `pad_sequences`, `to_categorical`, `normalize`, `split_dataset`: the function's output
  (or the name of the exception it raises);
- `timeseries`: the batches of `timeseries_dataset_from_array`;
- `image_dir` / `text_dir` / `audio_dir`: `class_names`, `file_paths` and the batches of
  `*_dataset_from_directory` on a small tree (the samples of a shuffled dataset in a
  canonical order, since `tf.data` draws its own);
- `fit`: a small model trained, evaluated and run by `predict` on arrays, lists / dicts of
  arrays, Python generators or `PyDataset`s: History, batches seen, weights, predictions.
"""

import os
import wave

import numpy as np

KINDS = ("pad_sequences", "to_categorical", "normalize", "split_dataset", "timeseries",
         "image_dir", "text_dir", "audio_dir", "fit")


# ---------------------------------------------------------------------------------------
# drawing cases
# ---------------------------------------------------------------------------------------


def draw_case(seed, kind=None):
    """A random case (plain JSON) of `kind` (drawn too when None)."""
    r = np.random.default_rng(seed)
    kind = kind or KINDS[int(r.integers(len(KINDS)))]
    config = globals()[f"_draw_{kind}"](r)
    return {"kind": kind, "seed": int(seed), "config": config}


def _pick(r, options):
    return options[int(r.integers(len(options)))]


def _draw_pad_sequences(r):
    n = int(r.integers(1, 6))
    element = _pick(r, ["int", "int", "float", "str", "vector"])
    lengths = [int(r.integers(0, 6)) for _ in range(n)]
    cfg = {"element": element, "lengths": lengths,
           "maxlen": _pick(r, [None, None, 1, 3, 4, 7]),
           "padding": _pick(r, ["pre", "post"]), "truncating": _pick(r, ["pre", "post"])}
    if element == "str":
        cfg["dtype"] = _pick(r, ["object", "str", "<U3", "int32"])
        cfg["value"] = _pick(r, ["-", "pad", 0.0])
    else:
        cfg["dtype"] = _pick(r, ["int32", "int32", "float32", "int64", "float64", "int16"])
        cfg["value"] = _pick(r, [0.0, 0.0, -1.0, 2.5, 7])
    cfg["as_arrays"] = element != "str" and bool(r.integers(3) == 0)
    return cfg


def _draw_to_categorical(r):
    shape = _pick(r, [[5], [4, 1], [2, 3], [3, 2, 1], [1], [6]])
    return {"shape": shape, "num_classes": _pick(r, [None, None, 5, 7]),
            "as_list": bool(r.integers(2)), "high": int(r.integers(1, 6))}


def _draw_normalize(r):
    shape = _pick(r, [[3, 4], [2, 3, 4], [5, 2], [1, 3]])
    axis = _pick(r, [-1, -1, 1, 2, -2])
    if axis is not None and axis >= len(shape):
        axis = -1
    return {"shape": shape, "axis": axis, "order": _pick(r, [2, 2, 1, 3, 0, "inf"]),
            "zero_row": bool(r.integers(2)), "as_list": bool(r.integers(4) == 0)}


def _draw_split_dataset(r):
    n = int(r.integers(4, 12))
    left = _pick(r, [None, 0.5, 0.3, 0.75, 2, 3, n - 1])
    right = _pick(r, [None, None, 0.2, 0.25, 1, 2])
    if left is None and right is None:
        left = 0.6
    return {"n": n, "structure": _pick(r, ["array", "tuple", "list", "vector"]),
            "left_size": left, "right_size": right, "shuffle": bool(r.integers(2)),
            "seed": int(r.integers(100))}


def _draw_timeseries(r):
    n = int(r.integers(6, 30))
    cfg = {"n": n, "features": _pick(r, [0, 1, 2]),
           "targets": _pick(r, ["none", "same", "shorter", "vector"]),
           "sequence_length": int(r.integers(1, 6)),
           "sequence_stride": int(r.integers(1, 4)),
           "sampling_rate": int(r.integers(1, 4)),
           "batch_size": _pick(r, [None, 1, 2, 3, 5, 128]),
           "start_index": _pick(r, [None, None, 0, 1, 3]),
           "end_index": _pick(r, [None, None, n - 1, n - 3]),
           "int_data": bool(r.integers(3) == 0)}
    if cfg["targets"] == "shorter":
        cfg["start_index"] = None
    # a window longer than the steps gives Keras an empty dataset, kerasx an error
    steps = (cfg["end_index"] or n) - (cfg["start_index"] or 0)
    cfg["sequence_length"] = min(cfg["sequence_length"],
                                 (steps - 1) // cfg["sampling_rate"] + 1)
    cfg["shuffle"] = bool(r.integers(4) == 0)
    return cfg


def _draw_tree(r, extensions):
    """Class folders (some nested, a few files at the top or of other types)."""
    n_classes = int(r.integers(1, 4))
    names = ["b", "a", "c_x", "Dd"][:n_classes]
    files = []
    for c in names:
        for j in range(int(r.integers(1, 5))):
            sub = _pick(r, ["", "", "", "sub/"])
            files.append([c, f"{sub}f{j}{_pick(r, extensions)}", int(r.integers(1 << 30))])
    if r.integers(3) == 0:
        files.append(["", f"top{_pick(r, extensions)}", int(r.integers(1 << 30))])
    if r.integers(3) == 0:
        files.append([names[0], "notes.dat", 0])
    return {"classes": names, "files": files, "link": bool(r.integers(4) == 0)}


def _draw_labels(r, tree):
    n_classes = len(tree["classes"])
    labels = _pick(r, ["inferred", "inferred", "inferred", None, "list"])
    cfg = {"labels": labels,
           "label_mode": _pick(r, ["int", "int", "categorical", "binary", None]),
           "class_names": None, "batch_size": _pick(r, [None, 1, 2, 3, 32]),
           "shuffle": bool(r.integers(3) == 0), "seed": int(r.integers(1000)),
           "validation_split": None, "subset": None,
           "follow_links": bool(r.integers(2))}
    if labels == "inferred" and r.integers(3) == 0:
        names = sorted(tree["classes"])
        cfg["class_names"] = [names[i] for i in r.permutation(len(names))]
    if cfg["label_mode"] == "binary" and n_classes != 2:
        cfg["label_mode"] = "int"
    in_classes = [f for f in tree["files"] if f[0] and not f[1].endswith(".dat")]
    if r.integers(2) and len(in_classes) >= 3:  # a split that leaves files on both sides
        cfg["validation_split"] = _pick(r, [0.34, 0.5])
        cfg["subset"] = _pick(r, ["training", "validation", "both"])
    return cfg


def _draw_image_dir(r):
    color_mode = _pick(r, ["rgb", "rgb", "grayscale", "rgba"])
    image_format = _pick(r, ["tf", "grain"])
    extensions = [".png", ".png", ".png", ".bmp", ".gif", ".jpg"]
    interpolations = ["bilinear", "bilinear", "nearest", "bicubic", "lanczos3"]
    aspects = [None, None, "crop", "pad"]
    file_modes = ["RGB", "L", "RGBA", "mixed"]
    if image_format == "tf":
        # TensorFlow's decoders refuse some channel counts, convert RGB to grey with other
        # weights than Pillow and decode JPEG a little differently; its bicubic kernel and
        # `resize_with_pad` differ from `ops.image.resize`, which Keras's grain format and
        # kerasx use (grain has no "area")
        extensions = {"rgb": [".png", ".png", ".bmp", ".gif"], "grayscale": [".png"],
                      "rgba": [".png", ".bmp"]}[color_mode]
        interpolations = ["bilinear", "bilinear", "nearest", "area", "lanczos3"]
        aspects = [None, None, "crop"]
        file_modes = ["L"] if color_mode == "grayscale" else file_modes
    tree = _draw_tree(r, extensions)
    cfg = _draw_labels(r, tree)
    cfg.update({"color_mode": color_mode, "format": image_format,
                "image_size": _pick(r, [[4, 4], [5, 3], [2, 6], [8, 8]]),
                "interpolation": _pick(r, interpolations), "aspect": _pick(r, aspects),
                "file_modes": _pick(r, file_modes)})
    cfg["data_format"] = _pick(r, [None, None, "channels_last", "channels_first"])
    return {"tree": tree, "kwargs": cfg}


def _draw_text_dir(r):
    tree = _draw_tree(r, [".txt", ".txt", ".txt", ".TXT"])
    cfg = _draw_labels(r, tree)
    cfg["max_length"] = _pick(r, [None, None, 0, 2, 5])
    cfg["format"] = _pick(r, ["tf", "grain"])
    if cfg["format"] == "grain":  # Keras's grain reader cuts characters, its tf one bytes
        cfg["max_length"] = None
    return {"tree": tree, "kwargs": cfg}


def _draw_audio_dir(r):
    tree = _draw_tree(r, [".wav"])
    cfg = _draw_labels(r, tree)
    cfg["output_sequence_length"] = _pick(r, [None, None, 3, 8])
    if cfg["shuffle"] and cfg["output_sequence_length"] is None:
        cfg["output_sequence_length"] = 8  # the padding of a batch depends on its clips
    cfg["channels"] = _pick(r, [1, 1, 2])
    return {"tree": tree, "kwargs": cfg}


def _draw_fit(r):
    model = _pick(r, ["single", "list", "dict"])
    task = _pick(r, ["reg", "cls"])
    feed = _pick(r, ["arrays", "arrays", "generator", "pydataset", "pydataset_infinite"])
    n = int(r.integers(6, 20))
    batch = int(r.integers(2, 6))
    cfg = {"model": model, "task": task, "feed": feed, "n": n, "batch_size": batch,
           "epochs": int(r.integers(1, 4)), "initial_epoch": 0,
           "steps_per_epoch": None, "sample_weight": bool(r.integers(3) == 0),
           "class_weight": task == "cls" and feed != "generator" and bool(r.integers(3) == 0),
           "validation": _pick(r, [None, "tuple", "generator", "pydataset", "split"]),
           "reorder_on_epoch_end": False}
    # Keras's `fit` calls a PyDataset's `on_epoch_end` once before the first epoch (a
    # dataset that reorders itself there trains on another order than in kerasx)
    if cfg["epochs"] > 1 and r.integers(3) == 0:
        cfg["initial_epoch"] = int(r.integers(1, cfg["epochs"]))
    batches = -(-n // batch)
    if feed in ("generator", "pydataset_infinite"):
        cfg["steps_per_epoch"] = int(r.integers(1, batches + 3))
    elif r.integers(3) == 0:
        cfg["steps_per_epoch"] = int(r.integers(1, batches + 1))
    if cfg["validation"] == "split" and feed != "arrays":
        cfg["validation"] = "tuple"
    if cfg["validation"] == "generator":
        # Keras validates every epoch on the batches it drew first from a generator
        cfg["epochs"], cfg["initial_epoch"] = 1, 0
    return cfg


# ---------------------------------------------------------------------------------------
# running cases
# ---------------------------------------------------------------------------------------


def run_case(K, case, root):
    """Runs `case` with `K`; `root` is an empty folder for its files. Returns the results;
    an exception the library raises is the result `{"raises": <its class name>}`."""
    r = np.random.default_rng(case["seed"] + 7919)
    try:
        return globals()[f"_run_{case['kind']}"](K, case["config"], r, root)
    except Exception as error:  # the library refused the case: compare which error
        run_case.last_error = f"{type(error).__name__}: {error}"
        return {"raises": type(error).__name__}


def _sequences(cfg, r):
    seqs = []
    for length in cfg["lengths"]:
        if cfg["element"] == "int":
            seqs.append([int(v) for v in r.integers(1, 20, length)])
        elif cfg["element"] == "float":
            seqs.append([float(np.float32(v)) for v in r.normal(size=length)])
        elif cfg["element"] == "vector":
            seqs.append(r.integers(1, 9, (length, 2)).tolist())
        else:
            seqs.append([_pick(r, ["ab", "c", "def", "g"]) for _ in range(length)])
    if cfg.get("as_arrays"):
        seqs = [np.asarray(s, "float32" if cfg["element"] == "float" else "int64") for s in seqs]
    return seqs


def _run_pad_sequences(K, cfg, r, root):
    dtype = object if cfg["dtype"] == "object" else cfg["dtype"]
    out = K.utils.pad_sequences(_sequences(cfg, r), maxlen=cfg["maxlen"], dtype=dtype,
                                padding=cfg["padding"], truncating=cfg["truncating"],
                                value=cfg["value"])
    return _described(out)


def _described(out):
    """The output (float64 stored as float32), its dtype (kind and size) and shape."""
    out = np.asarray(out)
    if out.dtype == object:
        out = out.astype(str)
    dtype = "U" if out.dtype.kind == "U" else out.dtype.kind + str(out.dtype.itemsize)
    if out.dtype == np.float64:
        out = out.astype("float32")
    return {"out": out, "dtype": dtype, "shape": list(out.shape)}


def _run_to_categorical(K, cfg, r, root):
    x = r.integers(0, cfg["high"], cfg["shape"])
    x = x.tolist() if cfg["as_list"] else x
    return _described(K.utils.to_categorical(x, num_classes=cfg["num_classes"]))


def _run_normalize(K, cfg, r, root):
    x = r.normal(size=cfg["shape"]).astype("float32")
    if cfg["zero_row"]:
        x.reshape(-1, x.shape[-1])[0] = 0.0
    x = x.tolist() if cfg["as_list"] else x
    order = float(cfg["order"]) if cfg["order"] == "inf" else cfg["order"]
    if cfg["as_list"] and order in (0, float("inf")):
        order = 2  # Keras's tensor path takes integer orders >= 1 only
    out = K.utils.normalize(x, axis=cfg["axis"], order=order)
    return _described(K.ops.convert_to_numpy(out) if not isinstance(out, np.ndarray) else out)


def _split_structure(cfg, r):
    n, kind = cfg["n"], cfg["structure"]
    a = r.normal(size=(n, 2)).astype("float32")
    b = r.integers(0, 5, n).astype("int32")
    if kind == "array":
        return a
    if kind == "vector":
        return b
    if kind == "tuple":
        return (a, b)
    if kind == "list":
        return [a, b]
    return {"x": a, "y": b}


def _as_arrays(part):
    """A split part as a flat list of arrays: kerasx's arrays, or a `tf.data` dataset's
    elements stacked."""
    if hasattr(part, "as_numpy_iterator"):
        elements = list(part.as_numpy_iterator())
        first = elements[0]
        if isinstance(first, dict):
            return [np.stack([e[k] for e in elements]) for k in sorted(first)]
        if isinstance(first, (tuple, list)):
            return [np.stack([e[i] for e in elements]) for i in range(len(first))]
        return [np.stack(elements)]
    if isinstance(part, dict):
        return [np.asarray(part[k]) for k in sorted(part)]
    if isinstance(part, (tuple, list)):
        return [np.asarray(v) for v in part]
    return [np.asarray(part)]


def _run_split_dataset(K, cfg, r, root):
    left, right = K.utils.split_dataset(_split_structure(cfg, r), left_size=cfg["left_size"],
                                        right_size=cfg["right_size"], shuffle=cfg["shuffle"],
                                        seed=cfg["seed"])
    return {"left": _as_arrays(left), "right": _as_arrays(right)}


def _run_timeseries(K, cfg, r, root):
    n = cfg["n"]
    shape = (n,) if cfg["features"] == 0 else (n, cfg["features"])
    data = (r.integers(0, 100, shape).astype("int32") if cfg["int_data"]
            else r.normal(size=shape).astype("float32"))
    targets = {"none": None, "same": np.arange(n, dtype="int32") * 10,
               "shorter": np.arange(max(n - 4, 1), dtype="float32"),
               "vector": r.normal(size=(n, 2)).astype("float32")}[cfg["targets"]]
    ds = K.utils.timeseries_dataset_from_array(
        data, targets, cfg["sequence_length"], sequence_stride=cfg["sequence_stride"],
        sampling_rate=cfg["sampling_rate"], batch_size=cfg["batch_size"],
        shuffle=cfg.get("shuffle", False), seed=3, start_index=cfg["start_index"],
        end_index=cfg["end_index"])
    if cfg.get("shuffle"):  # each library draws its own order
        return {"windows": _canonical(_batches(ds), cfg["batch_size"] is not None)}
    return {"batches": _batches(ds)}


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    value = np.asarray(value)
    if value.dtype == object:  # tf.string tensors: bytes
        value = np.asarray([v.decode("utf-8", "ignore") if isinstance(v, bytes) else v
                            for v in value.reshape(-1)], dtype=str).reshape(value.shape)
    elif value.dtype.kind == "S":
        value = np.char.decode(value, "utf-8", "ignore")
    return value


def _batches(ds):
    items = ds.as_numpy_iterator() if hasattr(ds, "as_numpy_iterator") else ds
    return [_plain(b) for b in items]


# --- directory trees ---------------------------------------------------------------------


def write_tree(root, cfg, kind):
    """Writes the case's files under `root/data` (and a linked folder when `link`)."""
    top = os.path.join(root, "data")
    os.makedirs(top, exist_ok=True)
    for c in cfg["tree"]["classes"]:
        os.makedirs(os.path.join(top, c), exist_ok=True)
    modes = ["RGB", "L", "RGBA"]
    for i, (folder, name, seed) in enumerate(cfg["tree"]["files"]):
        path = os.path.join(top, folder, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        g = np.random.default_rng(seed)
        ext = os.path.splitext(name)[1].lower()
        if ext == ".dat":
            with open(path, "w") as f:
                f.write("not a sample")
        elif kind == "image_dir":
            from PIL import Image

            mode = cfg["kwargs"]["file_modes"]
            mode = modes[i % 3] if mode == "mixed" else mode
            if ext in (".gif", ".bmp", ".jpg") and mode == "RGBA":
                mode = "RGB"
            size = (int(g.integers(2, 9)), int(g.integers(2, 9)))
            channels = {"RGB": 3, "L": 1, "RGBA": 4}[mode]
            pixels = g.integers(0, 256, size + (channels,)).astype("uint8")
            if mode == "RGBA":
                pixels[..., 3] = 255
            image = Image.fromarray(pixels[..., 0] if mode == "L" else pixels, mode)
            image.save(path)
        elif kind == "text_dir":
            words = ["alpha", "b", "héllo", "z", "123", "ß"]
            text = " ".join(_pick(g, words) for _ in range(int(g.integers(0, 5))))
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        else:
            channels = cfg["kwargs"]["channels"]
            frames = g.integers(-3000, 3000, (int(g.integers(2, 9)), channels)).astype("<i2")
            with wave.open(path, "wb") as w:
                w.setnchannels(channels)
                w.setsampwidth(2)
                w.setframerate(8000)
                w.writeframes(frames.tobytes())
    if cfg["tree"]["link"] and cfg["tree"]["classes"]:
        outside = os.path.join(root, "outside")
        os.makedirs(outside, exist_ok=True)
        source = os.path.join(top, cfg["tree"]["classes"][0], "sub")
        if os.path.isdir(source):
            for name in sorted(os.listdir(source)):
                with open(os.path.join(source, name), "rb") as f_in, \
                        open(os.path.join(outside, "l" + name), "wb") as f_out:
                    f_out.write(f_in.read())
        os.symlink(outside, os.path.join(top, cfg["tree"]["classes"][0], "linked"))
    return top


def _directory_kwargs(cfg, kind, top):
    kw = dict(cfg["kwargs"])
    if kw["labels"] == "list":
        n = len(_listed_files(top, kind, kw["follow_links"]))
        kw["labels"] = [i % 3 for i in range(n)]
    if kind == "image_dir":
        aspect = kw.pop("aspect")
        kw.pop("file_modes")
        kw["crop_to_aspect_ratio"] = aspect == "crop"
        kw["pad_to_aspect_ratio"] = aspect == "pad"
        kw["image_size"] = tuple(kw["image_size"])
    if kind == "audio_dir":
        kw.pop("channels")
    return kw


def _listed_files(top, kind, follow_links):
    """The number of files a labels list must cover (the files the dataset lists)."""
    exts = {"image_dir": (".png", ".bmp", ".gif", ".jpg", ".jpeg"), "text_dir": (".txt",),
            "audio_dir": (".wav",)}[kind]
    found = []
    for dirpath, _, files in os.walk(top, followlinks=follow_links):
        found += [f for f in files if f.lower().endswith(exts)]
    return found


def _run_directory(K, cfg, root, kind):
    top = write_tree(root, cfg, kind)
    fn = {"image_dir": K.utils.image_dataset_from_directory,
          "text_dir": K.utils.text_dataset_from_directory,
          "audio_dir": K.utils.audio_dataset_from_directory}[kind]
    kw = _directory_kwargs(cfg, kind, top)
    out = fn(top, verbose=False, **kw)
    parts = list(out) if isinstance(out, (tuple, list)) else [out]
    results = []
    for i, ds in enumerate(parts):
        shuffled = kw["shuffle"] and not (kw["subset"] == "both" and i == 1)
        batches = _batches(ds)
        entry = {"class_names": list(ds.class_names) if ds.class_names is not None else None}
        if kind == "text_dir":  # Keras's grain format gives a list of texts per batch
            labelled = kw["labels"] is not None and kw["label_mode"] is not None
            batches = [_text_batch(b, labelled) for b in batches]
        if kind == "image_dir":  # Keras's text and audio datasets have no `file_paths`
            entry["file_paths"] = [os.path.relpath(p, top).replace(os.sep, "/")
                                   for p in ds.file_paths]
            batches = [_float_images(b) for b in batches]
        batched = kw["batch_size"] is not None
        entry["samples"] = _canonical(batches, batched) if shuffled else batches
        results.append(entry)
    return {"parts": results}


def _text_batch(batch, labelled):
    if labelled:
        return [np.asarray(batch[0], dtype=str)] + batch[1:]
    return np.asarray(batch, dtype=str)


def _float_images(batch):
    """Images as float32: Keras's "tf" format keeps `uint8` for `interpolation="nearest"`
    (`tf.image.resize`), where its documentation promises float32."""
    if isinstance(batch, list):
        return [batch[0].astype("float32")] + batch[1:]
    return batch.astype("float32")


def _canonical(batches, batched):
    """The samples (and labels) of shuffled batches, sorted: batch sizes and the rows in a
    fixed order, comparable whatever order the dataset drew."""
    sizes = []
    rows = []
    for b in batches:
        x, y = (b[0], b[1]) if isinstance(b, list) else (b, None)
        if not batched:
            x, y = x[None], None if y is None else np.asarray(y)[None]
        sizes.append(len(x))
        for j in range(len(x)):
            label = None if y is None else y[j]
            key = repr((x[j].tolist(), None if label is None else label.tolist()))
            rows.append((key, x[j], label))
    rows.sort(key=lambda t: t[0])
    result = {"sizes": sizes, "x": np.stack([t[1] for t in rows])}
    if rows and rows[0][2] is not None:
        result["y"] = np.stack([t[2] for t in rows])
    return result


def _run_image_dir(K, cfg, r, root):
    return _run_directory(K, cfg, root, "image_dir")


def _run_text_dir(K, cfg, r, root):
    return _run_directory(K, cfg, root, "text_dir")


def _run_audio_dir(K, cfg, r, root):
    return _run_directory(K, cfg, root, "audio_dir")


# --- fit / evaluate / predict ------------------------------------------------------------


def _fit_model(K, cfg, r):
    out_units, activation = (2, None) if cfg["task"] == "reg" else (3, "softmax")
    if cfg["model"] == "single":
        inputs = K.Input((4,), name="x")
        h = K.layers.Dense(5, activation="relu")(inputs)
    else:
        a, b = K.Input((3,), name="a"), K.Input((2,), name="b")
        inputs = [a, b] if cfg["model"] == "list" else {"a": a, "b": b}
        h = K.layers.Dense(4, activation="tanh")(K.layers.Concatenate()([a, b]))
    model = K.Model(inputs, K.layers.Dense(out_units, activation=activation)(h))
    model.set_weights([r.normal(scale=0.5, size=w.shape).astype("float32")
                       for w in model.get_weights()])
    if cfg["task"] == "reg":
        model.compile(K.optimizers.SGD(0.05), "mse", metrics=["mae"])
    else:
        model.compile(K.optimizers.SGD(0.1), "sparse_categorical_crossentropy",
                      metrics=["accuracy"])
    return model


def _fit_data(cfg, r, n):
    if cfg["model"] == "single":
        x = r.normal(size=(n, 4)).astype("float32")
    else:
        x = [r.normal(size=(n, 3)).astype("float32"), r.normal(size=(n, 2)).astype("float32")]
        x = x if cfg["model"] == "list" else {"a": x[0], "b": x[1]}
    y = (r.normal(size=(n, 2)).astype("float32") if cfg["task"] == "reg"
         else r.integers(0, 3, n).astype("int32"))
    sw = r.uniform(0.2, 2.0, n).astype("float32")
    return x, y, sw


def _rows(x, start, stop):
    if isinstance(x, dict):
        return {k: v[start:stop] for k, v in x.items()}
    if isinstance(x, list):
        return [v[start:stop] for v in x]
    return x[start:stop]


def _batch_list(x, y, sw, batch):
    n = len(y)
    out = []
    for start in range(0, n, batch):
        item = (_rows(x, start, start + batch), y[start:start + batch])
        if sw is not None:
            item += (sw[start:start + batch],)
        out.append(item)
    return out


def _generator(items):
    while True:
        for item in items:
            yield item


def _py_dataset(K, items, infinite, reorder, log):
    class Batches(K.utils.PyDataset):
        def __init__(self):
            super().__init__(workers=1, use_multiprocessing=False)
            self.order = list(range(len(items)))

        def __len__(self):
            return len(items)

        @property
        def num_batches(self):
            return None if infinite else len(items)

        def __getitem__(self, index):
            log.append(index)
            return items[self.order[index % len(items)]]

        def on_epoch_end(self):
            if reorder:
                self.order = self.order[1:] + self.order[:1]

    return Batches()


def _feed(K, cfg, kind, items, log):
    """The `x` of `fit` / `evaluate` / `predict` for a feed kind."""
    if kind == "generator":
        return _generator(items)
    return _py_dataset(K, items, kind == "pydataset_infinite", cfg["reorder_on_epoch_end"], log)


def _run_fit(K, cfg, r, root):
    model = _fit_model(K, cfg, r)
    x, y, sw = _fit_data(cfg, r, cfg["n"])
    vx, vy, vsw = _fit_data(cfg, r, 5)
    counts = {"train": [], "test": 0, "predict": 0}

    class Count(K.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            counts["train"].append(0)

        def on_train_batch_end(self, batch, logs=None):
            counts["train"][-1] += 1

        def on_test_batch_end(self, batch, logs=None):
            counts["test"] += 1

        def on_predict_batch_end(self, batch, logs=None):
            counts["predict"] += 1

    kw = {"epochs": cfg["epochs"], "initial_epoch": cfg["initial_epoch"], "verbose": 0,
          "shuffle": False,
          "callbacks": [Count()], "steps_per_epoch": cfg["steps_per_epoch"]}
    if cfg["class_weight"]:
        kw["class_weight"] = {0: 1.0, 1: 2.0, 2: 0.5}
    log = []
    batch = cfg["batch_size"]
    if cfg["feed"] == "arrays":
        kw["batch_size"] = batch
        if cfg["sample_weight"]:
            kw["sample_weight"] = sw
        fit_x, fit_y = x, y
    else:
        fit_x = _feed(K, cfg, cfg["feed"], _batch_list(x, y, sw if cfg["sample_weight"]
                                                       else None, batch), log)
        fit_y = None
    validation = cfg["validation"]
    if validation == "tuple":
        kw["validation_data"] = (vx, vy, vsw) if cfg["sample_weight"] else (vx, vy)
    elif validation == "split":
        kw["validation_split"] = 0.25
    elif validation is not None:
        kind = "generator" if validation == "generator" else "pydataset"
        kw["validation_data"] = _feed(K, cfg, kind, _batch_list(vx, vy, None, 2), [])
        if validation == "generator":
            kw["validation_steps"] = 2
    history = model.fit(fit_x, fit_y, **kw)
    results = {"history_keys": list(history.history),
               "history": {k: np.asarray(v, "float32") for k, v in history.history.items()},
               "epochs": list(history.epoch), "counts_fit": dict(counts),
               "weights": [np.asarray(w) for w in model.get_weights()]}
    counts["test"] = counts["predict"] = 0
    if cfg["feed"] == "arrays":
        logs = model.evaluate(x, y, batch_size=batch, verbose=0, return_dict=True)
        pred = model.predict(x, batch_size=batch, verbose=0)
    else:
        items = _batch_list(x, y, None, batch)
        steps = len(items) if cfg["feed"] != "pydataset" else None
        logs = model.evaluate(_feed(K, cfg, cfg["feed"], items, []), steps=steps, verbose=0,
                              return_dict=True)
        pred = model.predict(_feed(K, cfg, cfg["feed"], [(b[0],) for b in items], []),
                             steps=steps, verbose=0)
    results["evaluate"] = {k: np.asarray(v, "float32") for k, v in logs.items()}
    results["evaluate_keys"] = list(logs)
    results["predict"] = np.asarray(pred)
    results["counts_after"] = {"test": counts["test"], "predict": counts["predict"]}
    return results


# ---------------------------------------------------------------------------------------
# comparing results
# ---------------------------------------------------------------------------------------


def unflatten(skeleton, arrays):
    """The results `training_recipe.flatten_results` split into `skeleton` and `arrays`."""
    if isinstance(skeleton, dict) and set(skeleton) == {"array"}:
        return arrays[skeleton["array"]]
    if isinstance(skeleton, dict):
        return {k: unflatten(v, arrays) for k, v in skeleton.items()}
    if isinstance(skeleton, list):
        return [unflatten(v, arrays) for v in skeleton]
    return skeleton


def differences(expected, got, path="r", rtol=1e-5, atol=1e-6):
    """The places where two results differ (an empty list when they agree): structure,
    plain values and array dtypes exactly, float arrays within the tolerance."""
    if isinstance(expected, dict):
        if not isinstance(got, dict) or list(got) != list(expected):
            return [f"{path}: keys {list(got) if isinstance(got, dict) else got!r}, "
                    f"expected {list(expected)}"]
        return [d for k in expected
                for d in differences(expected[k], got[k], f"{path}.{k}", rtol, atol)]
    if isinstance(expected, (list, tuple)):
        if not isinstance(got, (list, tuple)) or len(got) != len(expected):
            return [f"{path}: {_short(got)}, expected {_short(expected)}"]
        return [d for i, (e, g) in enumerate(zip(expected, got))
                for d in differences(e, g, f"{path}[{i}]", rtol, atol)]
    if isinstance(expected, np.ndarray) or isinstance(got, np.ndarray):
        e, g = np.asarray(expected), np.asarray(got)
        if e.shape != g.shape:
            return [f"{path}: shape {g.shape}, expected {e.shape}"]
        if e.dtype != g.dtype and not (e.dtype.kind == g.dtype.kind == "U"):
            return [f"{path}: dtype {g.dtype}, expected {e.dtype}"]
        if e.dtype.kind == "f":  # atol relative to the scale (pixels run to 255)
            scale = max(1.0, float(np.nanmax(np.abs(e)))) if e.size else 1.0
            if not np.allclose(g, e, rtol=rtol, atol=atol * scale, equal_nan=True):
                return [f"{path}: max |diff| {np.nanmax(np.abs(g - e)):.3g}"]
            return []
        return [] if np.array_equal(e, g) else [f"{path}: {_short(g)}, expected {_short(e)}"]
    if isinstance(expected, float) and isinstance(got, float):
        return [] if np.isclose(got, expected, rtol=rtol, atol=atol) else [
            f"{path}: {got!r}, expected {expected!r}"]
    return [] if got == expected else [f"{path}: {got!r}, expected {expected!r}"]


def _short(v):
    text = repr(v.tolist() if isinstance(v, np.ndarray) else v)
    return text if len(text) < 200 else text[:200] + "..."
