"""`model(x, mask=...)`: masks given to a model call reach the layers that read its inputs."""

import numpy as np
import pytest

import kerasx
from kerasx import layers, ops
from tests.conftest import to_numpy

SEQ = np.random.default_rng(0).normal(size=(2, 3, 2)).astype(np.float32)
MASK = np.array([[True, True, False], [True, False, False]])


def _lstm_model(return_sequences=True):
    inp = kerasx.Input((3, 2), name="seq")
    out = layers.LSTM(4, return_sequences=return_sequences, name="lstm")(inp)
    return kerasx.Model(inp, out)


def _masking_reference(model):
    """The same LSTM behind a Masking layer: the mask a Keras model would produce itself."""
    inp = kerasx.Input((3, 2))
    lstm = layers.LSTM(4, return_sequences=model.layers[-1].return_sequences)
    ref = kerasx.Model(inp, lstm(layers.Masking(0.0)(inp)))
    lstm.set_weights(model.layers[-1].get_weights())
    zeroed = np.where(MASK[..., None], SEQ, 0.0).astype(np.float32)
    return to_numpy(ref(zeroed))


def test_mask_reaches_the_rnn_like_a_masking_layer():
    model = _lstm_model()
    masked = to_numpy(model(SEQ, mask=MASK))
    np.testing.assert_allclose(masked, _masking_reference(model), rtol=1e-5, atol=1e-6)
    # A masked step repeats the previous output; unmasked, the last step differs.
    np.testing.assert_allclose(masked[0, 2], masked[0, 1], rtol=1e-6)
    assert not np.allclose(masked[0, 2], to_numpy(model(SEQ))[0, 2])


def test_mask_as_list_tensor_and_float_array():
    model = _lstm_model()
    expected = to_numpy(model(SEQ, mask=MASK))
    mask_tensor = ops.convert_to_tensor(MASK)
    np.testing.assert_allclose(to_numpy(model(SEQ, mask=[mask_tensor])), expected, rtol=1e-6)
    np.testing.assert_allclose(to_numpy(model(SEQ, mask=MASK.tolist())), expected, rtol=1e-6)
    np.testing.assert_allclose(to_numpy(model(SEQ, mask=MASK.astype(np.float32))), expected,
                               rtol=1e-6)


def test_mask_does_not_stay_on_the_callers_tensor():
    model = _lstm_model()
    x = ops.convert_to_tensor(SEQ)
    model(x, mask=MASK)
    assert x._keras_mask is None
    np.testing.assert_allclose(to_numpy(model(x)), to_numpy(model(SEQ)), rtol=1e-6)


def test_identity_model_returns_the_mask_on_its_output():
    inp = kerasx.Input((3, 2))
    model = kerasx.Model(inp, inp)
    out = model(ops.convert_to_tensor(SEQ), mask=MASK)
    np.testing.assert_array_equal(to_numpy(out._keras_mask), MASK)


def test_masked_steps_get_no_gradient():
    model = _lstm_model(return_sequences=False)
    x = ops.convert_to_tensor(SEQ)
    with kerasx.GradientTape() as tape:
        tape.watch(x)
        loss = ops.sum(model(x, mask=MASK))
    grad = to_numpy(tape.gradient(loss, x))
    np.testing.assert_array_equal(grad[~MASK], 0.0)
    assert np.all(np.abs(grad[MASK]).sum(axis=-1) > 0)


def test_softmax_ignores_masked_entries():
    inp = kerasx.Input((4,))
    model = kerasx.Model(inp, layers.Softmax()(inp))
    x = np.array([[1.0, 2.0, 3.0, 0.5]], np.float32)
    out = to_numpy(model(x, mask=np.array([[True, True, False, True]])))
    kept = np.exp(x[0, [0, 1, 3]]) / np.exp(x[0, [0, 1, 3]]).sum()
    np.testing.assert_allclose(out[0, [0, 1, 3]], kept, rtol=1e-5)
    assert out[0, 2] < 1e-6


def _two_input_model():
    a, b = kerasx.Input((3, 2), name="a"), kerasx.Input((3, 2), name="b")
    la, lb = layers.LSTM(4, name="la"), layers.LSTM(4, name="lb")
    return kerasx.Model([a, b], layers.Concatenate()([la(a), lb(b)])), la, lb


