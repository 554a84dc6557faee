"""Random sequence models against Keras 3.15.1 (golden family `fuzz_sequence`).

Each case is a functional model Keras built from a seeded grammar (embeddings and
masking, recurrent layers and wrappers, attention, convolutions, pooling): kerasx
loads Keras's JSON config, takes Keras's weights and must give Keras's symbolic
shapes, parameter count, outputs, output masks, and losses and weights after two
SGD and two Adam steps; its own config must rebuild the same model.
"""

import numpy as np
import pytest

import kerasx
from kerasx import ops
from tests.golden.loader import case_ids, load_cases

CASES = load_cases("fuzz_sequence")
TOLERANCE = dict(rtol=2e-5, atol=2e-5)
TRAINED_TOLERANCE = dict(rtol=1e-4, atol=1e-4)


def _list(values):
    return list(values) if isinstance(values, (list, tuple)) else [values]


def _arrays(case, prefix, count):
    return [case["arrays"][f"{prefix}{i}"] for i in range(count)]


def _model(case):
    model = kerasx.models.model_from_json(case["model_json"])
    model.set_weights(_arrays(case, "w", case["n_weights"]))
    return model


def forward_differences(case, model):
    """What differs between kerasx's outputs and masks and Keras's for the stored inputs."""
    problems = []
    outputs = _list(model(_arrays(case, "x", case["n_inputs"])))
    for i, output in enumerate(outputs):
        try:
            np.testing.assert_allclose(ops.convert_to_numpy(output), case["arrays"][f"y{i}"],
                                       **TOLERANCE)
        except AssertionError as error:
            problems.append(f"output {i}: {error}")
        mask = getattr(output, "_keras_mask", None)
        if (mask is not None) != case["has_mask"][i]:
            problems.append(f"output {i}: mask {mask is not None}, Keras {case['has_mask'][i]}")
        elif mask is not None and not np.array_equal(ops.convert_to_numpy(mask),
                                                     case["arrays"][f"mask{i}"]):
            problems.append(f"output {i}: mask {ops.convert_to_numpy(mask)}, "
                            f"Keras {case['arrays'][f'mask{i}']}")
    return problems


def symbolic_differences(case, model):
    problems = []
    shapes = [list(o.shape) for o in _list(model.outputs)]
    if shapes != case["output_shapes"]:
        problems.append(f"output shapes {shapes}, Keras {case['output_shapes']}")
    dtypes = [str(o.dtype) for o in _list(model.outputs)]
    if dtypes != case["output_dtypes"]:
        problems.append(f"output dtypes {dtypes}, Keras {case['output_dtypes']}")
    if model.count_params() != case["count_params"]:
        problems.append(f"count_params {model.count_params()}, Keras {case['count_params']}")
    return problems


def training_differences(case, name, optimizer):
    model = _model(case)
    xs, ys = _arrays(case, "x", case["n_inputs"]), _arrays(case, "t", case["n_outputs"])
    model.compile(optimizer=optimizer, loss="mse", metrics=["mae"] * len(ys))
    sample_weight = case["arrays"].get("sample_weight")
    losses = [np.asarray(model.train_on_batch(xs, ys, sample_weight=sample_weight),
                         dtype=np.float32).reshape(-1) for _ in range(2)]
    problems = []
    expected = case["arrays"][f"{name}_losses"]
    if expected.ndim == 1:  # the loss alone
        losses = [values[0] for values in losses]
    elif any(case["has_mask"]):
        # Keras 3.15.1 on JAX drops output masks from the metrics of train_on_batch
        # (the loss and `evaluate`'s metrics use them): compare the loss only.
        losses, expected = [values[0] for values in losses], expected[:, 0]
    if np.isnan(expected).all():
        # A fully masked row averaged over its steps is 0 / 0 in both: only the NaN counts.
        return [] if np.isnan(losses).all() else [f"{name} losses {losses}, Keras NaN"]
    try:
        np.testing.assert_allclose(losses, expected, **TRAINED_TOLERANCE)
    except AssertionError as error:
        problems.append(f"{name} losses: {error}")
    for i, (got, want) in enumerate(zip(model.get_weights(),
                                        _arrays(case, f"{name}_w", case["n_weights"]))):
        try:
            np.testing.assert_allclose(got, want, **TRAINED_TOLERANCE)
        except AssertionError as error:
            problems.append(f"{name} weight {i} ({model.weights[i].path}): {error}")
    return problems


def round_trip_differences(case, model):
    rebuilt = kerasx.Model.from_config(model.get_config())
    rebuilt.set_weights(model.get_weights())
    return [f"kerasx config round trip: {p}" for p in forward_differences(case, rebuilt)]


def case_differences(case):
    """Every difference of one case, as readable lines (empty when kerasx matches Keras)."""
    model = _model(case)
    problems = symbolic_differences(case, model) + forward_differences(case, model)
    problems += round_trip_differences(case, model)
    optimizers = {"sgd": lambda: kerasx.optimizers.SGD(0.1),
                  "adam": lambda: kerasx.optimizers.Adam(0.01)}
    for name in case["optimizers"]:
        problems += training_differences(case, name, optimizers[name]())
    return problems


