"""Recipes of the `floatx_half` family: small models built and trained two steps under
`set_floatx("float16")` or `set_floatx("bfloat16")`.

Shared by the generator (run by Keras) and the replay test (run by kerasx); it imports
neither library: every function takes the library module `K`.
"""

import numpy as np

MODELS = ("mlp_softmax", "mlp_regression", "binary", "conv_bn", "layer_norm", "embedding_gru")
OPTIMIZERS = (("SGD", {"learning_rate": 0.1, "momentum": 0.9}),
              ("Adam", {"learning_rate": 0.01}),
              ("RMSprop", {"learning_rate": 0.01}))


def all_cases():
    """Every case of the grammar (48): each model with each optimizer under each half
    floatx, then float16 data and the mixed policy of the same half type on top."""
    cases = []
    for floatx in ("float16", "bfloat16"):
        for model in MODELS:
            for optimizer in OPTIMIZERS:
                cases.append(make_case(len(cases), floatx, model, optimizer))
        for model in ("mlp_softmax", "conv_bn", "binary"):
            x_dtype = "float16" if floatx == "float16" else "float32"
            cases.append(make_case(len(cases), floatx, model, OPTIMIZERS[1], x_dtype=x_dtype))
            cases.append(make_case(len(cases), floatx, model, OPTIMIZERS[0],
                                   policy="mixed_" + floatx))
    return cases


def make_case(index, floatx, model, optimizer, policy=None, x_dtype="float32"):
    """A case as plain JSON data."""
    name, kwargs = optimizer
    return {"index": index, "floatx": floatx, "model": model, "optimizer": [name, kwargs],
            "policy": policy, "x_dtype": x_dtype}


def data(case):
    """Inputs and targets of the case (8 samples: two batches of 4)."""
    rng = np.random.default_rng(100 + case["index"])
    kind = case["model"]
    if kind == "conv_bn":
        x = rng.normal(size=(8, 6, 6, 2))
        y = np.eye(2)[rng.integers(0, 2, 8)]
    elif kind == "embedding_gru":
        x = rng.integers(1, 10, size=(8, 5))
        y = rng.normal(size=(8, 1))
    else:
        x = rng.normal(size=(8, 6))
        if kind == "mlp_softmax":
            y = rng.integers(0, 3, 8)
        elif kind == "binary":
            y = rng.integers(0, 2, (8, 1)).astype("float32")
        else:
            y = rng.normal(size=(8, 2))
    if kind != "embedding_gru":
        x = x.astype(case["x_dtype"])
    if y.dtype.kind == "f":
        y = y.astype("float32")
    return x, y


def build(K, case):
    """The compiled model of the case, under the current floatx and policy."""
    L = K.layers
    kind = case["model"]
    if kind == "conv_bn":
        inputs = K.Input((6, 6, 2))
        h = L.Conv2D(3, 3, activation="relu")(inputs)
        h = L.BatchNormalization()(h)
        h = L.MaxPooling2D(2)(h)
        h = L.Flatten()(h)
        outputs = L.Dense(2, activation="softmax")(h)
        loss, metrics = "categorical_crossentropy", ["accuracy"]
    elif kind == "embedding_gru":
        inputs = K.Input((5,), dtype="int32")
        h = L.Embedding(10, 4)(inputs)
        h = L.GRU(3, recurrent_initializer="glorot_uniform")(h)
        outputs = L.Dense(1)(h)
        loss, metrics = "mse", ["mae"]
    else:
        inputs = K.Input((6,))
        if kind == "mlp_softmax":
            h = L.Dense(8, activation="relu")(inputs)
            outputs = L.Dense(3, activation="softmax")(h)
            loss, metrics = "sparse_categorical_crossentropy", ["accuracy"]
        elif kind == "binary":
            h = L.Dense(5, activation="tanh")(inputs)
            outputs = L.Dense(1, activation="sigmoid")(h)
            loss, metrics = "binary_crossentropy", ["accuracy", K.metrics.AUC(name="auc")]
        elif kind == "layer_norm":
            h = L.Dense(8)(inputs)
            h = L.LayerNormalization()(h)
            outputs = L.Dense(2)(h)
            loss, metrics = "mae", ["mse"]
        else:
            h = L.Dense(8, activation="tanh")(inputs)
            outputs = L.Dense(2)(h)
            loss, metrics = "mse", ["mae"]
    model = K.Model(inputs, outputs)
    name, kwargs = case["optimizer"]
    model.compile(optimizer=getattr(K.optimizers, name)(**kwargs), loss=loss, metrics=metrics)
    return model


def dtype_name(K, x):
    return K.backend.standardize_dtype(x.dtype)


def to_f32(K, x):
    """A float32 NumPy copy (float32 holds float16 and bfloat16 values exactly)."""
    return np.asarray(K.ops.convert_to_numpy(K.ops.cast(x, "float32")))


