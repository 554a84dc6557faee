"""Serialization: Keras 3 config format, round trips of every object type, Sequential
models through get_config/from_config, custom objects, Keras-written configs, errors."""

import inspect
import json

import numpy as np
import pytest

import kerasx
from kerasx import (activations, constraints, initializers, layers, losses, metrics, optimizers,
                    regularizers)
from kerasx.backends import current
from kerasx.saving import (custom_object_scope, deserialize_keras_object,
                           register_keras_serializable, serialize_keras_object)


def through_json(config):
    return json.loads(json.dumps(config))


def round_trip(obj, **kwargs):
    """obj -> config -> JSON text -> config -> a new object."""
    return deserialize_keras_object(through_json(serialize_keras_object(obj)), **kwargs)


def same_config(a, b):
    return through_json(serialize_keras_object(a)) == through_json(serialize_keras_object(b))


def host(x):
    return current().to_numpy(getattr(x, "value", x))


# -- the Keras 3 format -----------------------------------------------------------------------
def test_object_config_has_the_keras_3_envelope():
    config = serialize_keras_object(initializers.GlorotUniform(seed=1))
    assert config == {"module": "keras.initializers", "class_name": "GlorotUniform",
                      "config": {"seed": 1, "input_axes": None, "output_axes": None},
                      "registered_name": None}
    assert serialize_keras_object(regularizers.L2(0.5)) == {
        "module": "keras.regularizers", "class_name": "L2", "config": {"l2": 0.5},
        "registered_name": None}
    assert serialize_keras_object(constraints.MaxNorm()) == {
        "module": "keras.constraints", "class_name": "MaxNorm",
        "config": {"max_value": 2, "axis": 0}, "registered_name": None}


def test_built_layer_carries_its_build_config():
    layer = layers.Dense(3)
    assert "build_config" not in serialize_keras_object(layer)
    layer(np.zeros((2, 4), np.float32))
    config = through_json(serialize_keras_object(layer))
    assert config["module"] == "keras.layers"
    assert config["build_config"] == {"input_shape": [2, 4]}
    clone = deserialize_keras_object(config)
    assert clone.built and clone.kernel.shape == (4, 3)


def test_functions_are_written_as_keras_writes_them():
    assert serialize_keras_object(losses.mean_squared_error) == {
        "module": "builtins", "class_name": "function", "config": "mean_squared_error",
        "registered_name": "function"}
    assert deserialize_keras_object(serialize_keras_object(losses.mean_squared_error)) \
        is losses.mean_squared_error


# Keys of Keras 3.15's get_config() for the same objects (keras.<module>.<Class>().get_config()).
KERAS_KEYS = {
    "Zeros": "", "Ones": "", "Constant": "value", "RandomNormal": "seed mean stddev",
    "RandomUniform": "seed minval maxval", "TruncatedNormal": "seed mean stddev",
    "VarianceScaling": "seed scale mode distribution input_axes output_axes",
    "GlorotUniform": "seed input_axes output_axes", "GlorotNormal": "seed input_axes output_axes",
    "HeUniform": "seed input_axes output_axes", "HeNormal": "seed input_axes output_axes",
    "LecunUniform": "seed input_axes output_axes", "LecunNormal": "seed input_axes output_axes",
    "Orthogonal": "seed gain",
    # Keras 3.15's Identity.get_config() drops `gain` (so gain is lost on reload); kerasx keeps it.
    "Identity": "gain",
    "NonNeg": "", "UnitNorm": "axis", "MaxNorm": "max_value axis",
    "MinMaxNorm": "min_value max_value rate axis",
    "L1": "l1", "L2": "l2", "L1L2": "l1 l2", "OrthogonalRegularizer": "factor mode",
}
MODULES = {"initializers": initializers, "constraints": constraints, "regularizers": regularizers}


def _module_of(name):
    for mod in MODULES.values():
        if name in mod.ALL_OBJECTS_DICT:
            return mod
    raise KeyError(name)


@pytest.mark.parametrize("name", sorted(KERAS_KEYS))
def test_config_keys_match_keras(name):
    obj = getattr(_module_of(name), name)()
    assert set(obj.get_config()) == set(KERAS_KEYS[name].split())


