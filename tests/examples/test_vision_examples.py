"""Patterns from the keras.io computer-vision examples that once behaved differently from Keras 3.

Each test is a small program of its own reproducing what an example does (a position
embedding read through `ops.convert_to_tensor`, a contrastive loss built on
`keras.utils.normalize`, one-hot labels, custom layers saved without `get_config`),
checked against what Keras 3 does with the same code.
"""

import warnings

import numpy as np
import pytest

import kerasx as keras
from kerasx import layers, ops
from tests.conftest import to_numpy


# -- gradients through a variable read with convert_to_tensor (FNet, CCT) ----------------------

class PositionEmbedding(layers.Layer):
    """The mlp_image_classification / cct example's layer: a learned table sliced to the
    sequence length and broadcast to the input's shape."""

    def __init__(self, sequence_length, **kwargs):
        super().__init__(**kwargs)
        self.sequence_length = sequence_length

    def build(self, input_shape):
        self.position_embeddings = self.add_weight(
            name="embeddings", shape=[self.sequence_length, input_shape[-1]],
            initializer="glorot_uniform")

    def call(self, inputs):
        shape = ops.shape(inputs)
        table = ops.convert_to_tensor(self.position_embeddings)
        table = ops.slice(table, (0, 0), (shape[-2], shape[-1]))
        return ops.broadcast_to(table, shape)


def test_a_position_embedding_read_through_convert_to_tensor_is_trained():
    x = np.random.default_rng(0).normal(size=(2, 3, 4)).astype("float32")
    inputs = keras.Input((3, 4))
    embedding = PositionEmbedding(sequence_length=5)
    model = keras.Model(inputs, inputs + embedding(inputs))
    model.compile(keras.optimizers.SGD(1.0), "mse")
    before = to_numpy(embedding.position_embeddings).copy()
    model.train_on_batch(x, np.zeros_like(x))
    # mse averages (x + P)^2 over the 2 * 3 * 4 values; rows 3 and 4 of P are unused
    grad = np.zeros_like(before)
    grad[:3] = 2.0 * (x + before[:3]).sum(axis=0) / x.size
    np.testing.assert_allclose(to_numpy(embedding.position_embeddings), before - grad,
                               rtol=1e-5, atol=1e-6)


def test_convert_to_tensor_passes_gradients_to_a_variable_in_any_dtype():
    v = keras.Variable(np.array([1.0, -2.0, 3.0], "float32"))
    with keras.GradientTape() as tape:
        same = ops.convert_to_tensor(v)
        wide = ops.convert_to_tensor(v, dtype="float64")
        loss = ops.sum(same * same) + ops.cast(ops.sum(wide * 3.0), "float32")
    assert type(same).__name__ == "Tensor" and str(wide.dtype) == "float64"
    np.testing.assert_allclose(to_numpy(tape.gradient(loss, v)), [5.0, -1.0, 9.0])


# -- keras.utils.normalize inside a loss (supervised contrastive learning) ---------------------

def test_utils_normalize_of_a_tensor_is_differentiable():
    v = keras.Variable(np.array([[3.0, 4.0], [1.0, 0.0]], "float32"))
    w = np.array([[1.0, 2.0], [0.5, 1.0]], "float32")
    with keras.GradientTape() as tape:
        unit = keras.utils.normalize(v, axis=1, order=2)
        loss = ops.sum(unit * w)
    assert not isinstance(unit, np.ndarray)
    x = to_numpy(v)
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    u = x / norm
    expected = (w - (w * u).sum(axis=1, keepdims=True) * u) / norm
    np.testing.assert_allclose(to_numpy(tape.gradient(loss, v)), expected, rtol=1e-5, atol=1e-6)


def test_utils_normalize_keeps_numpy_in_numpy_out():
    out = keras.utils.normalize(np.array([[3, 4], [0, 0]]), axis=1)
    assert isinstance(out, np.ndarray) and out.dtype == np.float64
    np.testing.assert_array_equal(out, [[0.6, 0.8], [0.0, 0.0]])


# -- to_categorical (mnist_convnet, cct) -------------------------------------------------------

def test_to_categorical_of_host_labels_is_float64_as_in_keras():
    out = keras.utils.to_categorical(np.array([[2], [0], [1]], "uint8"), 3)
    assert isinstance(out, np.ndarray) and out.dtype == np.float64
    np.testing.assert_array_equal(out, np.eye(3)[[2, 0, 1]])


def test_to_categorical_of_a_tensor_is_a_floatx_tensor():
    out = keras.utils.to_categorical(ops.convert_to_tensor([[1], [2]]), 4)
    assert not isinstance(out, np.ndarray)
    assert tuple(out.shape) == (2, 4) and str(out.dtype) == "float32"
    np.testing.assert_array_equal(to_numpy(out), np.eye(4)[[1, 2]])


# -- custom layers and models without get_config (super_resolution_sub_pixel) ------------------

