"""Random single layers and short fused chains, for comparing gradients with Keras's.

A case is plain JSON drawn by `draw_case(seed)`: its inputs (float data, data with many
ties, token ids, a boolean mask), a batch size of 1, 2 or 3, and one layer (convolution,
transposed / separable / depthwise convolution, pooling, reshaping, merging, normalization,
activation layers, Embedding, Dense, EinsumDense) with random arguments (some convolutions
with 32 or more channels, which the NumPy backend computes with other kernels), a chain
that Sequential and functional models run as one op (a convolution then max / average /
global pooling, an activation between them, batch normalization before pooling or ReLU),
or a layer that moves or copies data (Permute, Cropping2D, UpSampling2D, ZeroPadding2D, a
convolution, Dense) then another, in a functional or Sequential model called with
`training` True or False. `build_model(K, case)`
builds it in ``K`` = ``keras`` or ``kerasx`` (this module imports neither); `case_inputs`,
`draw_weights` and `draw_projection` give the arrays, so that both libraries can take
`d sum(model(x) * proj)` with respect to every float input and trainable weight.
"""

import random

import numpy as np

ACTIVATIONS = (None, "relu", "tanh", "sigmoid", "elu", "softplus", "leaky_relu", "gelu")


# -- the grammar ----------------------------------------------------------------------
def _fmt(r):
    return r.choice(["channels_last", "channels_first"])


def _image(r, rank, channels, fmt, lo=2, hi=6):
    spatial = [r.randint(lo, hi) for _ in range(rank)]
    return spatial + [channels] if fmt == "channels_last" else [channels] + spatial


def _per_dim(r, rank, lo, hi):
    vals = [r.randint(lo, hi) for _ in range(rank)]
    return vals[0] if rank == 1 or r.random() < 0.4 else vals


def _dims(v, rank):
    return [v] * rank if isinstance(v, int) else list(v)


def _fits(shape, fmt, kernel, dilation, rank, padding):
    """Whether a 'valid' window fits in every spatial size."""
    spatial = shape[:-1] if fmt == "channels_last" else shape[1:]
    if padding != "valid":
        return True
    k, d = _dims(kernel, rank), _dims(dilation, rank)
    return all(s >= (kk - 1) * dd + 1 for s, kk, dd in zip(spatial, k, d))


def _conv(r, case):
    rank = r.choice([1, 1, 2, 2, 2, 3])
    fmt = _fmt(r)
    kind = r.choice(["plain", "plain", "transpose", "separable", "depthwise"])
    if rank == 3 and kind in ("separable", "depthwise"):
        kind = "plain"
    # wide cases reach the NumPy backend's kernels for 32+ channels (Winograd, grids)
    wide = r.random() < 0.15
    cin = r.choice([32, 34]) if wide else r.randint(1, 4) if r.random() < 0.8 else 6
    cfg = {"kernel_size": 3 if wide and r.random() < 0.6 else
           _per_dim(r, rank, 1, 4 if rank < 3 else 3), "data_format": fmt,
           "use_bias": r.random() < 0.7, "activation": r.choice(ACTIVATIONS)}
    # JAX 0.10.2 aborts on gradients of some strided / dilated 3D convolutions
    strided = rank < 3 and r.random() < 0.4
    # Conv and ConvTranspose refuse strides and dilation together, the others take both
    together = kind in ("separable", "depthwise")
    dilated = rank < 3 and (together or not strided) and r.random() < 0.3
    strided = strided and not (wide and r.random() < 0.6)
    if strided:
        cfg["strides"] = _per_dim(r, rank, 1, 3)
    if dilated:
        cfg["dilation_rate"] = _per_dim(r, rank, 1, 3)
    paddings = ["valid", "same"] + (["causal"] if rank == 1 and kind == "plain" else [])
    cfg["padding"] = r.choice(paddings)
    if kind == "plain":
        cls = f"Conv{rank}D"
        groups = r.choice([1, 1] + [g for g in (2, 3, 6) if cin % g == 0])
        cfg["filters"] = r.choice([32, 34]) if wide else groups * r.randint(1, 3)
        if groups > 1:
            cfg["groups"] = groups
        if cfg["padding"] == "causal":
            cfg["data_format"] = fmt = "channels_last"
    elif kind == "transpose":
        cls = f"Conv{rank}DTranspose"
        cfg["filters"] = r.randint(1, 3)
        if strided and r.random() < 0.6:
            s = _dims(cfg["strides"], rank)
            cfg["output_padding"] = [r.randint(0, si - 1) for si in s]
    elif kind == "separable":
        cls = f"SeparableConv{rank}D"
        cfg["filters"] = r.randint(1, 3)
        cfg["depth_multiplier"] = r.randint(1, 2)
    else:
        cls = f"DepthwiseConv{rank}D"
        cfg["depth_multiplier"] = r.randint(1, 2)
    for _ in range(20):
        shape = _image(r, rank, cin, fmt, 6 if wide else 2,
                       (13 if wide else 7) if rank < 3 else (6 if wide else 4))
        if _fits(shape, fmt, cfg["kernel_size"], cfg.get("dilation_rate", 1), rank,
                 cfg["padding"] if kind != "transpose" else "same"):
            break
    else:
        shape = _image(r, rank, cin, fmt, 10, 11)
    case["inputs"] = [{"shape": shape, "data": "normal"}]
    case["layers"] = [{"class_name": cls, "config": cfg}]