KERAS_LAYER_KEYS = {
    "InputLayer": "batch_shape dtype sparse ragged name optional",
    "Dense": ("activation bias_constraint bias_initializer bias_regularizer dtype "
        "kernel_constraint kernel_initializer kernel_regularizer name "
        "quantization_config trainable units use_bias"),
    "Activation": "activation dtype name trainable",
    "Dropout": "dtype name noise_shape rate seed trainable",
    "Flatten": "data_format dtype name trainable",
    "Conv1D": ("activation activity_regularizer bias_constraint bias_initializer "
        "bias_regularizer data_format dilation_rate dtype filters groups "
        "kernel_constraint kernel_initializer kernel_regularizer "
        "kernel_size name padding strides trainable use_bias"),
    "Conv2D": ("activation activity_regularizer bias_constraint bias_initializer "
        "bias_regularizer data_format dilation_rate dtype filters groups "
        "kernel_constraint kernel_initializer kernel_regularizer "
        "kernel_size name padding strides trainable use_bias"),
    "Conv3D": ("activation activity_regularizer bias_constraint bias_initializer "
        "bias_regularizer data_format dilation_rate dtype filters groups "
        "kernel_constraint kernel_initializer kernel_regularizer "
        "kernel_size name padding strides trainable use_bias"),
    "Conv1DTranspose": ("activation activity_regularizer bias_constraint bias_initializer "
        "bias_regularizer data_format dilation_rate dtype filters "
        "kernel_constraint kernel_initializer kernel_regularizer "
        "kernel_size name output_padding padding strides trainable use_bias"),
    "Conv2DTranspose": ("activation activity_regularizer bias_constraint bias_initializer "
        "bias_regularizer data_format dilation_rate dtype filters "
        "kernel_constraint kernel_initializer kernel_regularizer "
        "kernel_size name output_padding padding strides trainable use_bias"),
    "SeparableConv2D": ("activation activity_regularizer bias_constraint bias_initializer "
        "bias_regularizer data_format depth_multiplier depthwise_constraint "
        "depthwise_initializer depthwise_regularizer dilation_rate dtype "
        "filters kernel_size name padding pointwise_constraint "
        "pointwise_initializer pointwise_regularizer strides trainable "
        "use_bias"),
    "DepthwiseConv2D": ("activation activity_regularizer bias_constraint bias_initializer "
        "bias_regularizer data_format depth_multiplier depthwise_constraint "
        "depthwise_initializer depthwise_regularizer dilation_rate dtype "
        "kernel_size name padding strides trainable use_bias"),
    "Embedding": ("activity_regularizer dtype embeddings_constraint "
        "embeddings_initializer embeddings_regularizer input_dim mask_zero "
        "name output_dim quantization_config trainable"),
    "BatchNormalization": ("axis beta_constraint beta_initializer beta_regularizer center "
        "dtype epsilon gamma_constraint gamma_initializer gamma_regularizer "
        "momentum moving_mean_initializer moving_variance_initializer name "
        "renorm renorm_clipping renorm_momentum scale synchronized "
        "trainable"),
    "LayerNormalization": ("axis beta_constraint beta_initializer beta_regularizer center "
        "dtype epsilon gamma_constraint gamma_initializer gamma_regularizer "
        "name rms_scaling scale trainable"),
    "RMSNormalization": "axis dtype epsilon name trainable",
    "GroupNormalization": ("axis beta_constraint beta_initializer beta_regularizer center "
        "dtype epsilon gamma_constraint gamma_initializer gamma_regularizer "
        "groups name scale trainable"),
    "UnitNormalization": "axis dtype name trainable",
    "Reshape": "dtype name target_shape trainable",
    "Permute": "dims dtype name trainable",
    "RepeatVector": "dtype n name trainable",
    "ReLU": "dtype max_value name negative_slope threshold trainable",
    "LeakyReLU": "dtype name negative_slope trainable",
    "PReLU": ("alpha_constraint alpha_initializer alpha_regularizer dtype name "
        "shared_axes trainable"),
    "ELU": "alpha dtype name trainable",
    "Softmax": "axis dtype name trainable",
    "GaussianNoise": "dtype name seed stddev trainable",
    "GaussianDropout": "dtype name rate seed trainable",
    "AlphaDropout": "dtype name noise_shape rate seed trainable",
    "SpatialDropout1D": "dtype name rate seed",
    "SpatialDropout2D": "data_format dtype name rate seed",
    "SpatialDropout3D": "data_format dtype name rate seed",
    "ActivityRegularization": "dtype l1 l2 name trainable",
    "MaxPooling1D": "data_format dtype name padding pool_size strides trainable",
    "MaxPooling2D": "data_format dtype name padding pool_size strides trainable",
    "MaxPooling3D": "data_format dtype name padding pool_size strides trainable",
    "AveragePooling1D": "data_format dtype name padding pool_size strides trainable",
    "AveragePooling2D": "data_format dtype name padding pool_size strides trainable",
    "AveragePooling3D": "data_format dtype name padding pool_size strides trainable",
    "GlobalMaxPooling1D": "data_format dtype keepdims name trainable",
    "GlobalMaxPooling2D": "data_format dtype keepdims name trainable",
    "GlobalAveragePooling1D": "data_format dtype keepdims name trainable",
    "GlobalAveragePooling2D": "data_format dtype keepdims name trainable",
    "ZeroPadding1D": "data_format dtype name padding trainable",
    "ZeroPadding2D": "data_format dtype name padding trainable",
    "UpSampling1D": "dtype name size trainable",
    "UpSampling2D": "data_format dtype interpolation name size trainable",
    "Cropping1D": "cropping dtype name trainable",
    "Cropping2D": "cropping data_format dtype name trainable",
    "SimpleRNN": ("activation activity_regularizer bias_constraint bias_initializer "
        "bias_regularizer dropout dtype go_backwards kernel_constraint "
        "kernel_initializer kernel_regularizer name recurrent_constraint "
        "recurrent_dropout recurrent_initializer recurrent_regularizer "
        "return_sequences return_state stateful trainable units unroll "
        "use_bias zero_output_for_mask"),
    "LSTM": ("activation activity_regularizer bias_constraint bias_initializer "
        "bias_regularizer dropout dtype go_backwards kernel_constraint "
        "kernel_initializer kernel_regularizer name recurrent_activation "
        "recurrent_constraint recurrent_dropout recurrent_initializer "
        "recurrent_regularizer return_sequences return_state seed stateful "
        "trainable unit_forget_bias units unroll use_bias "
        "zero_output_for_mask"),
    "GRU": ("activation activity_regularizer bias_constraint bias_initializer "
        "bias_regularizer dropout dtype go_backwards kernel_constraint "
        "kernel_initializer kernel_regularizer name recurrent_activation "
        "recurrent_constraint recurrent_dropout recurrent_initializer "
        "recurrent_regularizer reset_after return_sequences return_state "
        "seed stateful trainable units unroll use_bias zero_output_for_mask"),
    "Masking": "dtype mask_value name trainable",
}