# Cases where Keras 3.15.1 (JAX) departs from its own documented behaviour; kerasx keeps
# the documented one, so these must keep differing.
KERAS_DEPARTURES = {
    name: ("Keras's unrolled JAX loop ignores zero_output_for_mask (set by Bidirectional "
           "with return_sequences): masked steps keep the previous output instead of zeros")
    for name in ("case_009", "case_017")
}


def _with_departures(cases):
    return [pytest.param(case, marks=pytest.mark.xfail(
        reason=KERAS_DEPARTURES[case["name"]], strict=True))
        if case["name"] in KERAS_DEPARTURES else case for case in cases]


@pytest.mark.parametrize("case", _with_departures(CASES), ids=case_ids(CASES))
def test_random_sequence_model_matches_keras(case):
    problems = case_differences(case)
    assert not problems, "\n".join(case["recipe"] + problems)


def _shapes(values):
    if isinstance(values, (list, tuple)):
        return [_shapes(v) for v in values]
    return tuple(values.shape)


def test_stacked_cells_states_in_functional_models_have_keras_structure():
    # Keras 3.15.1's functional API gives a one-state cell's final state of a stack as the
    # tensor itself (its state_size is an int), an LSTM cell's as [h, c].
    inputs = kerasx.Input((4, 3))
    layer = kerasx.layers.RNN([kerasx.layers.SimpleRNNCell(2), kerasx.layers.GRUCell(3),
                               kerasx.layers.LSTMCell(1)], return_state=True)
    assert _shapes(layer(inputs)) == [(None, 1), (None, 2), (None, 3), [(None, 1), (None, 1)]]
    both = kerasx.layers.Bidirectional(kerasx.layers.RNN(
        [kerasx.layers.SimpleRNNCell(2), kerasx.layers.GRUCell(3)], return_state=True))
    assert _shapes(both(inputs)) == [(None, 6), (None, 2), (None, 3), (None, 2), (None, 3)]


def test_a_stacked_cells_state_feeds_a_dense_layer():
    inputs = kerasx.Input((4, 3))
    stack = kerasx.layers.RNN([kerasx.layers.SimpleRNNCell(2), kerasx.layers.GRUCell(3)],
                              return_state=True)
    output, first, second = stack(inputs)
    model = kerasx.Model(inputs, kerasx.layers.Concatenate()(
        [output, kerasx.layers.Dense(2)(first), second]))
    x = np.random.default_rng(0).normal(size=(2, 4, 3)).astype("float32")
    _, eager_first, eager_second = stack(x)
    dense = next(la for la in model.layers if isinstance(la, kerasx.layers.Dense))
    expected = np.concatenate([ops.convert_to_numpy(eager_second[0]),
                               ops.convert_to_numpy(dense(eager_first[0])),
                               ops.convert_to_numpy(eager_second[0])], axis=-1)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kind", ["SimpleRNN", "LSTM", "GRU"])
def test_unrolled_bidirectional_zeroes_masked_steps_as_the_loop_does(kind):
    # Keras documents zero outputs at masked steps for a Bidirectional with
    # return_sequences (zero_output_for_mask); its scan loop does so, its unrolled JAX
    # loop does not (case_009 / case_017 above). kerasx gives the scan loop's values.
    x = np.random.default_rng(1).normal(size=(2, 4, 3)).astype("float32")
    mask = np.array([[True, True, False, True], [True, True, True, False]])
    results = []
    for unroll in (False, True):
        layer = kerasx.layers.Bidirectional(getattr(kerasx.layers, kind)(
            2, return_sequences=True, unroll=unroll))
        layer.build(x.shape)
        layer.set_weights([np.full(w.shape, 0.3, "float32") for w in layer.get_weights()])
        results.append(ops.convert_to_numpy(layer(x, mask=mask)))
    np.testing.assert_allclose(results[1], results[0], rtol=1e-6, atol=1e-6)
    assert not results[1][~mask].any()


def test_up_sampling_by_one_drops_the_mask_as_keras():
    # UpSampling1D does not support masking: Keras 3.15.1 averages every step after it,
    # masked or not (size 1 returned its input, mask included).
    x = np.random.default_rng(2).normal(size=(2, 4, 3)).astype("float32")
    x[0, 1] = 0.0
    inputs = kerasx.Input((4, 3))
    pooled = kerasx.layers.GlobalAveragePooling1D()(
        kerasx.layers.UpSampling1D(1)(kerasx.layers.Masking(0.0)(inputs)))
    model = kerasx.Model(inputs, pooled)
    np.testing.assert_allclose(model.predict(x, verbose=0), x.mean(axis=1), rtol=1e-6, atol=1e-6)
    assert getattr(model(x), "_keras_mask", None) is None
