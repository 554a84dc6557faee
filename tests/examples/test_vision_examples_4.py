"""A fourth round of patterns from the keras.io vision, generative and recipe examples
that once behaved differently from Keras 3.

Each test is a small program reproducing what an example does (image captioning's
decoder attending over padded captions, PatchConvNet's summary of its custom blocks),
checked against what Keras 3 does with the same code.
"""

import math

import numpy as np

import kerasx as keras
from kerasx import layers, ops
from tests.conftest import to_numpy


def _constant(value):
    return keras.initializers.Constant(value)


# -- image_captioning: padded query positions whose keys are all masked -------------------

def _padded_tokens_through(attention):
    embedding = layers.Embedding(5, 2, mask_zero=True, embeddings_initializer=_constant(
        np.arange(10, dtype="float32").reshape(5, 2) / 10))
    x = embedding(np.array([[3, 2, 0, 0]]))
    return to_numpy(attention(x, x))


def test_attention_rows_with_every_key_masked_average_all_values_as_keras():
    # Keras 3.15.1 (JAX backend) gives these: without dropout or returned scores its
    # attention layers take the fused `dot_product_attention` path, where a padded query
    # (every key masked by the padding mask) attends uniformly to all positions.
    init = {"kernel_initializer": _constant(0.3), "bias_initializer": _constant(0.1)}
    mha = _padded_tokens_through(layers.MultiHeadAttention(num_heads=1, key_dim=2, **init))
    np.testing.assert_allclose(mha[0], [[0.35949594] * 2, [0.3591299] * 2,
                                        [0.268] * 2, [0.268] * 2], rtol=1e-6)
    gqa = _padded_tokens_through(layers.GroupQueryAttention(
        head_dim=2, num_query_heads=2, num_key_value_heads=1, **init))
    np.testing.assert_allclose(gqa[0], [[0.6189919] * 2, [0.61825985] * 2,
                                        [0.436] * 2, [0.436] * 2], rtol=1e-6)


def test_attention_scores_of_rows_with_every_key_masked_stay_zero():
    # the explicit path (scores returned, or dropout) masks the softmax's output, as
    # Keras's `Softmax` layer does: those rows weigh nothing
    layer = layers.MultiHeadAttention(num_heads=1, key_dim=2, bias_initializer=_constant(0.1),
                                      kernel_initializer=_constant(0.3))
    embedding = layers.Embedding(5, 2, mask_zero=True)
    x = embedding(np.array([[3, 2, 0, 0]]))
    output, scores = layer(x, x, return_attention_scores=True)
    np.testing.assert_array_equal(to_numpy(scores)[0, 0, 2:], 0.0)
    # the output projection of a zero vector: its bias
    np.testing.assert_allclose(to_numpy(output)[0, 2:], 0.1, rtol=1e-6)


# -- patch_convnet: custom blocks called eagerly inside a subclassed model ----------------

class _BlockWithBuild(layers.Layer):
    def build(self, input_shape):
        self.dense = layers.Dense(3)

    def call(self, x):
        return self.dense(x) * 2.0


class _BlockWithOutputShape(_BlockWithBuild):
    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (3,)


class _Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.first = _BlockWithBuild(name="first")
        self.second = _BlockWithOutputShape(name="second")
        self.head = layers.Dense(2, name="head")

    def call(self, x):
        return self.head(self.second(self.first(x)))


def _summary_shapes(model):
    """The output-shape cell of each layer row, by layer name."""
    lines = []
    model.summary(print_fn=lambda text, **kwargs: lines.append(text))
    cells = [line.split("│")[1:3] for line in "\n".join(lines).splitlines()
             if line.startswith("│")]
    return {name.split()[0]: shape.strip() for name, shape in cells if name.strip()}


def test_summary_shows_a_question_mark_for_a_custom_layer_without_an_output_shape_rule():
    # Keras 3.15.1 asks the layer's own `compute_output_shape` for the shape it was built
    # with; its base one raises, so a custom block with `build` only shows "?"
    model = _Net()
    model(np.ones((2, 4), "float32"))
    shapes = _summary_shapes(model)
    assert shapes == {"first": "?", "second": "(2, 3)", "head": "(2, 2)"}


# -- patch_convnet: a subclassed model whose get_config extends its base's ---------------

class _Classifier(keras.Model):
    def __init__(self, units=2, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.head = layers.Dense(units)

    def call(self, x):
        return self.head(x)

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units})
        return config