# (constructor arguments, one sample's shape, input dtype) of a small Sequential per layer.
LAYER_SPECS = {
    "Dense": ({"units": 3, "activation": "tanh", "kernel_regularizer": "l2",
               "bias_constraint": "non_neg", "activity_regularizer": regularizers.L1(0.1)}, (4,)),
    "Activation": ({"activation": "softplus"}, (4,)),
    "Dropout": ({"rate": 0.3, "seed": 2, "noise_shape": (None, 1)}, (4,)),
    "Flatten": ({}, (2, 3)),
    "Conv1D": ({"filters": 2, "kernel_size": 3, "padding": "causal"}, (6, 3)),
    "Conv2D": ({"filters": 2, "kernel_size": 3, "padding": "same", "strides": 2}, (6, 6, 2)),
    "Conv3D": ({"filters": 2, "kernel_size": 2}, (3, 3, 3, 1)),
    "Conv1DTranspose": ({"filters": 2, "kernel_size": 3}, (5, 2)),
    "Conv2DTranspose": ({"filters": 2, "kernel_size": 3, "strides": 2}, (3, 3, 2)),
    "SeparableConv2D": ({"filters": 2, "kernel_size": 3}, (5, 5, 2)),
    "DepthwiseConv2D": ({"kernel_size": 3, "depth_multiplier": 2}, (5, 5, 2)),
    "Embedding": ({"input_dim": 10, "output_dim": 3}, (5,), "int32"),
    "BatchNormalization": ({"momentum": 0.9}, (4,)),
    "LayerNormalization": ({"epsilon": 1e-4}, (4,)),
    "RMSNormalization": ({}, (4,)),
    "GroupNormalization": ({"groups": 2}, (4,)),
    "UnitNormalization": ({}, (4,)),
    "Reshape": ({"target_shape": (2, 3)}, (6,)),
    "Permute": ({"dims": (2, 1)}, (2, 3)),
    "RepeatVector": ({"n": 3}, (4,)),
    "ReLU": ({"max_value": 1.0, "negative_slope": 0.1}, (4,)),
    "LeakyReLU": ({"negative_slope": 0.2}, (4,)),
    "PReLU": ({"alpha_initializer": "ones"}, (4,)),
    "ELU": ({"alpha": 0.5}, (4,)),
    "Softmax": ({"axis": -1}, (4,)),
    "GaussianNoise": ({"stddev": 0.1, "seed": 1}, (4,)),
    "GaussianDropout": ({"rate": 0.1, "seed": 1}, (4,)),
    "AlphaDropout": ({"rate": 0.1, "seed": 1}, (4,)),
    "SpatialDropout1D": ({"rate": 0.1}, (3, 4)),
    "SpatialDropout2D": ({"rate": 0.1}, (3, 3, 2)),
    "SpatialDropout3D": ({"rate": 0.1}, (2, 2, 2, 2)),
    "ActivityRegularization": ({"l1": 0.1}, (4,)),
    "MaxPooling1D": ({"pool_size": 2}, (6, 2)),
    "MaxPooling2D": ({"pool_size": 2}, (4, 4, 2)),
    "MaxPooling3D": ({"pool_size": 2}, (4, 4, 4, 1)),
    "AveragePooling1D": ({"pool_size": 2}, (6, 2)),
    "AveragePooling2D": ({"pool_size": 2, "padding": "same"}, (5, 5, 2)),
    "AveragePooling3D": ({"pool_size": 2}, (4, 4, 4, 1)),
    "GlobalMaxPooling1D": ({}, (6, 2)),
    "GlobalMaxPooling2D": ({"keepdims": True}, (4, 4, 2)),
    "GlobalAveragePooling1D": ({}, (6, 2)),
    "GlobalAveragePooling2D": ({}, (4, 4, 2)),
    "ZeroPadding1D": ({"padding": 2}, (4, 2)),
    "ZeroPadding2D": ({"padding": 1}, (3, 3, 2)),
    "UpSampling1D": ({"size": 2}, (3, 2)),
    "UpSampling2D": ({"size": 2}, (3, 3, 2)),
    "Cropping1D": ({"cropping": 1}, (5, 2)),
    "Cropping2D": ({"cropping": 1}, (5, 5, 2)),
    "SimpleRNN": ({"units": 3, "return_sequences": True}, (5, 2)),
    "LSTM": ({"units": 3}, (5, 2)),
    "GRU": ({"units": 3, "go_backwards": True}, (5, 2)),
    "Masking": ({"mask_value": 0.0}, (5, 2)),
}
# The arguments Keras needs to construct each layer (for comparing config keys).
REQUIRED = ("units", "activation", "rate", "filters", "kernel_size", "input_dim", "output_dim",
            "groups", "target_shape", "dims", "n", "stddev", "pool_size")