def setup(K, case):
    """Sets floatx (and the policy) of the case; returns what `restore` needs."""
    saved = K.config.floatx()
    K.backend.clear_session()
    K.config.set_floatx(case["floatx"])
    if case["policy"]:
        K.config.set_dtype_policy(case["policy"])
    return saved


def restore(K, saved):
    K.config.set_floatx(saved)
    K.config.set_dtype_policy(saved)
    K.backend.clear_session()


def run(K, case, weights=None):
    """Builds the model (with `weights` when given), trains it two steps with `fit`,
    then evaluates and predicts. Returns (initial weights, arrays, results)."""
    saved = setup(K, case)
    try:
        K.utils.set_random_seed(1000 + case["index"])  # Keras's initial weights
        model = build(K, case)
        if weights is not None:
            model.set_weights([np.asarray(w).astype(dtype_name(K, v))
                               if dtype_name(K, v) != "bfloat16" else
                               K.ops.cast(np.asarray(w, "float32"), "bfloat16")
                               for w, v in zip(weights, model.weights)])
        w0 = [to_f32(K, v) for v in model.weights]
        x, y = data(case)
        history = model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
        evaluated = model.evaluate(x, y, batch_size=4, verbose=0, return_dict=True)
        predicted = model.predict(x, batch_size=4, verbose=0)
        optimizer = model.optimizer
        arrays = {f"w_after_{i}": to_f32(K, v) for i, v in enumerate(model.weights)}
        arrays["predict"] = to_f32(K, predicted)
        results = {
            "history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
            "evaluate": {k: float(v) for k, v in evaluated.items()},
            "weight_dtypes": [dtype_name(K, v) for v in model.weights],
            "predict_dtype": dtype_name(K, predicted),
            "layer_policies": [layer.dtype_policy.name for layer in model.layers],
            "optimizer_variables": sorted(
                [v.path if hasattr(v, "path") else v.name, dtype_name(K, v)]
                for v in optimizer.variables),
            "iterations": int(K.ops.convert_to_numpy(optimizer.iterations)),
            "learning_rate": float(K.ops.convert_to_numpy(
                K.ops.cast(optimizer.learning_rate, "float32"))),
            "metric_variables": sorted(
                [v.path if hasattr(v, "path") else v.name, dtype_name(K, v)]
                for v in model.metrics_variables),
        }
        return w0, arrays, results
    finally:
        restore(K, saved)


def probe(K, floatx):
    """Dtypes (and a few numbers) that `set_floatx(floatx)` decides, outside models."""
    saved = setup(K, {"floatx": floatx, "policy": None})
    try:
        ops = K.ops
        ints = np.array([[1, 2], [3, 5]], "int32")
        layer = K.layers.Dense(2)
        layer.build((None, 3))
        optimizer = K.optimizers.SGD(learning_rate=0.1)
        return {
            "floatx": K.config.floatx(),
            "epsilon": K.config.epsilon(),
            "policy": K.config.dtype_policy().name,
            "ones": dtype_name(K, ops.ones((2,))),
            "zeros": dtype_name(K, ops.zeros((2,))),
            "eye": dtype_name(K, ops.eye(2)),
            "full": dtype_name(K, ops.full((2,), 1.5)),
            "cast_none": dtype_name(K, ops.cast(ints, None)),
            "mean_int": dtype_name(K, ops.mean(ints)),
            "var_int": dtype_name(K, ops.var(ints)),
            "moments_int": dtype_name(K, ops.moments(ints, axes=[0])[1]),
            "add_float32_python": dtype_name(K, ops.add(np.ones(2, "float32"), 1.5)),
            "random_normal": dtype_name(K, K.random.normal((2,), seed=1)),
            "random_uniform": dtype_name(K, K.random.uniform((2,), seed=1)),
            "dropout": dtype_name(K, K.random.dropout(ops.ones((4,)), 0.5, seed=1)),
            "seed_state": dtype_name(K, K.random.SeedGenerator(1).state),
            "input": dtype_name(K, K.Input((3,))),
            "dense_kernel": dtype_name(K, layer.kernel),
            "dense_output": dtype_name(K, layer(np.ones((1, 3), "float32"))),
            "dense_output_float64_input": dtype_name(K, layer(np.ones((1, 3), "float64"))),
            "loss": dtype_name(K, K.losses.MeanSquaredError()(np.ones((2, 2), "float32"),
                                                               np.zeros((2, 2), "float32"))),
            "metric_result": dtype_name(K, _mean_result(K)),
            "learning_rate": [dtype_name(K, optimizer.learning_rate),
                              float(ops.convert_to_numpy(ops.cast(optimizer.learning_rate,
                                                                  "float32")))],
            "iterations": dtype_name(K, optimizer.iterations),
        }
    finally:
        restore(K, saved)


def _mean_result(K):
    metric = K.metrics.Mean()
    metric.update_state(np.ones(3, "float32"))
    return metric.result()
