"""OptimizerMap lookups and MultiOptimizer: each sub-optimizer updates exactly what it
would update alone, the shared step count and loss scale, state in Keras's order through
set_weights and `.keras` files, fit (eager and replayed), and errors (the numerics
against Keras are in test_optimizers_more_golden.py)."""

import numpy as np
import pytest

import kerasx
from kerasx import optimizers
from kerasx.optimizers import MultiOptimizer, OptimizerMap


def test_optimizer_map_lookup_rules():
    adam, sgd, rmsprop = optimizers.Adam(), optimizers.SGD(), optimizers.RMSprop()
    opt_map = OptimizerMap(default_optimizer=rmsprop)
    opt_map["encoder/layer_0/dense"] = adam
    opt_map["encoder/.*"] = sgd
    opt_map["decoder"] = adam
    assert opt_map["decoder"] is adam
    assert opt_map["encoder/layer_0/dense"] is adam      # exact key first
    assert opt_map["encoder/layer_0/attention/query"] is sgd
    assert opt_map["decoder/layer_0/dense"] is rmsprop   # patterns match the whole path
    assert opt_map.default_optimizer is rmsprop and len(opt_map) == 3
    assert list(opt_map) == ["encoder/layer_0/dense", "encoder/.*", "decoder"]
    opt_map[".*/query"] = adam
    with pytest.raises(ValueError, match="Multiple optimizers"):
        opt_map["encoder/layer_0/attention/query"]
    del opt_map[".*/query"]
    assert opt_map["encoder/layer_0/attention/query"] is sgd


@pytest.mark.parametrize("action, error, message", [
    (lambda m: m.__setitem__("decoder", optimizers.SGD()), ValueError, "already exists"),
    (lambda m: m.__setitem__(3, optimizers.SGD()), ValueError, "must be a string"),
    (lambda m: m.__setitem__("x", "adam"), ValueError, "Optimizer instance"),
    (lambda m: m.__setitem__("x", MultiOptimizer(OptimizerMap(optimizers.SGD()))), ValueError,
     "MultiOptimizer cannot be used inside"),
    (lambda m: OptimizerMap("sgd"), TypeError, "default_optimizer"),
    (lambda m: OptimizerMap(optimizers.SGD(), [("a", optimizers.SGD())]), TypeError,
     "optimizer_map"),
    (lambda m: MultiOptimizer("adam"), TypeError, "OptimizerMap or a callable"),
])
def test_bad_maps(action, error, message):
    opt_map = OptimizerMap(optimizers.Adam(), {"decoder": optimizers.Adam()})
    with pytest.raises(error, match=message):
        action(opt_map)


def _variables():
    rng = np.random.default_rng(5)
    return [kerasx.Variable(rng.standard_normal(s).astype("float32"), name=n)
            for n, s in [("kernel", (3, 2)), ("bias", (2,)), ("scale", ())]]


def _grads(step):
    rng = np.random.default_rng(10 + step)
    return [rng.standard_normal(s).astype("float32") for s in [(3, 2), (2,), ()]]


def test_each_sub_optimizer_updates_its_variables_as_it_would_alone():
    multi_vars, alone_vars = _variables(), _variables()
    adam = optimizers.Adam(0.1, weight_decay=0.1)
    sgd = optimizers.SGD(0.1, momentum=0.9)
    multi = MultiOptimizer(lambda v: adam if v.path == "kernel" else sgd)
    adam_alone = optimizers.Adam(0.1, weight_decay=0.1)
    sgd_alone = optimizers.SGD(0.1, momentum=0.9)
    for step in range(3):
        g = _grads(step)
        multi.apply(g, multi_vars)
        adam_alone.apply([g[0]], [alone_vars[0]])
        sgd_alone.apply(g[1:], alone_vars[1:])
    for a, b in zip(multi_vars, alone_vars):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert multi.optimizers == [adam, sgd]  # a callable's optimizers in first-use order
    assert int(multi.iterations) == int(adam.iterations) == int(sgd.iterations) == 3
    names = [v.path for v in multi.variables]
    assert names[:2] == [f"{multi.name}/iteration", f"{multi.name}/learning_rate"]
    assert names[2:] == [v.path for v in adam.variables] + [v.path for v in sgd.variables]