def test_a_subclassed_model_config_carries_its_dtype_as_a_layer_config_does():
    # Keras 3.15.1's models take `Layer.get_config`: name, trainable and dtype
    model = _Classifier(units=3, name="classifier")
    config = model.get_config()
    assert config == {"name": "classifier", "trainable": True, "units": 3, "dtype": {
        "module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
        "registered_name": None}}
    assert _Classifier.from_config(config).units == 3
    rebuilt = _Classifier.from_config(_Classifier(dtype="float64").get_config())
    assert (rebuilt.compute_dtype, rebuilt.variable_dtype) == ("float64", "float64")


def test_an_uncompiled_model_has_an_empty_compile_config_as_in_keras():
    model = _Classifier()
    model(np.ones((1, 4), "float32"))
    assert model.get_compile_config() == {}
    assert keras.saving.serialize_keras_object(model)["compile_config"] == {}
    model.compile(optimizer="sgd", loss="mse")
    assert model.get_compile_config()["loss"] == "mse"


# -- vit_small_ds: locality self-attention overrides `_compute_attention` ---------------

class _LocalitySelfAttention(layers.MultiHeadAttention):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.tau = keras.Variable(math.sqrt(float(self._key_dim)), trainable=True)

    def _compute_attention(self, query, key, value, attention_mask=None, training=None,
                           return_attention_scores=False):
        query = ops.multiply(query, 1.0 / self.tau)
        scores = ops.einsum(self._dot_product_equation, key, query)
        scores = self._masked_softmax(scores, attention_mask)
        dropped = self._dropout_layer(scores, training=training)
        return ops.einsum(self._combine_equation, dropped, value), scores


def test_a_subclass_overriding_compute_attention_is_used_as_in_keras():
    layer = _LocalitySelfAttention(num_heads=2, key_dim=2, kernel_initializer=_constant(0.1),
                                   bias_initializer="zeros")
    x = np.arange(24, dtype="float32").reshape(2, 3, 4) / 10.0
    diagonal = ops.cast([1 - ops.eye(3)], "int8")
    output, scores = layer(x, x, attention_mask=diagonal, return_attention_scores=True)
    # Keras 3.15.1 (JAX backend) gives these values
    np.testing.assert_allclose(to_numpy(output)[:, :, 0], [[0.12021722, 0.09118331, 0.0573749],
                                                           [0.3139526, 0.29005316, 0.25110376]],
                               rtol=1e-6)
    np.testing.assert_allclose(to_numpy(scores)[0, 0], [[0.0, 0.49660593, 0.50339407],
                                                        [0.47513038, 0.0, 0.5248696],
                                                        [0.4785172, 0.5214828, 0.0]], rtol=1e-6)
    assert (layer._dot_product_equation, layer._combine_equation) == ("aecd,abcd->acbe",
                                                                      "acbe,aecd->abcd")
    layer.tau.assign(0.5)
    np.testing.assert_allclose(to_numpy(layer(x, x, attention_mask=diagonal))[1, :, 0],
                               [0.31747526, 0.30689624, 0.25659063], rtol=1e-6)
    with keras.GradientTape() as tape:
        loss = ops.sum(layer(x, x, attention_mask=diagonal) ** 2)
    assert float(ops.sum(ops.abs(tape.gradient(loss, layer.tau)))) > 0


def test_the_base_compute_attention_is_the_layer_s_own_step():
    class Doubled(layers.MultiHeadAttention):
        def _compute_attention(self, query, key, value, attention_mask=None, training=None,
                               return_attention_scores=False, use_causal_mask=False):
            output, scores = super()._compute_attention(query, key, value, attention_mask,
                                                        training, return_attention_scores)
            return output * 2.0, scores

    init = {"kernel_initializer": _constant(0.1), "bias_initializer": _constant(0.2)}
    plain, doubled = (cls(num_heads=2, key_dim=3, **init)
                      for cls in (layers.MultiHeadAttention, Doubled))
    x = np.random.default_rng(0).random((2, 3, 4)).astype("float32")
    _, want = plain(x, x, use_causal_mask=True, return_attention_scores=True)
    _, got = doubled(x, x, use_causal_mask=True, return_attention_scores=True)
    np.testing.assert_allclose(to_numpy(got), to_numpy(want), rtol=1e-6)
    # the output projection of twice the heads: twice the plain output, less one bias
    np.testing.assert_allclose(to_numpy(doubled(x, x)),
                               2 * to_numpy(plain(x, x)) - 0.2, rtol=1e-5, atol=1e-6)