class DepthToSpace(layers.Layer):
    """The super-resolution example's layer, which leaves get_config to its base."""

    def __init__(self, block_size, **kwargs):
        super().__init__(**kwargs)
        self.block_size = block_size

    def call(self, x):
        batch, height, width, depth = ops.shape(x)
        depth = depth // (self.block_size ** 2)
        x = ops.reshape(x, [batch, height, width, self.block_size, self.block_size, depth])
        x = ops.transpose(x, [0, 1, 3, 2, 4, 5])
        return ops.reshape(x, [batch, height * self.block_size, width * self.block_size, depth])


def test_a_layer_without_get_config_is_configured_by_its_arguments():
    class Scale(layers.Layer):
        def __init__(self, factor, mode="mul", sizes=(1, 2), **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

    class Fixed(layers.Layer):
        def __init__(self, factor):
            super().__init__()

    config = Scale(2.0, name="s", trainable=False).get_config()
    # Keras 3: {'name': 's', 'factor': 2.0, 'mode': 'mul', 'sizes': (1, 2), 'trainable': False,
    #           'dtype': <float32 policy>}
    assert list(config)[:4] == ["name", "factor", "mode", "sizes"]
    assert config["factor"] == 2.0 and config["mode"] == "mul" and config["sizes"] == (1, 2)
    assert config["name"] == "s" and config["trainable"] is False
    # no `name` parameter and no **kwargs: the name cannot be given back, so it is left out
    assert "name" not in Fixed(3).get_config() and Fixed(3).get_config()["factor"] == 3


def test_a_layer_with_a_layer_argument_keeps_the_base_config():
    class Holder(layers.Layer):
        def __init__(self, inner, **kwargs):
            super().__init__(**kwargs)
            self.inner = inner

    assert "inner" not in Holder(layers.Dense(2)).get_config()


def test_a_super_resolution_model_with_depth_to_space_reloads(tmp_path):
    inputs = keras.Input((None, None, 1))
    x = layers.Conv2D(9, 3, padding="same", kernel_initializer="orthogonal")(inputs)
    model = keras.Model(inputs, DepthToSpace(3)(x))
    model.compile("adam", "mse")
    path = str(tmp_path / "espcn.keras")
    model.save(path)
    loaded = keras.models.load_model(path, custom_objects={"DepthToSpace": DepthToSpace})
    image = np.random.default_rng(1).random((1, 4, 5, 1)).astype("float32")
    np.testing.assert_allclose(loaded.predict(image, verbose=0), model.predict(image, verbose=0),
                               rtol=1e-6)
    assert loaded.predict(image, verbose=0).shape == (1, 12, 15, 1)
    assert loaded.layers[-1].block_size == 3


def test_a_subclassed_model_without_get_config_reloads_with_its_arguments(tmp_path):
    # Keras 3 records the defaults here (units=3), not the arguments given, and then
    # fails to load the weights; kerasx keeps the arguments the model was made with.
    class Tiny(keras.Model):
        def __init__(self, units=3, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.dense = layers.Dense(units)

        def call(self, x):
            return self.dense(x)

    model = Tiny(units=4, name="tiny")
    x = np.ones((2, 5), "float32")
    model(x)
    assert model.get_config() == {"name": "tiny", "units": 4, "trainable": True, "dtype": {
        "module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
        "registered_name": None}}
    path = str(tmp_path / "tiny.keras")
    model.save(path)
    loaded = keras.models.load_model(path, custom_objects={"Tiny": Tiny})
    assert loaded.units == 4
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize("make", [lambda: layers.Add(), lambda: layers.Identity()])
def test_built_in_layers_without_arguments_keep_keras_configs(make):
    assert set(make().get_config()) == {"name", "trainable", "dtype"}


# -- a custom learning-rate schedule saved with the model (shiftvit, cct) ----------------------

class WarmUpCosine(keras.optimizers.schedules.LearningRateSchedule):
    """The shiftvit example's schedule: linear warm-up, then cosine decay."""

    def __init__(self, lr_start, lr_max, warmup_steps, total_steps):
        super().__init__()
        self.lr_start, self.lr_max = lr_start, lr_max
        self.warmup_steps, self.total_steps = warmup_steps, total_steps

    def __call__(self, step):
        step = ops.cast(step, "float32")
        progress = (step - self.warmup_steps) / (self.total_steps - self.warmup_steps)
        cosine = 0.5 * self.lr_max * (1 + ops.cos(np.pi * progress))
        warmup = (self.lr_max - self.lr_start) / self.warmup_steps * step + self.lr_start
        return ops.where(step < self.warmup_steps, warmup, cosine)

    def get_config(self):
        return {"lr_start": self.lr_start, "lr_max": self.lr_max,
                "warmup_steps": self.warmup_steps, "total_steps": self.total_steps}


def test_a_model_trained_with_a_custom_schedule_reloads_its_optimizer_state(tmp_path):
    x = np.random.default_rng(2).random((12, 3)).astype("float32")
    y = np.random.default_rng(3).random((12, 1)).astype("float32")
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    model.compile(keras.optimizers.AdamW(WarmUpCosine(1e-5, 1e-2, 2, 8)), "mse")
    model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    path = str(tmp_path / "scheduled.keras")
    model.save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "Skipping the optimizer state"
        loaded = keras.models.load_model(path, custom_objects={"WarmUpCosine": WarmUpCosine})
    assert int(to_numpy(loaded.optimizer.iterations)) == 6
    for slot, saved in zip(loaded.optimizer.variables, model.optimizer.variables):
        np.testing.assert_array_equal(to_numpy(slot), to_numpy(saved))
    # training goes on where it stopped: one more step gives the same weights
    model.train_on_batch(x[:4], y[:4])
    loaded.train_on_batch(x[:4], y[:4])
    np.testing.assert_allclose(loaded.get_weights()[0], model.get_weights()[0], rtol=1e-6)



# -- ops.image on symbolic tensors (vision transformer, swin: patches in a functional model) ---

def test_image_ops_on_keras_tensors_become_keras_operation_nodes(tmp_path):
    inputs = keras.Input((8, 8, 3))
    patches = ops.image.extract_patches(inputs, 2)
    tokens = ops.reshape(patches, (-1, 16, 12))
    gray = ops.image.rgb_to_grayscale(ops.image.resize(inputs, (4, 4)))
    model = keras.Model(inputs, [tokens, gray])
    assert tuple(patches.shape) == (None, 4, 4, 12) and tuple(gray.shape) == (None, 4, 4, 1)
    # Keras 3 writes these nodes as operations of keras.src.ops.image
    entries = {e["name"]: e for e in model.get_config()["layers"]}
    assert {(entries[n]["class_name"], entries[n]["module"])
            for n in ("extract_patches", "resize", "rgb_to_grayscale")} == {
        ("ExtractPatches", "keras.src.ops.image"), ("Resize", "keras.src.ops.image"),
        ("RGBToGrayscale", "keras.src.ops.image")}
    images = np.random.default_rng(4).random((2, 8, 8, 3)).astype("float32")
    eager = ops.image.rgb_to_grayscale(ops.image.resize(images, (4, 4)))
    tokens_out, gray_out = model.predict(images, verbose=0)
    np.testing.assert_allclose(gray_out, to_numpy(eager), rtol=1e-6)
    np.testing.assert_allclose(tokens_out.reshape(2, 4, 4, 12),
                               to_numpy(ops.image.extract_patches(images, 2)), rtol=1e-6)
    path = str(tmp_path / "patches.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    for got, want in zip(loaded.predict(images, verbose=0), (tokens_out, gray_out)):
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_a_keras_written_image_operation_entry_is_read():
    entry = {"module": "keras.src.ops.image", "class_name": "RGBToGrayscale",
             "config": {"name": "rgb_to_grayscale", "data_format": None},
             "registered_name": "RGBToGrayscale", "name": "rgb_to_grayscale",
             "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {
                 "shape": [None, 4, 4, 3], "dtype": "float32",
                 "keras_history": ["input_layer", 0, 0]}}], "kwargs": {}}]}
    config = {"name": "functional", "trainable": True, "layers": [
        {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
         "config": {"batch_shape": [None, 4, 4, 3], "dtype": "float32", "sparse": False,
                    "name": "input_layer"}, "name": "input_layer", "inbound_nodes": []},
        entry], "input_layers": [["input_layer", 0, 0]],
        "output_layers": [["rgb_to_grayscale", 0, 0]]}
    model = keras.Model.from_config(config)
    images = np.random.default_rng(5).random((1, 4, 4, 3)).astype("float32")
    np.testing.assert_allclose(model.predict(images, verbose=0),
                               to_numpy(ops.image.rgb_to_grayscale(images)), rtol=1e-6)


# -- Python types as dtypes and unnamed variables (swin_transformers) ---------------------------

@pytest.mark.parametrize("dtype, expected", [("int", "int32"), (int, "int32"),
                                             (float, "float32"), (bool, "bool")])
def test_python_dtypes_are_keras_s(dtype, expected):
    # Keras (JAX, PyTorch, NumPy backends) reads int and "int" as int32 and float as float32
    index = keras.Variable(initializer=np.arange(4).reshape(2, 2), shape=(2, 2), dtype=dtype,
                           trainable=False)
    assert str(index.dtype) == expected
    assert str(ops.zeros((2,), dtype=dtype).dtype) == expected
    assert str(ops.cast(ops.ones((2,)), dtype).dtype) == expected


def test_unnamed_variables_get_unique_names():
    first, second = keras.Variable(1.0), keras.Variable(2.0)
    named = keras.Variable(3.0, name="scale")
    assert (first.name, second.name, named.name) == ("variable", "variable_1", "scale")