def test_map_and_callable_agree_and_unused_optimizers_stay_unbuilt():
    a_vars, b_vars = _variables(), _variables()
    unused = optimizers.Lion()
    by_map = MultiOptimizer(OptimizerMap(optimizers.SGD(0.1), {
        "kernel": optimizers.Adam(0.1), "nothing/.*": unused}))
    adam, sgd = optimizers.Adam(0.1), optimizers.SGD(0.1)
    by_call = MultiOptimizer(lambda v: adam if v.path == "kernel" else sgd)
    for step in range(2):
        by_map.apply(_grads(step), a_vars)
        by_call.apply(_grads(step), b_vars)
    for a, b in zip(a_vars, b_vars):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert by_map.optimizers[1] is unused and not unused.built
    assert len(by_map.variables) == len(by_call.variables) + 2  # Lion's iteration and rate


def test_learning_rate_loss_scale_and_weight_decay_are_per_sub_optimizer():
    adam, sgd = optimizers.Adam(loss_scale_factor=8.0), optimizers.SGD()
    multi = MultiOptimizer(OptimizerMap(sgd, {"kernel": adam}), loss_scale_factor=4.0)
    assert adam.loss_scale_factor == sgd.loss_scale_factor == 4.0
    multi.loss_scale_factor = 2.0
    assert adam.loss_scale_factor == sgd.loss_scale_factor == 2.0
    assert float(multi.scale_loss(3.0)) == 6.0
    with pytest.raises(AttributeError, match="sub-optimizers"):
        multi.learning_rate
    with pytest.raises(AttributeError, match="sub-optimizers"):
        multi.learning_rate = 0.1
    with pytest.raises(NotImplementedError, match="sub-optimizers"):
        multi.exclude_from_weight_decay(var_names=["bias"])


def test_loss_scale_unscales_each_sub_optimizers_gradients():
    variables, plain = _variables(), _variables()
    multi = MultiOptimizer(OptimizerMap(optimizers.SGD(0.1), {"kernel": optimizers.SGD(0.2)}),
                           loss_scale_factor=4.0)
    multi.apply([4.0 * g for g in _grads(0)], variables)
    reference = MultiOptimizer(OptimizerMap(optimizers.SGD(0.1),
                                            {"kernel": optimizers.SGD(0.2)}))
    reference.apply(_grads(0), plain)
    for a, b in zip(variables, plain):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)


def test_bad_apply_calls():
    variables = _variables()
    multi = MultiOptimizer(OptimizerMap(optimizers.SGD()))
    with pytest.raises(ValueError, match="without `trainable_variables`"):
        multi.apply(_grads(0))
    multi.apply(_grads(0), variables)
    with pytest.raises(ValueError, match="one-to-one"):
        multi.apply(_grads(0)[:2], variables[:2])
    with pytest.raises(ValueError, match="Unknown variable"):
        multi.apply(_grads(0), _variables())
    bad = MultiOptimizer(lambda v: "sgd")
    with pytest.raises(ValueError, match="Optimizer instance"):
        bad.build(variables)


def test_state_round_trips_through_set_weights():
    variables = _variables()
    multi = MultiOptimizer(OptimizerMap(optimizers.SGD(0.1, momentum=0.5),
                                        {"kernel": optimizers.Adam(0.1)}))
    multi.apply(_grads(0), variables)
    state = multi.get_weights()
    assert len(state) == 2 + (2 + 2) + (2 + 2)
    other = MultiOptimizer(OptimizerMap(optimizers.SGD(0.1, momentum=0.5),
                                        {"kernel": optimizers.Adam(0.1)}))
    other.build(variables)
    other.set_weights(state)
    for a, b in zip(state, other.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="weights were given"):
        other.set_weights(state[:-1])


def _model():
    return kerasx.Sequential([kerasx.Input((4,)), kerasx.layers.Dense(6, name="hidden"),
                              kerasx.layers.Dense(1, name="head")], name="net")