def _layer_class(name):
    cls = getattr(layers, name, None)
    if cls is None:
        pytest.skip(f"kerasx.layers.{name} is not implemented yet")
    return cls


def _sample(shape, dtype="float32", n=3):
    rng = np.random.default_rng(0)
    if dtype.startswith("int"):
        return rng.integers(0, 10, size=(n,) + shape).astype(dtype)
    return rng.normal(size=(n,) + shape).astype(dtype)


@pytest.mark.parametrize("name", sorted(KERAS_LAYER_KEYS))
def test_layer_config_keys_match_keras(name):
    if name == "InputLayer":
        layer = layers.InputLayer(shape=(3,))
    else:
        kwargs = {k: v for k, v in LAYER_SPECS[name][0].items() if k in REQUIRED}
        layer = _layer_class(name)(**kwargs)
    assert set(layer.get_config()) == set(KERAS_LAYER_KEYS[name].split())


@pytest.mark.parametrize("name", sorted(LAYER_SPECS))
def test_sequential_round_trip_of_each_layer(name):
    kwargs, shape, *dtype = LAYER_SPECS[name]
    dtype = dtype[0] if dtype else "float32"
    model = kerasx.Sequential([kerasx.Input(shape, dtype=dtype), _layer_class(name)(**kwargs)])
    _check_model_round_trip(model, _sample(shape, dtype))


def _check_model_round_trip(model, x):
    config = through_json(model.get_config())
    clone = kerasx.Sequential.from_config(config)
    assert [type(l) for l in clone.layers] == [type(l) for l in model.layers]
    assert [l.name for l in clone.layers] == [l.name for l in model.layers]
    assert through_json(clone.get_config()) == config
    # Fresh weights differ; copied weights give the same predictions.
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-6)
    # The full envelope (module/class_name/build_config) rebuilds the same way.
    again = round_trip(model)
    assert type(again) is kerasx.Sequential and again.built
    again.set_weights(model.get_weights())
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-6)


def _mlp():
    return kerasx.Sequential([
        kerasx.Input((8, 8)), layers.Flatten(),
        layers.Dense(16, activation="relu", kernel_initializer=initializers.HeNormal(seed=1),
                     kernel_regularizer=regularizers.L1L2(1e-4, 1e-3),
                     kernel_constraint=constraints.MaxNorm(3.0)),
        layers.Dropout(0.2), layers.Dense(10, activation="softmax")], name="mlp")


def _cnn():
    return kerasx.Sequential([
        kerasx.Input((8, 8, 1)), _layer_class("Conv2D")(4, 3, activation="relu"),
        _layer_class("MaxPooling2D")(2), layers.Flatten(), layers.Dense(10)])


def _rnn():
    return kerasx.Sequential([
        kerasx.Input((6,), dtype="int32"), _layer_class("Embedding")(20, 4),
        _layer_class("LSTM")(5), layers.Dense(2, activation="sigmoid")])


def _deferred():
    model = kerasx.Sequential([layers.Dense(5, activation="relu"), layers.Dense(2)])
    model(np.zeros((1, 64), np.float32))
    return model


@pytest.mark.parametrize("build, x", [
    (_mlp, _sample((8, 8))), (_cnn, _sample((8, 8, 1))),
    (_rnn, _sample((6,), "int32")), (_deferred, _sample((64,)))],
    ids=["mlp", "cnn", "rnn", "built_on_first_call"])
def test_sequential_models_round_trip(build, x):
    model = build()
    model.compile(optimizer="sgd", loss="mse")  # compiling must not change the config
    _check_model_round_trip(model, x)


def test_trained_weights_survive_a_round_trip(digits):
    x, y = digits[0][:200].reshape(-1, 8, 8), digits[1][:200]
    model = _mlp()
    model.compile(optimizer=optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, batch_size=50, verbose=0)
    _check_model_round_trip(model, x[:20])


# -- every object type: get_config -> from_config gives an equal object --------------------------
INITIALIZERS = [
    initializers.Zeros(), initializers.Ones(), initializers.Constant(0.3),
    initializers.Identity(gain=2.0), initializers.RandomNormal(0.1, 0.2, seed=1),
    initializers.RandomUniform(-0.3, 0.4, seed=2), initializers.TruncatedNormal(0.0, 0.3, seed=3),
    initializers.VarianceScaling(1.5, "fan_out", "uniform", seed=4),
    initializers.VarianceScaling(0.5, "fan_avg", "untruncated_normal", input_axes=[0],
                                 output_axes=[1]),
    initializers.GlorotUniform(seed=5), initializers.GlorotNormal(), initializers.HeUniform(6),
    initializers.HeNormal(), initializers.LecunUniform(7), initializers.LecunNormal(),
    initializers.Orthogonal(gain=0.5, seed=8)]


@pytest.mark.parametrize("init", INITIALIZERS, ids=lambda o: type(o).__name__)
def test_initializer_round_trip(init):
    for clone in (round_trip(init), type(init).from_config(init.get_config()),
                  initializers.deserialize(initializers.serialize(init)),
                  initializers.get(through_json(initializers.serialize(init)))):
        assert type(clone) is type(init) and same_config(clone, init)
        if getattr(init, "seed", 0) is not None:
            np.testing.assert_array_equal(host(clone((4, 4))), host(init((4, 4))))