def test_list_and_dict_masks_for_several_inputs():
    model, la, lb = _two_input_model()
    other = SEQ[::-1].copy()
    ia, ib = kerasx.Input((3, 2)), kerasx.Input((3, 2))
    only_a = kerasx.Model(ia, la(ia))
    only_b = kerasx.Model(ib, lb(ib))
    expected = np.concatenate([to_numpy(only_a(SEQ, mask=MASK)), to_numpy(only_b(other))], -1)
    by_list = to_numpy(model([SEQ, other], mask=[MASK, None]))
    by_dict = to_numpy(model({"a": SEQ, "b": other}, mask={"a": MASK}))
    np.testing.assert_allclose(by_list, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(by_dict, expected, rtol=1e-5, atol=1e-6)
    unmasked = to_numpy(model([SEQ, other]))
    assert not np.allclose(unmasked[:, :4], by_list[:, :4])


def test_nested_model_receives_the_mask_of_its_input():
    inner = _lstm_model()
    outer_in = kerasx.Input((3, 2))
    outer = kerasx.Model(outer_in, inner(layers.Masking(0.0)(outer_in)))
    zeroed = np.where(MASK[..., None], SEQ, 0.0).astype(np.float32)
    np.testing.assert_allclose(to_numpy(outer(zeroed)), to_numpy(inner(zeroed, mask=MASK)),
                               rtol=1e-5, atol=1e-6)
    # The mask given to the outer model flows into the nested one as well.
    wrapper_in = kerasx.Input((3, 2))
    wrapper = kerasx.Model(wrapper_in, inner(wrapper_in))
    np.testing.assert_allclose(to_numpy(wrapper(SEQ, mask=MASK)),
                               to_numpy(inner(SEQ, mask=MASK)), rtol=1e-6)


def test_nested_model_with_several_masked_inputs():
    inner, la, lb = _two_input_model()
    a, b = kerasx.Input((3, 2)), kerasx.Input((3, 2))
    outer = kerasx.Model([a, b], inner([layers.Masking(0.0)(a), layers.Masking(0.0)(b)]))
    zeroed = np.where(MASK[..., None], SEQ, 0.0).astype(np.float32)
    np.testing.assert_allclose(to_numpy(outer([zeroed, SEQ])),
                               to_numpy(inner([zeroed, SEQ], mask=[MASK, None])),
                               rtol=1e-5, atol=1e-6)


def test_mask_from_a_symbolic_input():
    inner = _lstm_model()
    x, m = kerasx.Input((3, 2)), kerasx.Input((3,), dtype="bool")
    outer = kerasx.Model([x, m], inner(x, mask=m))
    np.testing.assert_allclose(to_numpy(outer([SEQ, MASK])), to_numpy(inner(SEQ, mask=MASK)),
                               rtol=1e-6)


def test_sequential_call_with_mask():
    model = _lstm_model()
    seq = kerasx.Sequential([kerasx.Input((3, 2)), layers.LSTM(4, return_sequences=True)])
    seq.set_weights(model.get_weights())
    np.testing.assert_allclose(to_numpy(seq(SEQ, mask=MASK)), to_numpy(model(SEQ, mask=MASK)),
                               rtol=1e-6)
    assert not np.allclose(to_numpy(seq(SEQ, mask=MASK)), to_numpy(seq(SEQ)))


def test_too_many_masks():
    with pytest.raises(ValueError, match=r"has 1 input\(s\) \['seq'\] but received 2 mask"):
        _lstm_model()(SEQ, mask=[MASK, MASK])


def test_mask_shape_must_match_the_inputs_leading_dims():
    with pytest.raises(ValueError, match=r"mask for input 'seq' .* has shape \(2, 4\), which "
                                         r"does not match the input's shape \(2, 3, 2\)"):
        _lstm_model()(SEQ, mask=np.ones((2, 4), bool))
    with pytest.raises(ValueError, match=r"has shape \(3,\)"):
        _lstm_model()(SEQ, mask=np.ones((3,), bool))


def test_sequential_mask_shape_error():
    seq = kerasx.Sequential([kerasx.Input((3, 2)), layers.LSTM(4)])
    with pytest.raises(ValueError, match=r"has shape \(2, 2\), which does not match"):
        seq(SEQ, mask=np.ones((2, 2), bool))


def test_unknown_mask_key_and_bad_mask_type():
    model, _, _ = _two_input_model()
    with pytest.raises(ValueError, match=r"masks for \['c'\], which are not among its input "
                                         r"names \['a', 'b'\]"):
        model([SEQ, SEQ], mask={"c": MASK})
    with pytest.raises(TypeError, match=r"must be a boolean array, but received str"):
        _lstm_model()(SEQ, mask="all")


def test_mask_on_a_variable_input_keeps_its_gradient():
    model = _lstm_model(return_sequences=False)
    v = kerasx.Variable(SEQ)
    with kerasx.GradientTape() as tape:
        loss = ops.sum(model(v, mask=MASK))
    grad = to_numpy(tape.gradient(loss, v))
    np.testing.assert_allclose(to_numpy(model(v, mask=MASK)), to_numpy(model(SEQ, mask=MASK)),
                               rtol=1e-6)
    np.testing.assert_array_equal(grad[~MASK], 0.0)
    assert np.all(np.abs(grad[MASK]).sum(axis=-1) > 0)
