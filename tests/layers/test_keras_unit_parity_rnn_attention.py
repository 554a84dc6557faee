"""Recurrent and attention layers against the cases of Keras 3.15.1's own unit tests
(keras/src/layers/rnn and keras/src/layers/attention): state structures, mask checks,
shape checks and the errors Keras raises."""

import numpy as np
import pytest

import kerasx
from kerasx import layers, ops
from kerasx.backends import current


def to_numpy(x):
    return current().to_numpy(getattr(x, "value", x))


def dev(x):
    return current().asarray(x)


def shapes_of(structure):
    return kerasx.tree.map_structure(lambda t: tuple(t.shape), structure)


# -- recurrent wrappers -----------------------------------------------------------------

@pytest.mark.parametrize("rnn_class", [layers.GRU, layers.LSTM])
@pytest.mark.parametrize("use_cudnn", [True, False, "auto"])
def test_bidirectional_keeps_use_cudnn_of_the_wrapped_layer(rnn_class, use_cudnn):
    bidi = layers.Bidirectional(rnn_class(1, use_cudnn=use_cudnn))
    assert bidi.forward_layer.use_cudnn == use_cudnn
    assert bidi.backward_layer.use_cudnn == use_cudnn


def test_bidirectional_of_a_simple_rnn_has_no_use_cudnn():
    bidi = layers.Bidirectional(layers.SimpleRNN(1))
    assert not hasattr(bidi.forward_layer, "use_cudnn")
    assert not hasattr(bidi.backward_layer, "use_cudnn")


@pytest.mark.parametrize("mask_shape", [(1, 5), (4, 6), (1, 6), (4, 6, 2)],
                         ids=["batch", "timesteps", "both", "3d"])
def test_time_distributed_rejects_a_mask_of_another_batch_or_length(mask_shape):
    # The wrapped Dense takes no mask, and Keras checks the mask all the same.
    td = layers.TimeDistributed(layers.Dense(5, activation="softmax"))
    inputs = dev(np.zeros((4, 5, 3), np.float32))
    with pytest.raises(ValueError, match=r"The `mask` passed to the `TimeDistributed` layer "
                                         r"has a shape.*\(4, 5\)"):
        td(inputs, mask=dev(np.ones(mask_shape, bool)))


def test_time_distributed_accepts_a_mask_with_extra_axes():
    td = layers.TimeDistributed(layers.Dense(5))
    out = td(dev(np.zeros((4, 5, 3), np.float32)), mask=dev(np.ones((4, 5, 2), bool)))
    assert tuple(out.shape) == (4, 5, 5)
    with pytest.raises(ValueError, match=r"must be at least 2D"):
        td(dev(np.zeros((4, 5, 3), np.float32)), mask=dev(np.ones((4,), bool)))


def test_stacked_cells_return_one_list_of_states_per_cell():
    # Keras 3.15.1 returns (output, [h, c], [h]) and gives
    # ((2, 3), [(2, 4), (2, 4)], (2, 3)) as the output shape.
    rnn = layers.RNN([layers.LSTMCell(4), layers.GRUCell(3)], return_state=True)
    x = dev(np.random.default_rng(0).standard_normal((2, 3, 5)).astype(np.float32))
    out = rnn(x)
    assert shapes_of(out) == [(2, 3), [(2, 4), (2, 4)], [(2, 3)]]
    assert rnn.compute_output_shape((2, 3, 5)) == [(2, 3), [(2, 4), (2, 4)], (2, 3)]
    np.testing.assert_array_equal(to_numpy(out[0]), to_numpy(out[2][0]))  # GRU output is h
    # the states come back in the structure initial_state takes
    again = rnn(x, initial_state=out[1:])
    assert shapes_of(again) == shapes_of(out)
    two_lstms = layers.RNN([layers.LSTMCell(10), layers.LSTMCell(10)], return_state=True)
    out = two_lstms(dev(np.zeros((2, 3, 5), np.float32)))
    assert shapes_of(out) == [(2, 10), [(2, 10), (2, 10)], [(2, 10), (2, 10)]]