@pytest.mark.parametrize("obj", [
    constraints.NonNeg(), constraints.UnitNorm(1), constraints.MaxNorm(2.5, [0, 1]),
    constraints.MinMaxNorm(0.1, 0.9, 0.5, 1), regularizers.L1(0.2), regularizers.L2(0.3),
    regularizers.L1L2(0.1, 0.4), regularizers.OrthogonalRegularizer(0.2, "columns")],
    ids=lambda o: type(o).__name__)
def test_constraint_and_regularizer_round_trip(obj):
    module = _module_of(type(obj).__name__)
    w = current().asarray(np.random.default_rng(1).normal(size=(3, 4)).astype(np.float32))
    for clone in (round_trip(obj), type(obj).from_config(obj.get_config()),
                  module.deserialize(module.serialize(obj)), module.get(module.serialize(obj))):
        assert type(clone) is type(obj) and same_config(clone, obj)
        np.testing.assert_array_equal(host(clone(w)), host(obj(w)))


def _public_classes(module, base):
    return sorted((c for c in vars(module).values()
                   if inspect.isclass(c) and issubclass(c, base) and c is not base
                   and not inspect.isabstract(c)), key=lambda c: c.__name__)


def _instances(module, base, required_args):
    out = []
    for cls in _public_classes(module, base):
        if cls.__name__ in required_args:
            out.append(pytest.param(cls, required_args[cls.__name__], id=cls.__name__))
        else:
            out.append(pytest.param(cls, {}, id=cls.__name__))
    return out


def _construct(cls, kwargs):
    try:
        return cls(**kwargs)
    except TypeError as e:
        if "required" in str(e):
            pytest.skip(f"{cls.__name__} needs constructor arguments; add them to the table")
        raise


@pytest.mark.parametrize("cls, kwargs", _instances(
    losses, losses.Loss, {"LossFunctionWrapper": {"fn": losses.mean_squared_error}}))
def test_loss_round_trip(cls, kwargs):
    loss = _construct(cls, kwargs)
    clone = losses.deserialize(through_json(losses.serialize(loss)))
    assert type(clone) is cls and same_config(clone, loss)
    assert type(losses.get(through_json(losses.serialize(loss)))) is cls
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 2, size=(4, 3)).astype(np.float32)
    y_pred = rng.uniform(0.05, 0.95, size=(4, 3)).astype(np.float32)
    if "Sparse" in cls.__name__:
        y_true = rng.integers(0, 3, size=(4,)).astype(np.int32)
    try:
        expected = float(loss(y_true, y_pred))
    except (ValueError, TypeError):
        return  # this loss needs other inputs; its config round trip was checked above
    assert float(clone(y_true, y_pred)) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("name", sorted(losses._FUNCTIONS) if hasattr(losses, "_FUNCTIONS")
                         else ["mean_squared_error"])
def test_loss_function_round_trip(name):
    fn = losses.get(name)
    assert losses.deserialize(through_json(losses.serialize(fn))) is fn


METRIC_ARGS = {
    "MeanMetricWrapper": {"fn": losses.mean_absolute_error},
    "PrecisionAtRecall": {"recall": 0.5}, "RecallAtPrecision": {"precision": 0.5},
    "SensitivityAtSpecificity": {"specificity": 0.5},
    "SpecificityAtSensitivity": {"sensitivity": 0.5},
    "MeanIoU": {"num_classes": 2}, "IoU": {"num_classes": 2, "target_class_ids": [0]},
    "OneHotIoU": {"num_classes": 2, "target_class_ids": [0]}, "OneHotMeanIoU": {"num_classes": 2},
}


@pytest.mark.parametrize("cls, kwargs", _instances(metrics, metrics.Metric, METRIC_ARGS))
def test_metric_round_trip(cls, kwargs):
    metric = _construct(cls, kwargs)
    clone = metrics.deserialize(through_json(metrics.serialize(metric)))
    assert type(clone) is cls and same_config(clone, metric)
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 2, size=(6, 1)).astype(np.float32)
    y_pred = rng.uniform(size=(6, 1)).astype(np.float32)
    try:
        metric.update_state(y_true, y_pred)
    except (ValueError, TypeError):
        return  # needs other inputs; its config round trip was checked above
    clone.update_state(y_true, y_pred)
    np.testing.assert_allclose(host(clone.result()), host(metric.result()), rtol=1e-6)


# optimizers around others take the learning rate of those
WRAPPERS = {"LossScaleOptimizer": {"inner_optimizer": optimizers.SGD(0.05)},
            "MultiOptimizer": {"optimizer_map": optimizers.OptimizerMap(
                optimizers.Adam(0.05), {"dense/kernel": optimizers.SGD(0.05)})}}