def _pool(r, case):
    rank = r.choice([1, 2, 2, 3])
    fmt = _fmt(r)
    mode = r.choice(["Max", "Max", "Average"])
    channels = r.randint(1, 3)
    if r.random() < 0.3:
        cls = f"Global{mode}Pooling{rank}D"
        cfg = {"data_format": fmt, "keepdims": r.random() < 0.5}
        shape = _image(r, rank, channels, fmt, 1, 5 if rank < 3 else 4)
    else:
        cls = f"{mode}Pooling{rank}D"
        pool = _per_dim(r, rank, 1, 3)
        cfg = {"pool_size": pool, "padding": r.choice(["valid", "same"]), "data_format": fmt}
        if r.random() < 0.5:
            cfg["strides"] = _per_dim(r, rank, 1, 3)
        lo = max(_dims(pool, rank))
        shape = _image(r, rank, channels, fmt, lo, 7 if rank < 3 else 5)
    case["inputs"] = [{"shape": shape, "data": r.choice(["normal", "ties", "ties"])}]
    case["layers"] = [{"class_name": cls, "config": cfg}]


def _reshape(r, case):
    choice = r.choice(["Cropping", "ZeroPadding", "UpSampling", "Permute", "RepeatVector",
                       "Reshape", "Flatten"])
    if choice in ("Cropping", "ZeroPadding", "UpSampling"):
        rank = r.choice([1, 2, 2, 3])
        fmt = _fmt(r) if rank > 1 else "channels_last"
        shape = _image(r, rank, r.randint(1, 3), fmt, 3, 6 if rank < 3 else 4)
        spatial = shape[:-1] if fmt == "channels_last" else shape[1:]
        cfg = {} if rank == 1 else {"data_format": fmt}
        if choice == "Cropping":
            crops = []
            for s in spatial:
                a = r.randint(0, (s - 1) // 2)
                crops.append([a, r.randint(0, s - 1 - 2 * a) if s - 1 - 2 * a > 0 else 0])
            cfg["cropping"] = crops[0] if rank == 1 else crops
        elif choice == "ZeroPadding":
            pads = [[r.randint(0, 2), r.randint(0, 2)] for _ in spatial]
            cfg["padding"] = pads[0] if rank == 1 else pads
        else:
            size = [r.randint(1, 3) for _ in spatial]
            cfg["size"] = size[0] if rank == 1 else size
            if rank == 2:
                cfg["interpolation"] = r.choice(["nearest", "bilinear"])
        case["inputs"] = [{"shape": shape, "data": "normal"}]
        case["layers"] = [{"class_name": f"{choice}{rank}D", "config": cfg}]
        return
    if choice == "Permute":
        shape = [r.randint(1, 4) for _ in range(r.randint(2, 4))]
        dims = list(range(1, len(shape) + 1))
        r.shuffle(dims)
        cfg = {"dims": dims}
    elif choice == "RepeatVector":
        shape = [r.randint(1, 5)]
        cfg = {"n": r.randint(1, 4)}
    elif choice == "Reshape":
        shape = [r.randint(1, 4) for _ in range(r.randint(1, 3))]
        total = int(np.prod(shape))
        divisors = [d for d in range(1, total + 1) if total % d == 0]
        d = r.choice(divisors)
        target = [d, total // d] if r.random() < 0.6 else [total]
        if r.random() < 0.3:
            target[r.randrange(len(target))] = -1
        cfg = {"target_shape": target}
    else:
        shape = [r.randint(1, 4) for _ in range(r.randint(1, 3))]
        cfg = {"data_format": _fmt(r)}
    case["inputs"] = [{"shape": shape, "data": "normal"}]
    case["layers"] = [{"class_name": choice, "config": cfg}]


def _merge(r, case):
    cls = r.choice(["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum",
                    "Concatenate", "Dot"])
    rank = r.randint(1, 3)
    base = [r.randint(1, 4) for _ in range(rank)]
    n = 2 if cls in ("Subtract", "Dot") else r.randint(2, 3)
    data = r.choice(["normal", "normal", "ties"])
    cfg = {}
    shapes = [list(base) for _ in range(n)]
    if cls == "Concatenate":
        axis = r.randint(1, rank)
        cfg["axis"] = r.choice([axis, axis - rank - 1])
        for s in shapes:
            s[axis - 1] = r.randint(1, 3)
    elif cls == "Dot":
        rank = r.randint(1, 2)
        if rank == 1:
            shapes = [[base[0]], [base[0]]]
            cfg["axes"] = r.choice([1, -1])
        else:
            a, b = r.randint(1, 3), r.randint(1, 3)
            c = r.randint(1, 4)
            axes = r.choice([[1, 1], [2, 2], [1, 2], [2, 1]])
            shapes = [[c, a] if axes[0] == 1 else [a, c], [c, b] if axes[1] == 1 else [b, c]]
            cfg["axes"] = axes if r.random() < 0.7 else axes[0] if axes[0] == axes[1] else axes
        cfg["normalize"] = r.random() < 0.5
    elif r.random() < 0.3 and rank > 1 and cls not in ("Maximum", "Minimum", "Average"):
        shapes[1][0] = 1  # the second input broadcast along its first axis
    case["inputs"] = [{"shape": s, "data": data} for s in shapes]
    case["layers"] = [{"class_name": cls, "config": cfg}]


def _normalization(r, case):
    cls = r.choice(["BatchNormalization", "BatchNormalization", "LayerNormalization",
                    "GroupNormalization", "UnitNormalization"])
    rank = r.randint(2, 4)
    shape = [r.randint(1, 4) for _ in range(rank - 1)] + [r.choice([2, 3, 4, 6])]
    cfg = {}
    if cls == "BatchNormalization":
        cfg["axis"] = r.choice([-1, -1, 1, rank - 1])
        cfg["momentum"] = r.choice([0.99, 0.5])
        cfg["epsilon"] = r.choice([1e-3, 0.1])
        cfg["center"] = r.random() < 0.8
        cfg["scale"] = r.random() < 0.8
        case["training"] = r.random() < 0.7
    elif cls == "LayerNormalization":
        axes = sorted(r.sample(range(1, rank), r.randint(1, rank - 1)))
        cfg["axis"] = axes if len(axes) > 1 or r.random() < 0.5 else axes[0]
        cfg["center"] = r.random() < 0.8
        cfg["scale"] = r.random() < 0.8
        cfg["rms_scaling"] = r.random() < 0.3
        cfg["epsilon"] = r.choice([1e-3, 1e-5])
    elif cls == "GroupNormalization":
        channels = shape[-1]
        cfg["groups"] = r.choice([g for g in (1, 2, 3, 6) if channels % g == 0])
        cfg["center"] = r.random() < 0.8
        cfg["scale"] = r.random() < 0.8
        cfg["epsilon"] = r.choice([1e-3, 1e-5])
    else:
        cfg["axis"] = r.choice([-1, 1, [1, -1]]) if rank > 2 else -1
    case["inputs"] = [{"shape": shape, "data": "normal"}]
    case["layers"] = [{"class_name": cls, "config": cfg}]


def _activation(r, case):
    cls = r.choice(["ReLU", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "Softmax"])
    rank = r.randint(1, 3)
    shape = [r.randint(1, 4) for _ in range(rank)]
    cfg = {}
    data = "normal"
    if cls == "ReLU":
        if r.random() < 0.5:
            cfg["max_value"] = r.choice([0.5, 1.0, 6.0])
        if r.random() < 0.5:
            cfg["negative_slope"] = r.choice([0.1, 0.3])
        if r.random() < 0.5:
            cfg["threshold"] = r.choice([0.2, 0.5])
        data = r.choice(["normal", "normal", "ties"])
    elif cls == "LeakyReLU":
        cfg["negative_slope"] = r.choice([0.01, 0.2, 0.3])
    elif cls == "PReLU":
        if rank > 1 and r.random() < 0.6:
            cfg["shared_axes"] = sorted(r.sample(range(1, rank + 1), r.randint(1, rank - 1)))
        cfg["alpha_initializer"] = "zeros"
    elif cls == "ELU":
        cfg["alpha"] = r.choice([0.5, 1.0, 2.0])
    else:
        cfg["axis"] = r.choice([-1, -1, 1]) if rank > 1 else -1
        if r.random() < 0.5:
            case["mask"] = True
    case["inputs"] = [{"shape": shape, "data": data}]
    case["layers"] = [{"class_name": cls, "config": cfg}]


def _dense(r, case):
    cls = r.choice(["Dense", "Dense", "EinsumDense", "Embedding"])
    if cls == "Dense":
        shape = [r.randint(1, 4) for _ in range(r.randint(1, 3))]
        cfg = {"units": r.randint(1, 4), "activation": r.choice(ACTIVATIONS),
               "use_bias": r.random() < 0.8}
        case["inputs"] = [{"shape": shape, "data": "normal"}]
    elif cls == "Embedding":
        vocab = r.randint(3, 8)
        cfg = {"input_dim": vocab, "output_dim": r.randint(1, 4)}
        case["inputs"] = [{"shape": [r.randint(1, 5)], "data": "int", "vocab": vocab}]
    else:
        equation, out, bias, shape = r.choice([
            ("ab,bc->ac", [3], "c", [4]),
            ("abc,cd->abd", [None, 3], "d", [2, 4]),
            ("abc,cde->abde", [2, 2, 3], "de", [2, 3]),
            ("abc,cde->abde", [2, 2, 3], "be", [2, 3]),
            ("abcd,cde->abe", [2, 3], "e", [2, 2, 3]),
            ("...b,bc->...c", [3], "c", [2, 3, 2]),
            ("abc,cd->adb", [3, 2], None, [2, 4]),
        ])
        cfg = {"equation": equation, "output_shape": out,
               "activation": r.choice(ACTIVATIONS)}
        if bias:
            cfg["bias_axes"] = bias
        case["inputs"] = [{"shape": shape, "data": "normal"}]
    case["layers"] = [{"class_name": cls, "config": cfg}]


def _fused(r, case):
    """A chain a Sequential or functional model runs as one op."""
    rank = r.choice([1, 2, 2, 3])
    fmt = _fmt(r)
    kind = r.choice(["conv_max", "conv_act_max", "conv_avg", "conv_global", "bn_max",
                     "conv_bn_max", "bn_relu", "conv_bn"])
    wide = r.random() < 0.15
    conv = {"class_name": f"Conv{rank}D",
            "config": {"filters": 32 if wide else r.randint(1, 3),
                       "kernel_size": 3 if wide else _per_dim(r, rank, 1, 3),
                       "padding": r.choice(["valid", "same"]), "data_format": fmt,
                       "use_bias": r.random() < 0.7}}
    pool_size = _per_dim(r, rank, 1, 2)
    pool_cfg = {"pool_size": pool_size, "data_format": fmt,
                "padding": r.choice(["valid", "same"])}
    if r.random() < 0.4:
        pool_cfg["strides"] = _per_dim(r, rank, 1, 2)
    bn = {"class_name": "BatchNormalization",
          "config": {"axis": -1 if fmt == "channels_last" else 1,
                     "momentum": 0.5, "center": r.random() < 0.8, "scale": r.random() < 0.8}}
    act = r.choice(["relu", "tanh", "sigmoid", "elu", "leaky_relu", None])
    if kind == "conv_max":
        conv["config"]["activation"] = act
        layers = [conv, {"class_name": f"MaxPooling{rank}D", "config": pool_cfg}]
    elif kind == "conv_act_max":
        layers = [conv, {"class_name": "ReLU", "config": {}} if r.random() < 0.5 else
                  {"class_name": "Activation", "config": {"activation": act or "linear"}},
                  {"class_name": f"MaxPooling{rank}D", "config": pool_cfg}]
    elif kind == "conv_avg":
        conv["config"]["activation"] = r.choice(["relu", None])
        layers = [conv, {"class_name": f"AveragePooling{rank}D", "config": pool_cfg}]
    elif kind == "conv_global":
        conv["config"]["activation"] = act
        layers = [conv, {"class_name": f"GlobalMaxPooling{rank}D",
                         "config": {"data_format": fmt, "keepdims": r.random() < 0.5}}]
    elif kind == "bn_max":
        layers = [bn, {"class_name": f"MaxPooling{rank}D", "config": pool_cfg}]
        if r.random() < 0.5:
            layers.insert(1, {"class_name": "ReLU", "config": {}})
    elif kind == "conv_bn_max":
        pool_cfg.pop("strides", None)
        pool_cfg["padding"] = "valid"
        layers = [conv, bn, {"class_name": f"MaxPooling{rank}D", "config": pool_cfg}]
    elif kind == "bn_relu":
        layers = [bn, {"class_name": "ReLU", "config": {}}]
    else:
        layers = [conv, bn]
    case["training"] = r.random() < 0.8
    cin = 32 if wide else r.randint(1, 3)
    hi = (12 if wide else 7) if rank < 3 else (6 if wide else 5)
    shape = _image(r, rank, cin, fmt, 6 if wide else 4, hi)
    case["inputs"] = [{"shape": shape, "data": r.choice(["normal", "normal", "ties"])}]
    case["layers"] = layers


def _pair(r, case):
    """A layer that moves or copies data (its output gradient then reaches the layer
    before as a strided view, or the next layer reads a view) and one after it."""
    h, w, c = r.randint(3, 6), r.randint(3, 6), r.randint(1, 4)
    fmt = "channels_last"
    first = r.choice(["swap", "to_channels_first", "crop", "upsample", "conv", "pad",
                      "dense"])
    if first == "swap":
        a = {"class_name": "Permute", "config": {"dims": [2, 1, 3]}}
    elif first == "to_channels_first":
        a = {"class_name": "Permute", "config": {"dims": [3, 1, 2]}}
        fmt = "channels_first"
    elif first == "crop":
        a = {"class_name": "Cropping2D", "config": {"cropping": [[1, 0], [0, 1]]}}
        h, w = h + 1, w + 1
    elif first == "upsample":
        a = {"class_name": "UpSampling2D",
             "config": {"size": 2, "interpolation": r.choice(["nearest", "bilinear"])}}
    elif first == "conv":
        fmt = _fmt(r)
        a = {"class_name": "Conv2D", "config": {"filters": r.randint(1, 3), "kernel_size": 2,
                                                "padding": "same", "data_format": fmt}}
    elif first == "pad":
        a = {"class_name": "ZeroPadding2D", "config": {"padding": 1}}
    else:
        a = {"class_name": "Dense", "config": {"units": r.randint(1, 3)}}
    axis = -1 if fmt == "channels_last" else 1
    second = r.choice([
        {"class_name": "Conv2D", "config": {"filters": 2, "kernel_size": 2,
                                            "strides": r.choice([1, 2]), "data_format": fmt}},
        {"class_name": "DepthwiseConv2D", "config": {"kernel_size": 2, "data_format": fmt}},
        {"class_name": "SeparableConv2D", "config": {"filters": 2, "kernel_size": 2,
                                                     "data_format": fmt}},
        {"class_name": "Conv2DTranspose", "config": {"filters": 2, "kernel_size": 2,
                                                     "strides": 2, "data_format": fmt}},
        {"class_name": "MaxPooling2D", "config": {"pool_size": 2, "data_format": fmt,
                                                  "padding": r.choice(["valid", "same"])}},
        {"class_name": "AveragePooling2D", "config": {"pool_size": 2, "strides": 1,
                                                      "data_format": fmt}},
        {"class_name": "GlobalMaxPooling2D", "config": {"data_format": fmt}},
        {"class_name": "BatchNormalization", "config": {"axis": axis}},
        {"class_name": "LayerNormalization", "config": {"axis": r.choice([-1, [1, 2]])}},
        {"class_name": "Softmax", "config": {"axis": r.choice([1, 2, -1])}},
        {"class_name": "Dense", "config": {"units": 2}},
        {"class_name": "Flatten", "config": {}},
    ])
    case["training"] = r.random() < 0.6
    case["inputs"] = [{"shape": [h, w, c], "data": "normal"}]
    case["layers"] = [a, second]


GROUPS = {"conv": _conv, "pool": _pool, "reshape": _reshape, "merge": _merge,
          "norm": _normalization, "act": _activation, "dense": _dense, "fused": _fused,
          "pair": _pair}
GROUP_WEIGHTS = {"conv": 5, "pool": 3, "reshape": 2, "merge": 2, "norm": 2, "act": 2,
                 "dense": 2, "fused": 3, "pair": 3}


def draw_case(seed, group=None):
    """The case of `seed` (JSON data); `group` picks the layer family (random if None)."""
    r = random.Random(seed)
    names = list(GROUP_WEIGHTS)
    group = group or r.choices(names, [GROUP_WEIGHTS[n] for n in names])[0]
    case = {"seed": seed, "group": group, "batch": r.choice([1, 2, 3]), "training": False,
            "mask": False}
    GROUPS[group](r, case)
    single = len(case["inputs"]) == 1 and not case["mask"]
    case["model"] = "sequential" if single and r.random() < 0.4 else "functional"
    if "training" not in case or not case["training"]:
        case["training"] = r.random() < 0.3
    return case


# -- running a case -------------------------------------------------------------------
def case_inputs(case):
    """The model's input arrays (float32, or int32 token ids, or a boolean mask)."""
    rng = np.random.default_rng(case["seed"])
    out = []
    for spec in case["inputs"]:
        shape = (case["batch"], *spec["shape"])
        if spec["data"] == "int":
            out.append(rng.integers(0, spec["vocab"], shape).astype("int32"))
        elif spec["data"] == "ties":
            out.append((rng.integers(-2, 3, shape) * 0.5).astype("float32"))
        else:
            out.append(rng.normal(0, 1, shape).astype("float32"))
    if case["mask"]:
        mask = rng.random((case["batch"], *case["inputs"][0]["shape"])) < 0.7
        mask[..., 0] = True  # every softmax row keeps an entry
        out.append(mask)
    return out


def draw_weights(case, weights):
    """Random values for `weights` ((path, shape) pairs): variances positive."""
    rng = np.random.default_rng(case["seed"] + 1)
    out = []
    for path, shape in weights:
        if "variance" in path:
            out.append(rng.uniform(0.5, 1.5, shape).astype("float32"))
        else:
            out.append(rng.normal(0, 0.5, shape).astype("float32"))
    return out


def draw_projection(case, shape):
    """The array `proj` of the loss `sum(model(x) * proj)`."""
    return np.random.default_rng(case["seed"] + 2).normal(0, 1, shape).astype("float32")


def float_input_indices(case):
    return [i for i, s in enumerate(case["inputs"]) if s["data"] != "int"]


def build_model(K, case):
    """The case's model in ``K``."""
    layers = [getattr(K.layers, spec["class_name"])(**spec["config"])
              for spec in case["layers"]]
    if case["model"] == "sequential":
        return K.Sequential([K.Input(shape=tuple(case["inputs"][0]["shape"]))] + layers)
    inputs = [K.Input(shape=tuple(s["shape"]), dtype="int32" if s["data"] == "int"
                      else "float32") for s in case["inputs"]]
    if case["mask"]:
        inputs.append(K.Input(shape=tuple(case["inputs"][0]["shape"]), dtype="bool"))
        h = layers[0](inputs[0], mask=inputs[1])
    else:
        h = layers[0](inputs if len(inputs) > 1 else inputs[0])
    for layer in layers[1:]:
        h = layer(h)
    return K.Model(inputs if len(inputs) > 1 else inputs[0], h)