def test_stacked_cells_two_state_values_as_keras():
    """Keras's `stacked_rnn_cells_test` with its `TwoStatesRNNCell` (states
    `x @ kernel + h1 @ recurrent_kernel_i`, output their sum)."""

    class TwoStates(layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = [units, units]
            self.output_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                          initializer="ones", name="kernel")
            self.recurrent_kernel_1 = self.add_weight(
                shape=(self.units, self.units), initializer="ones", name="recurrent_kernel_1")
            self.recurrent_kernel_2 = self.add_weight(
                shape=(self.units, self.units), initializer="ones", name="recurrent_kernel_2")

        def call(self, inputs, states):
            h = ops.matmul(inputs, self.kernel)
            output_1 = h + ops.matmul(states[0], self.recurrent_kernel_1)
            output_2 = h + ops.matmul(states[0], self.recurrent_kernel_2)
            return output_1 + output_2, [output_1, output_2]

    sequence = dev(np.arange(24).reshape((2, 3, 4)).astype(np.float32))
    output, state_1, state_2 = layers.RNN([TwoStates(3), TwoStates(2)],
                                          return_state=True)(sequence)
    # Keras 3.15.1 gives these values (its test's expected numbers)
    np.testing.assert_allclose(to_numpy(output), [[3144.0, 3144.0], [17544.0, 17544.0]])
    for state in state_1:
        np.testing.assert_allclose(to_numpy(state), [[158.0] * 3, [782.0] * 3])
    for state in state_2:
        np.testing.assert_allclose(to_numpy(state), [[1572.0] * 2, [8772.0] * 2])


def test_stacked_single_state_cells_return_their_state_bare():
    """Keras's `test_correctness_single_state_stack`: a cell with one state and no
    `get_initial_state` of its own gets its state back as a tensor, not a list."""

    class OneState(layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                          initializer="ones", name="kernel")
            self.recurrent_kernel = self.add_weight(shape=(self.units, self.units),
                                                    initializer="ones", name="recurrent_kernel")

        def call(self, inputs, states):
            output = ops.matmul(inputs, self.kernel) + ops.matmul(states[0],
                                                                  self.recurrent_kernel)
            return output, [output]

    sequence = dev(np.arange(24).reshape((2, 3, 4)).astype(np.float32))
    output, state_1, state_2 = layers.RNN([OneState(3), OneState(2)],
                                          return_state=True)(sequence)
    # Keras 3.15.1 gives these values (its test's expected numbers)
    np.testing.assert_allclose(to_numpy(output), [[786.0, 786.0], [4386.0, 4386.0]])
    np.testing.assert_allclose(to_numpy(state_1), [[158.0] * 3, [782.0] * 3])
    np.testing.assert_allclose(to_numpy(state_2), [[786.0] * 2, [4386.0] * 2])


@pytest.mark.parametrize("layer_class, strides, dilation_rate", [
    (layers.ConvLSTM1D, 2, 3), (layers.ConvLSTM2D, (2, 2), (3, 3)),
    (layers.ConvLSTM3D, (2, 2, 2), (1, 2, 2))], ids=["1d", "2d", "3d"])
def test_conv_lstm_strides_with_dilation_error(layer_class, strides, dilation_rate):
    with pytest.raises(ValueError, match="Specifying `strides > 1` is not compatible with "
                                         "`dilation_rate > 1`"):
        layer_class(filters=5, kernel_size=3, strides=strides, dilation_rate=dilation_rate)


# -- attention ---------------------------------------------------------------------------

@pytest.mark.parametrize("query_shape, value_shape, key_shape", [
    ((2, 4, 8), (2, 2, 7), (2,)),
    ((2, 4, 8), (2, 2, 8), (2, 1, 7)),
    ((2, 4, 2, 3, 8), (2, 1, 1, 5, 8), (2, 1, 15, 5, 2)),
], ids=["query_value", "key_value", "key_value_high_dim"])
def test_multi_head_attention_output_shape_checks_value_and_key(query_shape, value_shape,
                                                                key_shape):
    layer = layers.MultiHeadAttention(num_heads=4, key_dim=2, value_dim=2)
    with pytest.raises(ValueError, match=r"must be equal"):
        layer.compute_output_shape(query_shape, value_shape, key_shape)


def test_group_query_attention_output_shape_checks_its_inputs():
    layer = layers.GroupQueryAttention(head_dim=2, num_query_heads=4, num_key_value_heads=4)
    with pytest.raises(ValueError, match=r"last dimension of `query_shape` and `value_shape` "
                                         r"must be equal"):
        layer.compute_output_shape((2, 4, 8), (2, 2, 7), (2, 2, 7))
    with pytest.raises(ValueError, match=r"`value` and `key`, except the last one, must be "
                                         r"equal"):
        layer.compute_output_shape((2, 4, 8), (2, 2, 8), (2, 1, 7))
    assert layer.compute_output_shape((2, 4, 8), (2, 2, 8)) == (2, 4, 8)