@pytest.mark.parametrize("cls, kwargs", _instances(optimizers, optimizers.Optimizer, {}))
def test_optimizer_round_trip(cls, kwargs):
    if cls.__name__ in WRAPPERS:
        optimizer = cls(**WRAPPERS[cls.__name__])
        for clone in (optimizers.deserialize(through_json(optimizers.serialize(optimizer))),
                      cls.from_config(optimizer.get_config())):
            assert type(clone) is cls and same_config(clone, optimizer)
        return
    optimizer = _construct(cls, {"learning_rate": 0.05, **kwargs})
    for clone in (optimizers.deserialize(through_json(optimizers.serialize(optimizer))),
                  optimizers.get(through_json(optimizers.serialize(optimizer))),
                  cls.from_config(optimizer.get_config())):
        assert type(clone) is cls and same_config(clone, optimizer)
        assert clone.learning_rate == pytest.approx(0.05)


def _activation_functions():
    names = getattr(activations, "_BY_NAME", None) or {"relu": activations.relu}
    return sorted(names)


@pytest.mark.parametrize("name", _activation_functions())
def test_activation_round_trip(name):
    fn = activations.get(name)
    config = activations.serialize(fn)
    assert activations.deserialize(through_json(config)) is fn
    assert activations.get(through_json(config)) is fn
    layer = round_trip(layers.Activation(fn))
    assert layer.activation is fn


# -- custom objects -------------------------------------------------------------------------------
@register_keras_serializable(package="kx_tests")
class ScaledDense(layers.Dense):
    """A Dense whose output is multiplied by `scale`."""

    def __init__(self, units, scale=2.0, **kwargs):
        super().__init__(units, **kwargs)
        self.scale = scale

    def call(self, inputs):
        return super().call(inputs) * self.scale

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


@register_keras_serializable(package="kx_tests")
def cube(x):
    return x * x * x


@register_keras_serializable(package="kx_tests", name="shrink")
class Shrink(regularizers.Regularizer):
    def __init__(self, amount=0.5):
        self.amount = amount

    def __call__(self, x):
        return self.amount * kerasx.ops.sum(kerasx.ops.abs(x))

    def get_config(self):
        return {"amount": self.amount}


class Halve(layers.Layer):
    """An unregistered custom layer."""

    def call(self, inputs):
        return inputs * 0.5


def test_registered_custom_objects_round_trip_without_custom_objects():
    assert kerasx.saving.get_registered_name(ScaledDense) == "kx_tests>ScaledDense"
    assert kerasx.saving.get_registered_object("kx_tests>cube") is cube
    model = kerasx.Sequential([kerasx.Input((3,)), ScaledDense(
        2, scale=3.0, activation=cube, kernel_regularizer=Shrink(0.25))])
    config = serialize_keras_object(model)
    dense = config["config"]["layers"][1]
    assert dense["class_name"] == "ScaledDense"
    assert dense["registered_name"] == "kx_tests>ScaledDense"
    assert dense["config"]["activation"] == {"module": "builtins", "class_name": "function",
                                             "config": "kx_tests>cube",
                                             "registered_name": "function"}
    assert dense["config"]["kernel_regularizer"]["registered_name"] == "kx_tests>shrink"
    clone = deserialize_keras_object(through_json(config))
    layer = clone.layers[0]
    assert type(layer) is ScaledDense and layer.scale == 3.0 and layer.activation is cube
    assert type(layer.kernel_regularizer) is Shrink and layer.kernel_regularizer.amount == 0.25
    clone.set_weights(model.get_weights())
    x = _sample((3,))
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_custom_objects_argument_and_scope():
    model = kerasx.Sequential([kerasx.Input((3,)), Halve(), layers.Dense(2)])
    config = through_json(serialize_keras_object(model))
    halve = config["config"]["layers"][1]
    assert halve["class_name"] == "Halve" and halve["registered_name"] == "Halve"
    assert halve["module"] == __name__
    with pytest.raises(ValueError, match=r"Could not locate class 'Halve'.*register_keras_"
                                         r"serializable\(\) or pass custom_objects="):
        deserialize_keras_object(config)
    clone = deserialize_keras_object(config, custom_objects={"Halve": Halve})
    assert type(clone.layers[0]) is Halve
    with custom_object_scope({"Halve": Halve}):
        assert type(deserialize_keras_object(config).layers[0]) is Halve
    assert type(kerasx.Sequential.from_config(config["config"], custom_objects={"Halve": Halve})
                .layers[0]) is Halve


def test_custom_function_by_plain_name():
    def double(x):
        return x * 2.0

    config = through_json(serialize_keras_object(layers.Dense(2, activation=double)))
    with pytest.raises(ValueError, match=r"Could not locate function 'double'"):
        deserialize_keras_object(config)
    assert deserialize_keras_object(config, custom_objects={"double": double}).activation is double


def test_registering_a_class_without_get_config_fails():
    with pytest.raises(ValueError, match=r"Cannot register Plain: the class has no get_config"):
        @register_keras_serializable()
        class Plain:
            pass