def _multi():
    return MultiOptimizer(OptimizerMap(optimizers.SGD(0.05, momentum=0.9),
                                       {".*hidden/.*": optimizers.Muon(0.02)}))


def test_fit_saves_and_resumes(tmp_path):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((64, 4)).astype("float32")
    y = (x @ rng.standard_normal((4, 1))).astype("float32")
    model = _model()
    model.compile(optimizer=_multi(), loss="mse")
    history = model.fit(x, y, batch_size=16, epochs=6, shuffle=False, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert int(model.optimizer.iterations) == 24
    assert [int(o.iterations) for o in model.optimizer.optimizers] == [24, 24]
    path = str(tmp_path / "multi.keras")
    model.save(path)
    loaded = kerasx.models.load_model(path)
    assert isinstance(loaded.optimizer, MultiOptimizer)
    assert optimizers.serialize(loaded.optimizer) == optimizers.serialize(model.optimizer)
    saved, restored = model.optimizer.get_weights(), loaded.optimizer.get_weights()
    assert len(saved) == len(restored) == 2 + (2 + 3) + (2 + 2)
    for a, b in zip(saved, restored):
        np.testing.assert_array_equal(a, b)
    model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    loaded.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_replayed_training_step_matches_eager(monkeypatch):
    replayed = []
    apply_checked = MultiOptimizer.apply_checked
    monkeypatch.setattr(MultiOptimizer, "apply_checked",
                        lambda self, g, v: replayed.append(1) or apply_checked(self, g, v))
    rng = np.random.default_rng(7)
    x = rng.standard_normal((32, 4)).astype("float32")
    y = rng.standard_normal((32, 1)).astype("float32")
    weights = None
    results = []
    for jit in (False, True):
        kerasx.utils.clear_session(free_memory=False)
        model = _model()
        if weights is None:
            weights = model.get_weights()
        model.set_weights(weights)
        model.compile(optimizer=_multi(), loss="mse", jit_compile=jit)
        model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
        results.append((model.get_weights(), model.optimizer.get_weights()))
    if kerasx.backends.current().name == "numpy":  # the backend that records steps
        assert replayed  # the jit run replayed recorded steps through apply_checked
    for a, b in zip(results[0][0] + results[0][1], results[1][0] + results[1][1]):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def _pick(variable):
    return _PICKED[0] if "kernel" in variable.path else _PICKED[1]


_PICKED = (optimizers.Adam(), optimizers.SGD())


def test_config_round_trips_with_a_map_or_a_named_function():
    multi = MultiOptimizer(OptimizerMap(optimizers.SGD(0.1), {"a/.*": optimizers.Adam(0.2)}),
                           loss_scale_factor=2.0, name="mo")
    clone = optimizers.get(optimizers.serialize(multi))
    assert isinstance(clone, MultiOptimizer) and clone.name == "mo"
    assert [type(o).__name__ for o in clone.optimizers] == ["Adam", "SGD"]
    assert [o.loss_scale_factor for o in clone.optimizers] == [2.0, 2.0]
    assert optimizers.serialize(clone) == optimizers.serialize(multi)
    by_function = MultiOptimizer(_pick)
    config = optimizers.serialize(by_function)
    with pytest.raises(ValueError, match="custom_objects"):
        optimizers.deserialize(config)
    clone = optimizers.deserialize(config, custom_objects={"_pick": _pick})
    assert clone._optimizer_map is _pick


def test_missing_gradients_warn_and_leave_their_optimizer_alone():
    variables = _variables()
    adam, sgd = optimizers.Adam(0.1), optimizers.SGD(0.1)
    multi = MultiOptimizer(OptimizerMap(sgd, {"kernel": adam}))
    before = variables[0].numpy().copy()
    with pytest.warns(UserWarning, match="Gradients do not exist for variables"):
        multi.apply([None] + _grads(0)[1:], variables)
    np.testing.assert_array_equal(variables[0].numpy(), before)
    assert (int(multi.iterations), int(adam.iterations), int(sgd.iterations)) == (1, 0, 1)