def test_multi_head_attention_takes_a_mask_per_head():
    rng = np.random.default_rng(1)
    x = dev(rng.uniform(size=(2, 5, 8)).astype(np.float32))
    causal = np.tril(np.ones((5, 5), np.float32))
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=4)
    shared = layer(query=x, value=x, attention_mask=dev(causal))
    per_batch = layer(query=x, value=x, attention_mask=dev(np.tile(causal, (2, 1, 1))))
    per_head = layer(query=x, value=x, attention_mask=dev(np.tile(causal, (2, 2, 1, 1))))
    np.testing.assert_allclose(to_numpy(shared), to_numpy(per_batch), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(to_numpy(shared), to_numpy(per_head), rtol=1e-6, atol=1e-6)
    # and the heads really are masked apart: head 0 causal, head 1 sees everything
    mixed = np.stack([causal, np.ones((5, 5), np.float32)])[None].repeat(2, axis=0)
    _, scores = layer(query=x, value=x, attention_mask=dev(mixed), return_attention_scores=True)
    _, free = layer(query=x, value=x, return_attention_scores=True)
    _, causal_scores = layer(query=x, value=x, use_causal_mask=True,
                             return_attention_scores=True)
    np.testing.assert_allclose(to_numpy(scores)[:, 0], to_numpy(causal_scores)[:, 0], atol=1e-6)
    np.testing.assert_allclose(to_numpy(scores)[:, 1], to_numpy(free)[:, 1], atol=1e-6)


def test_multi_head_attention_causal_mask_on_higher_rank_inputs():
    """Attention over axis 1 of `(batch, T, other, features)`: each slice along the other
    axis is causal attention over T with the same weights."""
    x = np.random.RandomState(0).randn(1, 5, 3, 8).astype(np.float32)
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=4, attention_axes=1)
    out, scores = layer(dev(x), dev(x), use_causal_mask=True, return_attention_scores=True)
    scores = to_numpy(scores)
    assert scores.shape == (1, 3, 2, 5, 5)
    assert scores[..., np.triu(np.ones((5, 5), bool), k=1)].sum() < 1e-6
    # as in Keras, a layer built for rank-4 inputs refuses rank-3 ones: the same weights
    # in a layer built for the slices
    sliced = layers.MultiHeadAttention(num_heads=2, key_dim=4)
    sliced.build((1, 5, 8), (1, 5, 8))
    sliced.set_weights(layer.get_weights())
    for j in range(3):
        xj = dev(np.ascontiguousarray(x[:, :, j]))
        out_j, scores_j = sliced(xj, xj, use_causal_mask=True, return_attention_scores=True)
        np.testing.assert_allclose(scores[:, j], to_numpy(scores_j), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(to_numpy(out)[:, :, j], to_numpy(out_j), rtol=1e-5,
                                   atol=1e-6)


_CAUSAL_LAYERS = {
    # layer, projected (heads, size) of the query / key / value, feature size
    "mha": (lambda: layers.MultiHeadAttention(num_heads=2, key_dim=4), (2, 4), 8),
    "gqa": (lambda: layers.GroupQueryAttention(head_dim=4, num_query_heads=4,
                                               num_key_value_heads=2), (4, 4), 16),
}


@pytest.mark.parametrize("kind", sorted(_CAUSAL_LAYERS))
@pytest.mark.parametrize("return_attention_scores", [False, True])
def test_compute_attention_honours_use_causal_mask(kind, return_attention_scores):
    t = 5
    make, heads, features = _CAUSAL_LAYERS[kind]
    layer = make()
    layer.build(query_shape=(1, t, features), value_shape=(1, t, features))
    rng = np.random.RandomState(0)
    query, key, value = (dev(rng.randn(1, t, *heads).astype(np.float32)) for _ in range(3))
    extra = np.ones((1, t, t), bool)
    extra[:, 3, 1] = False
    merged = extra & np.tril(np.ones((t, t), bool))[None]
    both, _ = layer._compute_attention(query, key, value, attention_mask=dev(extra),
                                       use_causal_mask=True,
                                       return_attention_scores=return_attention_scores)
    folded, _ = layer._compute_attention(query, key, value, attention_mask=dev(merged),
                                         return_attention_scores=return_attention_scores)
    np.testing.assert_allclose(to_numpy(both), to_numpy(folded), atol=1e-6)


def test_multi_head_attention_keeps_keras_sublayer_names():
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=2, use_gate=True,
                                      kernel_constraint="non_neg", sliding_window=3)
    layer.build((2, 4, 8), (2, 4, 8))
    assert layer._query_dense is layer.query_dense
    assert layer._key_dense is layer.key_dense
    assert layer._value_dense is layer.value_dense
    assert layer._output_dense is layer.output_dense
    assert layer._sliding_window == 3
    for sub in (layer._query_dense, layer._key_dense, layer._value_dense, layer._gate_dense):
        assert isinstance(sub.kernel.constraint, kerasx.constraints.NonNeg)