# -- configs written by Keras 3 ------------------------------------------------------------------
def test_reads_a_sequential_config_written_by_keras():
    config = json.loads(KERAS_SEQUENTIAL_CONFIG)
    for model in (kerasx.Sequential.from_config(config),
                  deserialize_keras_object({"module": "keras", "class_name": "Sequential",
                                            "config": config, "registered_name": None})):
        assert model.name == "golden_mlp"
        assert [type(l).__name__ for l in model.layers] == ["Flatten", "Dense", "Dropout",
                                                           "Dense", "Activation"]
        dense = model.layers[1]
        assert type(dense.kernel_initializer) is initializers.HeNormal
        assert dense.kernel_initializer.seed == 3
        assert type(dense.kernel_constraint) is constraints.MaxNorm
        assert dense.kernel_constraint.max_value == 3.0
        assert dense.kernel_regularizer.l2 == pytest.approx(0.01)
        assert dense.activity_regularizer.l1 == pytest.approx(0.01)
        assert model.layers[2].seed == 1 and model.layers[2].rate == 0.3
        assert dense.dtype == "float32"
        model.set_weights([np.asarray(w, np.float32) for w in KERAS_WEIGHTS])
        out = model.predict(np.asarray(KERAS_X, np.float32), verbose=0)
        np.testing.assert_allclose(out, KERAS_PREDICTIONS, rtol=1e-5, atol=1e-6)


def test_keras_names_and_aliases_deserialize():
    assert type(initializers.deserialize("glorot_uniform")) is initializers.GlorotUniform
    assert type(constraints.deserialize({"class_name": "NonNeg", "config": {}})) is \
        constraints.NonNeg
    old_style = {"class_name": "OrthogonalInitializer", "config": {"gain": 2.0, "seed": None}}
    assert initializers.get(old_style).gain == 2.0
    policy = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float64"},
              "registered_name": None}
    assert deserialize_keras_object(policy) == "float64"
    dense = deserialize_keras_object({"module": "keras.layers", "class_name": "Dense",
                                      "config": {"units": 2, "dtype": policy},
                                      "registered_name": None})
    assert dense.dtype == "float64"


# -- special values -----------------------------------------------------------------------------
def test_plain_values_containers_and_arrays():
    assert serialize_keras_object(None) is None
    assert serialize_keras_object({"a": (1, 2.5, "x"), "b": [True]}) == {"a": (1, 2.5, "x"),
                                                                         "b": [True]}
    array = np.arange(6, dtype=np.float32).reshape(2, 3)
    config = serialize_keras_object(array)
    assert config == {"class_name": "__numpy__",
                      "config": {"value": array.tolist(), "dtype": "float32"}}
    np.testing.assert_array_equal(deserialize_keras_object(through_json(config)), array)
    assert serialize_keras_object(np.float32(1.5)) == 1.5
    tensor = kerasx.ops.convert_to_tensor(array)
    config = serialize_keras_object(tensor)
    if config["class_name"] == "__tensor__":
        back = deserialize_keras_object(through_json(config))
        assert current().is_native(back)
        np.testing.assert_array_equal(host(back), array)
    assert deserialize_keras_object(serialize_keras_object(b"abc")) == b"abc"
    assert deserialize_keras_object(through_json(serialize_keras_object(slice(1, None, 2)))) \
        == slice(1, None, 2)


def test_lambdas_need_unsafe_mode():
    offset = 3.0
    fn = lambda x: x + offset  # noqa: E731
    with pytest.warns(UserWarning, match="lambda"):
        config = through_json(serialize_keras_object(fn))
    assert config["class_name"] == "__lambda__"
    with pytest.raises(ValueError, match=r"deserialization of a Python lambda.*safe_mode=False"):
        deserialize_keras_object(config)
    loaded = deserialize_keras_object(config, safe_mode=False)
    assert loaded(1.0) == 4.0


# -- errors ---------------------------------------------------------------------------------------
def test_unknown_class_suggests_the_closest():
    with pytest.raises(ValueError, match=r"Could not locate class 'Dens' \(module 'keras.layers'\)"
                                         r".*Did you mean 'Dense'"):
        deserialize_keras_object({"module": "keras.layers", "class_name": "Dens", "config": {}})
    with pytest.raises(ValueError, match=r"Unknown initializer: 'he_norma'\. Did you mean "
                                         r"'he_normal'"):
        initializers.deserialize("he_norma")


def test_bad_configs():
    with pytest.raises(TypeError, match=r"Dense\.from_config could not rebuild the object: "
                                        r".*\['bogus'\]\. Config: \{'units': 2, 'bogus': 1\}"):
        deserialize_keras_object({"module": "keras.layers", "class_name": "Dense",
                                  "config": {"units": 2, "bogus": 1}})
    with pytest.raises(ValueError, match=r"Cannot deserialize regularizer config \{'l2': 0\.1\}: "
                                         r"expected a dict with 'class_name'"):
        regularizers.deserialize({"l2": 0.1})
    with pytest.raises(TypeError, match=r"Could not parse config 3j"):
        deserialize_keras_object(3j)


def test_objects_without_get_config_cannot_be_serialized():
    class Opaque:
        pass

    with pytest.raises(TypeError, match=r"Cannot serialize object .* of type Opaque: it has no "
                                        r"get_config\(\)"):
        serialize_keras_object(Opaque())

    class BadConfig:
        def get_config(self):
            return [1]

    with pytest.raises(TypeError, match=r"BadConfig\.get_config\(\) must return a dict"):
        serialize_keras_object(BadConfig())


