"""Golden values of random vision models built and trained by Keras 3.

A seeded grammar draws small functional models from convolution, pooling, reshaping,
normalization, dropout (rate 0), activation, merging and Dense layers on 1D / 2D / 3D
inputs in either data format. Each case holds the model's JSON, its weights (drawn so
that biases and normalization statistics are not at their initial values), an input
batch and targets, and Keras's results: forward outputs with ``training=False`` and
``training=True``, the symbolic output shape, ``count_params``, the losses of two
``train_on_batch`` steps and every weight after them.

Run from this folder::

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python family_fuzz_vision.py
"""

import sys

import numpy as np

import keras
from keras import layers
from make_golden import Golden, to_np

ACTIVATIONS = ("relu", "elu", "selu", "gelu", "swish", "softplus", "softsign", "tanh",
               "sigmoid", "hard_sigmoid", "hard_swish", "leaky_relu", "relu6", "silu",
               "mish", "log_sigmoid", "linear", "exponential", "celu", "hard_tanh", "soft_shrink",
               "squareplus", "sparse_plus", "tanh_shrink", "hard_shrink")


class Grammar:
    """Draws layers that fit the current tensor; ``rank`` is the number of spatial axes."""

    def __init__(self, rng, rank, data_format):
        self.rng = rng
        self.rank = rank
        self.data_format = data_format

    # -- helpers -------------------------------------------------------------
    def pick(self, seq):
        return seq[int(self.rng.integers(len(seq)))]

    def coin(self, p=0.5):
        return bool(self.rng.random() < p)

    def conv_strides(self):
        """Strides of a convolution; 1 in 3D, where gradients of strided convolutions abort
        JAX 0.10.2's XLA compiler on the CPU (a failed check, not an exception)."""
        if self.rank == 3:
            return (1, 1, 1)
        return self.ints(1, self.pick([2, 2, 3]))

    def dilation(self, strides):
        """Dilation rates: 1 where strided or in 3D (see ``conv_strides``)."""
        if max(strides) > 1 or self.rank == 3 or self.coin(0.6):
            return (1,) * self.rank
        return self.ints(1, self.pick([2, 3]))

    def ints(self, lo, hi, n=None):
        n = self.rank if n is None else n
        return tuple(int(v) for v in self.rng.integers(lo, hi + 1, n))

    def channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def spatial(self, shape):
        return shape[1:-1] if self.data_format == "channels_last" else shape[2:]

    def channels(self, shape):
        return shape[self.channel_axis()]

    def activation(self):
        name = self.pick(ACTIVATIONS)
        return None if self.coin(0.4) else name

    def df(self):
        return {"data_format": self.data_format}

    def reg(self, *names):
        """Random kernel (and activity) regularizers under the given argument names."""
        out = {}
        for name in names:
            if self.coin(0.15):
                kind = self.pick(["L1", "L2", "L1L2"])
                out[name] = (keras.regularizers.L1L2(l1=0.01, l2=0.02) if kind == "L1L2"
                             else getattr(keras.regularizers, kind)(0.01))
        return out

    def constraint(self, *names):
        """Random weight constraints under the given argument names."""
        out = {}
        for name in names:
            if self.coin(0.12):
                out[name] = self.pick([
                    keras.constraints.MaxNorm(0.5, axis=0), keras.constraints.NonNeg(),
                    keras.constraints.UnitNorm(axis=-1),
                    keras.constraints.MinMaxNorm(0.2, 0.8, rate=0.5, axis=0)])
        return out

    # -- layers --------------------------------------------------------------
    def conv(self, shape):
        c = self.channels(shape)
        groups = self.pick([g for g in (1, 2, 3, 4) if c % g == 0])
        strides = self.conv_strides()
        dilation = self.dilation(strides)
        paddings = ["valid", "same"] + (["causal"] if self.rank == 1 else [])
        return getattr(layers, f"Conv{self.rank}D")(
            filters=groups * int(self.rng.integers(1, 3)),
            kernel_size=self.ints(1, self.pick([3, 3, 4])),
            strides=strides, dilation_rate=dilation, padding=self.pick(paddings), groups=groups,
            use_bias=self.coin(0.7), activation=self.activation(), **self.df(),
            **self.reg("kernel_regularizer", "bias_regularizer", "activity_regularizer"),
            **self.constraint("kernel_constraint", "bias_constraint"))

    def conv_transpose(self, shape):
        strides = self.conv_strides()
        kernel = self.ints(1, 3)
        dilation = self.dilation(strides)
        output_padding = None
        if max(strides) > 1 and self.coin(0.5):
            output_padding = tuple(int(self.rng.integers(0, s)) for s in strides)
        return getattr(layers, f"Conv{self.rank}DTranspose")(
            filters=int(self.rng.integers(1, 4)), kernel_size=kernel, strides=strides,
            dilation_rate=dilation, padding=self.pick(["valid", "same"]),
            output_padding=output_padding, use_bias=self.coin(0.7),
            activation=self.activation(), **self.df(), **self.reg("kernel_regularizer"),
            **self.constraint("kernel_constraint"))

    def separable(self, shape):
        strides = self.ints(1, 2)
        dilation = self.ints(1, 2) if self.coin(0.3) else (1,) * self.rank
        return getattr(layers, f"SeparableConv{self.rank}D")(
            filters=int(self.rng.integers(1, 4)), kernel_size=self.ints(1, 3), strides=strides,
            dilation_rate=dilation, padding=self.pick(["valid", "same"]),
            depth_multiplier=int(self.rng.integers(1, 3)), use_bias=self.coin(0.7),
            activation=self.activation(), **self.df(),
            **self.reg("depthwise_regularizer", "pointwise_regularizer"),
            **self.constraint("depthwise_constraint", "pointwise_constraint"))

    def depthwise(self, shape):
        strides = self.ints(1, 2)
        dilation = self.ints(1, 2) if self.coin(0.3) else (1,) * self.rank
        return getattr(layers, f"DepthwiseConv{self.rank}D")(
            kernel_size=self.ints(1, 3), strides=strides, dilation_rate=dilation,
            padding=self.pick(["valid", "same"]), depth_multiplier=int(self.rng.integers(1, 3)),
            use_bias=self.coin(0.7), activation=self.activation(), **self.df(),
            **self.reg("depthwise_regularizer", "activity_regularizer"),
            **self.constraint("depthwise_constraint"))

    def pooling(self, shape):
        kind = self.pick(["Max", "Average"])
        strides = None if self.coin(0.4) else self.ints(1, 2)
        return getattr(layers, f"{kind}Pooling{self.rank}D")(
            pool_size=self.ints(1, 3), strides=strides, padding=self.pick(["valid", "same"]),
            **self.df())

    def zero_padding(self, shape):
        pads = tuple(self.ints(0, 2, 2) for _ in range(self.rank))
        if self.rank == 1:
            pads = pads[0]
        return getattr(layers, f"ZeroPadding{self.rank}D")(padding=pads, **self.df())

    def cropping(self, shape):
        crops = []
        for size in self.spatial(shape):
            a = int(self.rng.integers(0, max(1, min(2, (size - 1) // 2) + 1)))
            b = int(self.rng.integers(0, max(1, min(2, size - 1 - a) + 1)))
            crops.append((a, b))
        crops = tuple(crops)
        if self.rank == 1:
            return layers.Cropping1D(cropping=crops[0])
        return getattr(layers, f"Cropping{self.rank}D")(cropping=crops, **self.df())

    def upsampling(self, shape):
        size = self.ints(1, 2)
        if self.rank == 1:
            return layers.UpSampling1D(size=size[0])
        kwargs = self.df()
        if self.rank == 2:
            kwargs["interpolation"] = self.pick(["nearest", "bilinear", "bilinear", "bicubic",
                                                  "lanczos3", "lanczos5"])
        return getattr(layers, f"UpSampling{self.rank}D")(size=size, **kwargs)

    def batch_norm(self, shape):
        axis = self.channel_axis() if self.coin(0.8) else 1 + int(self.rng.integers(self.rank))
        return layers.BatchNormalization(
            axis=axis, momentum=float(self.pick([0.5, 0.9, 0.99])),
            epsilon=float(self.pick([1e-3, 1e-5, 0.1])), center=self.coin(0.8),
            scale=self.coin(0.8), **self.reg("gamma_regularizer"),
            **self.constraint("beta_constraint", "gamma_constraint"), **self.renorm())

    def renorm(self):
        if not self.coin(0.2):
            return {}
        clipping = self.pick([None, {"rmax": 1.5, "rmin": 0.7, "dmax": 0.3}, {"rmax": 2.0}])
        return {"renorm": True, "renorm_clipping": clipping,
                "renorm_momentum": float(self.pick([0.5, 0.99]))}

    def rms_norm(self, shape):
        # Keras 3.15.1 builds other axes but its call fails (scale broadcast on the last axis).
        return layers.RMSNormalization(axis=-1,
                                       epsilon=float(self.pick([1e-6, 1e-2])))

    def image_preprocessing(self, shape):
        kind = self.pick(["Rescaling", "Resizing", "Resizing", "CenterCrop"])
        if kind == "Rescaling":
            return layers.Rescaling(scale=float(self.pick([0.5, 2.0, -1.0])),
                                    offset=float(self.pick([0.0, 0.25])))
        height, width = self.ints(3, 8, 2)
        if kind == "CenterCrop":
            return layers.CenterCrop(height, width, **self.df())
        aspect = self.pick([{}, {"crop_to_aspect_ratio": True}, {"pad_to_aspect_ratio": True,
                                                                  "fill_value": 0.5}])
        antialias = self.coin(0.3)
        interpolation = self.pick(["nearest", "bilinear", "bicubic", "area", "lanczos3",
                                   "lanczos5"])
        # Keras's JAX backend has no "area" resize; the draw stays so that the seeds give
        # the same models.
        interpolation = "bilinear" if interpolation == "area" else interpolation
        return layers.Resizing(height, width, antialias=antialias, interpolation=interpolation,
                               **aspect, **self.df())

    def layer_norm(self, shape):
        ndim = len(shape)
        axis = self.pick([-1, 1, [1, ndim - 1], list(range(1, ndim))])
        return layers.LayerNormalization(axis=axis, epsilon=float(self.pick([1e-3, 1e-6])),
                                         center=self.coin(0.8), scale=self.coin(0.8),
                                         rms_scaling=self.coin(0.15))

    def group_norm(self, shape):
        c = self.channels(shape)
        return layers.GroupNormalization(
            groups=self.pick([g for g in (1, 2, 3, 4, -1) if g == -1 or c % g == 0]),
            axis=self.channel_axis(), center=self.coin(0.8), scale=self.coin(0.8),
            epsilon=float(self.pick([1e-3, 1e-5])))

    def unit_norm(self, shape):
        ndim = len(shape)
        return layers.UnitNormalization(axis=self.pick([-1, 1, [1, ndim - 1]]))

    def dropout(self, shape):
        kind = self.pick(["Dropout", f"SpatialDropout{self.rank}D"])
        if kind == "Dropout":
            return layers.Dropout(0.0)
        return getattr(layers, kind)(0.0, **({} if self.rank == 1 else self.df()))

    def activation_layer(self, shape):
        kind = self.pick(["Activation", "ReLU", "LeakyReLU", "ELU", "PReLU", "Softmax"])
        if kind == "Activation":
            return layers.Activation(self.pick(ACTIVATIONS))
        if kind == "ReLU":
            return layers.ReLU(max_value=self.pick([None, 1.0, 6.0]),
                               negative_slope=float(self.pick([0.0, 0.1])),
                               threshold=float(self.pick([0.0, 0.2])))
        if kind == "LeakyReLU":
            return layers.LeakyReLU(negative_slope=float(self.pick([0.01, 0.3])))
        if kind == "ELU":
            return layers.ELU(alpha=float(self.pick([0.5, 1.0, 1.5])))
        if kind == "PReLU":
            ndim = len(shape)
            shared = self.pick([None, list(range(1, ndim - 1)), [1]])
            return layers.PReLU(shared_axes=shared)
        return layers.Softmax(axis=self.pick([-1, 1]))

    def permute(self, shape):
        dims = list(range(1, len(shape)))
        self.rng.shuffle(dims)
        return layers.Permute(tuple(int(d) for d in dims))

    def reshape(self, shape):
        sizes = list(shape[1:])
        self.rng.shuffle(sizes)
        return layers.Reshape(tuple(int(s) for s in sizes))

    BODY = ("conv", "conv", "conv", "conv_transpose", "conv_transpose", "separable",
            "depthwise", "pooling", "pooling", "upsampling", "cropping",
            "zero_padding", "cropping", "upsampling", "batch_norm", "batch_norm",
            "layer_norm", "group_norm", "unit_norm", "dropout", "activation_layer",
            "permute", "reshape", "rms_norm", "image_preprocessing")

    def body_layer(self, shape):
        kinds = [k for k in self.BODY if not (self.rank == 3 and k in ("separable", "depthwise"))
                 and not (self.rank != 2 and k == "image_preprocessing")]
        return getattr(self, self.pick(kinds))(shape)


def _apply_chain(grammar, x, length):
    """Apply up to ``length`` random layers that Keras accepts on ``x``."""
    for _ in range(length):
        for _try in range(6):
            layer = grammar.body_layer(tuple(x.shape))
            if grammar.coin(0.08):
                layer.trainable = False
            try:
                y = layer(x)
            except Exception:  # the drawn layer does not fit this tensor: draw again
                continue
            if 0 < int(np.prod(y.shape[1:])) <= 4096 and min(y.shape[1:]) > 0:
                x = y
                break
    return x


def _merge(grammar, a, b):
    kind = grammar.pick(["Add", "Multiply", "Concatenate", "Subtract", "Average", "Maximum"])
    if kind == "Concatenate":
        axis = grammar.channel_axis()
        sa, sb = list(a.shape), list(b.shape)
        del sa[axis], sb[axis]
        if sa != sb:
            return None
        return layers.Concatenate(axis=axis)([a, b])
    if tuple(a.shape) != tuple(b.shape):
        return None
    return getattr(layers, kind)()([a, b])


def random_model(rng):
    """A random functional model, its loss name and optimizer config."""
    rank = int(rng.choice([1, 2, 3], p=[0.35, 0.45, 0.2]))
    data_format = "channels_first" if rng.random() < 0.3 else "channels_last"
    g = Grammar(rng, rank, data_format)
    size_range = {1: (5, 12), 2: (4, 8), 3: (3, 5)}[rank]
    spatial = g.ints(*size_range)
    channels = int(rng.integers(1, 5))
    shape = spatial + (channels,) if data_format == "channels_last" else (channels,) + spatial
    inputs = keras.Input(shape)
    x = _apply_chain(g, inputs, int(rng.integers(1, 4)))
    if g.coin(0.35):
        a = _apply_chain(g, x, int(rng.integers(1, 3)))
        b = _apply_chain(g, x, int(rng.integers(0, 2)))
        merged = _merge(g, a, b)
        x = a if merged is None else merged
        linear = merged is None
    else:
        linear = True
    x = _apply_chain(g, x, int(rng.integers(0, 3)))
    loss = g.pick(["mse", "categorical_crossentropy", "mse", "mae", "huber", "logits"])
    head = g.pick(["flatten", "global", "global", "none"])
    if loss in ("categorical_crossentropy", "logits") and head == "none":
        head = "flatten"
    if len(x.shape) != rank + 2:
        head = "flatten" if head == "global" else head
    if head == "flatten":
        x = layers.Flatten(**({} if g.coin(0.5) else g.df()))(x)
    elif head == "global":
        kind = g.pick(["Max", "Average"])
        x = getattr(layers, f"Global{kind}Pooling{rank}D")(keepdims=g.coin(0.3), **g.df())(x)
    if head != "none":
        units = int(rng.integers(2, 5))
        act = {"categorical_crossentropy": "softmax", "logits": None}.get(loss, g.activation())
        x = layers.Dense(units, activation=act, use_bias=g.coin(0.8),
                         **g.reg("kernel_regularizer", "activity_regularizer"),
                         **g.constraint("kernel_constraint"))(x)
    model = keras.Model(inputs, x)
    in_shape, out_shape = tuple(model.input.shape[1:]), tuple(model.output.shape[1:])
    if linear and g.coin(0.2):
        model = _as_sequential(model, shape)
    elif g.coin(0.25):
        model = _unknown_spatial_sizes(model, data_format)
    loss = {"logits": {"class_name": "CategoricalCrossentropy",
                       "config": {"from_logits": True}}}.get(loss, loss)
    opt = g.pick([
        {"class_name": "SGD", "config": {"learning_rate": 0.05}},
        {"class_name": "SGD", "config": {"learning_rate": 0.05, "momentum": 0.9,
                                         "nesterov": g.coin()}},
        {"class_name": "Adam", "config": {"learning_rate": 0.01}},
        {"class_name": "AdamW", "config": {"learning_rate": 0.01, "weight_decay": 0.05}},
        {"class_name": "RMSprop", "config": {"learning_rate": 0.01, "momentum": 0.5}},
    ])
    return model, loss, opt, in_shape, out_shape


def _as_sequential(model, shape):
    """The same layers, rebuilt from their configs, in a Sequential model."""
    try:
        return keras.Sequential([keras.Input(shape)] + [
            type(layer).from_config(layer.get_config()) for layer in model.layers[1:]])
    except ValueError as error:  # reported: a config that does not rebuild its layer
        print("SEQUENTIAL REBUILD FAILED", shape, error,
              [(type(la).__name__, la.get_config(), la.output.shape) for la in model.layers],
              file=sys.stderr)
        return model


def _unknown_spatial_sizes(model, data_format):
    """The same model on an Input whose spatial sizes are None, where Keras builds it."""
    config = model.get_config()
    batch_shape = list(config["layers"][0]["config"]["batch_shape"])
    spatial = slice(1, -1) if data_format == "channels_last" else slice(2, None)
    batch_shape[spatial] = [None] * len(batch_shape[spatial])
    config["layers"][0]["config"]["batch_shape"] = tuple(batch_shape)
    try:
        return keras.Model.from_config(config)
    except Exception:  # a Flatten, Reshape or Dense needs the sizes: keep them
        return model


def _draw_weights(rng, model):
    """Keras's initial weights, with biases, scales and statistics moved off their defaults."""
    out = []
    for v in model.weights:
        w = np.asarray(v.numpy())
        name = v.path.split("/")[-1]
        if name in ("moving_variance", "gamma"):
            w = rng.uniform(0.5, 1.5, w.shape)
        elif name in ("bias", "beta", "moving_mean", "alpha"):
            w = rng.normal(0.0, 0.2, w.shape)
        out.append(w.astype(np.float32))
    return out


def _targets(rng, loss, shape):
    if isinstance(loss, dict) or loss == "categorical_crossentropy":
        labels = rng.integers(0, shape[-1], shape[:-1])
        return np.eye(shape[-1], dtype=np.float32)[labels]
    return rng.normal(0, 1, shape).astype(np.float32)


def run_case(rng):
    """One random case: (json string, meta, arrays) computed by Keras."""
    keras.utils.clear_session()
    model, loss, opt, in_shape, out_shape = random_model(rng)
    weights = _draw_weights(rng, model)
    model.set_weights(weights)
    batch = int(rng.integers(2, 4))
    x = rng.normal(0, 1, (batch,) + in_shape).astype(np.float32)
    y = _targets(rng, loss, (batch,) + out_shape)
    arrays = {"x": x, "y": y}
    for i, w in enumerate(weights):
        arrays[f"w{i}"] = w
    arrays["out_infer"] = to_np(model(x, training=False))
    arrays["out_train"] = to_np(model(x, training=True))
    model.compile(optimizer=keras.optimizers.deserialize(opt), jit_compile=True,
                  loss=keras.losses.deserialize(loss) if isinstance(loss, dict) else loss)
    losses = [float(model.train_on_batch(x, y)) for _ in range(2)]
    for i, w in enumerate(model.get_weights()):
        arrays[f"trained{i}"] = w
    meta = {
        "model_json": model.to_json(),
        "loss": loss,
        "optimizer": opt,
        "output_shape": list(model.outputs[0].shape[1:]),
        "count_params": model.count_params(),
        "n_weights": len(weights),
        "losses": losses,
        "layer_classes": [type(layer).__name__ for layer in model.layers],
    }
    return meta, arrays


def make_cases(seed, n, on_case):
    rng = np.random.default_rng(seed)
    for i in range(n):
        meta, arrays = run_case(rng)
        on_case(f"case{i:03d}", meta, arrays)


def make_fuzz_vision(n=24):
    g = Golden(
        "fuzz_vision",
        seed=611,
        description=(
            "A random functional vision model (JSON in model_json) with weights w<i>; "
            "out_infer / out_train = model(x, training=False / True); losses = two "
            "train_on_batch(x, y) steps with optimizer (a serialized Keras optimizer) and "
            "loss; trained<i> = get_weights() after them; output_shape excludes the batch."
        ),
    )

    def add(name, meta, arrays):
        g.add(name, "Model", "keras", {}, arrays, **meta)

    make_cases(611, n, add)
    g.write()


if __name__ == "__main__":
    make_fuzz_vision()