def test_keras_error_messages():
    """The phrases Keras's tests look for in these errors."""
    tensor = dev(np.ones((1, 2, 2), np.float32))
    for layer in (layers.Attention(), layers.AdditiveAttention()):
        with pytest.raises(ValueError, match="must be called on a list"):
            layer(tensor)
        with pytest.raises(ValueError, match="length 2 or 3"):
            layer([tensor, tensor, tensor, tensor])
        with pytest.raises(ValueError, match="layer mask must be a list"):
            layer([tensor, tensor], mask=tensor)
        with pytest.raises(ValueError, match="length 2 or 3"):
            layer([tensor, tensor], mask=[tensor])
    with pytest.raises(ValueError, match=r"Invalid value for argument score_mode. Expected "
                                         r"one of \{'dot', 'concat'\}"):
        layers.Attention(score_mode="invalid_mode")
    for bad in (0, -2, 1.5):
        with pytest.raises(ValueError, match="argument `num_heads`"):
            layers.MultiHeadAttention(num_heads=bad, key_dim=4)
        with pytest.raises(ValueError, match="argument `key_dim`"):
            layers.MultiHeadAttention(num_heads=4, key_dim=bad)
        with pytest.raises(ValueError, match="argument `value_dim`"):
            layers.MultiHeadAttention(num_heads=4, key_dim=4, value_dim=bad)
    with pytest.raises(ValueError, match="Invalid `output_shape`"):
        layers.MultiHeadAttention(num_heads=2, key_dim=2, output_shape=8.0)


def test_attention_score_hooks_under_keras_names():
    rng = np.random.default_rng(2)
    query = rng.random((2, 3, 4)).astype(np.float32)
    key = rng.random((2, 4, 4)).astype(np.float32)
    layer = layers.Attention(use_scale=True)
    layer.build([(2, 3, 4), (2, 4, 4)])
    expected = np.matmul(query, key.transpose(0, 2, 1)) * to_numpy(layer.scale)
    np.testing.assert_allclose(to_numpy(layer._calculate_scores(dev(query), dev(key))),
                               expected, rtol=1e-6)
    scores = dev(rng.random((2, 3, 4)).astype(np.float32))
    assert layer._calculate_score_mask(scores, v_mask=None, use_causal_mask=False) is None
    causal = np.tril(np.ones((1, 3, 4), bool))
    np.testing.assert_array_equal(
        to_numpy(layer._calculate_score_mask(scores, v_mask=None, use_causal_mask=True)), causal)
    v_mask = np.array([[True, False, True, False]])
    np.testing.assert_array_equal(
        to_numpy(layer._calculate_score_mask(scores, v_mask=dev(v_mask), use_causal_mask=True)),
        causal & v_mask[:, None, :])


def test_attention_subclass_scores_are_used_by_call():
    class NegatedScores(layers.Attention):
        def _calculate_scores(self, query, key):
            return ops.negative(super()._calculate_scores(query, key))

    rng = np.random.default_rng(3)
    query = rng.random((2, 3, 4)).astype(np.float32)
    value = rng.random((2, 5, 4)).astype(np.float32)
    _, weights = NegatedScores()([dev(query), dev(value)], return_attention_scores=True)
    logits = -np.matmul(query, value.transpose(0, 2, 1))
    expected = np.exp(logits - logits.max(-1, keepdims=True))
    expected /= expected.sum(-1, keepdims=True)
    np.testing.assert_allclose(to_numpy(weights), expected, rtol=1e-5, atol=1e-6)


def test_group_query_attention_subclass_compute_attention_is_called():
    seen = {}

    class Sub(layers.GroupQueryAttention):
        def _compute_attention(self, query, key, value, attention_mask=None, training=None):
            seen["shapes"] = [tuple(t.shape) for t in (query, key, value)]
            seen["mask_is_none"] = attention_mask is None
            return super()._compute_attention(query, key, value, attention_mask, training)

    x = dev(np.random.RandomState(0).randn(2, 5, 16).astype(np.float32))
    sub = Sub(head_dim=4, num_query_heads=4, num_key_value_heads=2)
    plain = layers.GroupQueryAttention(head_dim=4, num_query_heads=4, num_key_value_heads=2)
    out = sub(x, x, use_causal_mask=True)
    plain(x, x)
    plain.set_weights(sub.get_weights())
    assert seen == {"shapes": [(2, 5, 4, 4)] * 3, "mask_is_none": False}
    np.testing.assert_allclose(to_numpy(out), to_numpy(plain(x, x, use_causal_mask=True)),
                               rtol=1e-5, atol=1e-6)