# Written by Keras 3.15.1 (KERAS_BACKEND=jax) with:
#   keras.utils.set_random_seed(0)
#   m = keras.Sequential([keras.Input((2, 2)), layers.Flatten(),
#       layers.Dense(5, activation="relu", kernel_regularizer=keras.regularizers.L2(0.01),
#                    kernel_constraint=keras.constraints.MaxNorm(3.0),
#                    kernel_initializer=keras.initializers.HeNormal(seed=3),
#                    activity_regularizer="l1"),
#       layers.Dropout(0.3, seed=1), layers.Dense(3), layers.Activation("softmax")],
#       name="golden_mlp")
#   rng = np.random.default_rng(0)
#   m.set_weights([rng.normal(size=w.shape).round(2) for w in m.get_weights()])
#   x = rng.normal(size=(4, 2, 2)).round(2)
#   json.dumps(m.get_config()); m.predict(x)
KERAS_SEQUENTIAL_CONFIG = (
    '{"name":"golden_mlp","trainable":true,"dtype":{"module":"keras","class_name":"DTypePolicy"'
    ',"config":{"name":"float32"},"registered_name":null},"layers":[{"module":"keras.layers","c'
    'lass_name":"InputLayer","config":{"batch_shape":[null,2,2],"dtype":"float32","sparse":fals'
    'e,"ragged":false,"name":"input_layer","optional":false},"registered_name":null},{"module":'
    '"keras.layers","class_name":"Flatten","config":{"name":"flatten","trainable":true,"dtype":'
    '{"module":"keras","class_name":"DTypePolicy","config":{"name":"float32"},"registered_name"'
    ':null},"data_format":"channels_last"},"registered_name":null,"build_config":{"input_shape"'
    ':[null,2,2]}},{"module":"keras.layers","class_name":"Dense","config":{"name":"dense","trai'
    'nable":true,"dtype":{"module":"keras","class_name":"DTypePolicy","config":{"name":"float32'
    '"},"registered_name":null},"activity_regularizer":{"module":"keras.regularizers","class_na'
    'me":"L1","config":{"l1":0.009999999776482582},"registered_name":null},"units":5,"activatio'
    'n":"relu","use_bias":true,"kernel_initializer":{"module":"keras.initializers","class_name"'
    ':"HeNormal","config":{"seed":3,"input_axes":null,"output_axes":null},"registered_name":nul'
    'l},"bias_initializer":{"module":"keras.initializers","class_name":"Zeros","config":{},"reg'
    'istered_name":null},"kernel_regularizer":{"module":"keras.regularizers","class_name":"L2",'
    '"config":{"l2":0.01},"registered_name":null},"bias_regularizer":null,"kernel_constraint":{'
    '"module":"keras.constraints","class_name":"MaxNorm","config":{"max_value":3.0,"axis":0},"r'
    'egistered_name":null},"bias_constraint":null,"quantization_config":null},"registered_name"'
    ':null,"build_config":{"input_shape":[null,4]}},{"module":"keras.layers","class_name":"Drop'
    'out","config":{"name":"dropout","trainable":true,"dtype":{"module":"keras","class_name":"D'
    'TypePolicy","config":{"name":"float32"},"registered_name":null},"rate":0.3,"seed":1,"noise'
    '_shape":null},"registered_name":null},{"module":"keras.layers","class_name":"Dense","confi'
    'g":{"name":"dense_1","trainable":true,"dtype":{"module":"keras","class_name":"DTypePolicy"'
    ',"config":{"name":"float32"},"registered_name":null},"units":3,"activation":"linear","use_'
    'bias":true,"kernel_initializer":{"module":"keras.initializers","class_name":"GlorotUniform'
    '","config":{"seed":null,"input_axes":null,"output_axes":null},"registered_name":null},"bia'
    's_initializer":{"module":"keras.initializers","class_name":"Zeros","config":{},"registered'
    '_name":null},"kernel_regularizer":null,"bias_regularizer":null,"kernel_constraint":null,"b'
    'ias_constraint":null,"quantization_config":null},"registered_name":null,"build_config":{"i'
    'nput_shape":[null,5]}},{"module":"keras.layers","class_name":"Activation","config":{"name"'
    ':"activation","trainable":true,"dtype":{"module":"keras","class_name":"DTypePolicy","confi'
    'g":{"name":"float32"},"registered_name":null},"activation":"softmax"},"registered_name":nu'
    'll}],"build_input_shape":[null,2,2]}'
)
KERAS_WEIGHTS = [[[0.13, -0.13, 0.64, 0.1, -0.54], [0.36, 1.3, 0.95, -0.7, -1.27],
                  [-0.62, 0.04, -2.33, -0.22, -1.25], [-0.73, -0.54, -0.32, 0.41, 1.04]],
                 [-0.13, 1.37, -0.67, 0.35, 0.9],
                 [[0.09, -0.74, -0.92], [-0.46, 0.22, -1.01], [-0.21, -0.16, 0.54],
                  [0.21, 0.36, -0.65], [-0.13, 0.78, 1.49]],
                 [-1.26, 1.51, 1.35]]
KERAS_X = [[[0.78, 0.26], [-0.31, 1.46]], [[1.96, 1.8], [1.32, 0.36]],
           [[-1.21, -0.0], [0.66, -1.29]], [[0.4, 0.43], [0.7, -1.18]]]
KERAS_PREDICTIONS = [[0.002839974, 0.5927773, 0.4043827], [0.006447379, 0.9793817, 0.01417095],
                     [0.01557147, 0.9364802, 0.0479483], [0.01608317, 0.9514467, 0.03247016]]
