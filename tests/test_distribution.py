"""`kerasx.distribution`: Keras's device mesh, layout and distribution objects on the one
device of a kerasx process: validation, regex layout lookup, the current-distribution
scope, and training under a distribution exactly as without one."""

import numpy as np
import pytest

import kerasx
from kerasx import distribution as dist
from tests.conftest import to_numpy


def test_devices_of_this_process():
    devices = dist.list_devices()
    assert len(devices) == 1 and dist.get_device_count() == 1
    kind = devices[0].split(":")[0]
    assert dist.list_devices(kind.upper()) == devices
    other = "gpu" if kind == "cpu" else "cpu"
    assert dist.list_devices(other) == [] and dist.get_device_count(other) == 0
    with pytest.raises(ValueError, match="one of"):
        dist.list_devices("npu")


def test_device_mesh_validation():
    with pytest.raises(ValueError, match="cannot be empty"):
        dist.DeviceMesh((), ["batch"])
    with pytest.raises(ValueError, match="same size"):
        dist.DeviceMesh((1, 1), ["batch"])
    with pytest.raises(ValueError, match="one device"):
        dist.DeviceMesh((8,), ["batch"])
    with pytest.raises(ValueError, match="does not match the number of devices"):
        dist.DeviceMesh((2,), ["batch"], devices=dist.list_devices())
    with pytest.raises(ValueError, match="one device"):
        dist.DeviceMesh((2,), ["batch"], devices=["cpu:0", "cpu:1"])
    with pytest.raises(ValueError, match="does not have"):
        dist.DeviceMesh((1,), ["batch"], devices=["tpu:3"])
    mesh = dist.DeviceMesh((1, 1), ["batch", "model"])
    assert mesh.shape == (1, 1) and mesh.axis_names == ["batch", "model"]
    assert mesh.devices.shape == (1, 1) and mesh.devices[0, 0] == dist.list_devices()[0]


def test_tensor_layout_axes_must_name_mesh_axes():
    mesh = dist.DeviceMesh((1, 1), ["batch", "model"])
    layout = dist.TensorLayout([None, "model"])
    assert layout.axes == (None, "model") and layout.device_mesh is None
    layout.device_mesh = mesh
    with pytest.raises(ValueError, match="Cannot override device mesh"):
        layout.device_mesh = mesh
    with pytest.raises(ValueError, match="Invalid axis names"):
        dist.TensorLayout(("data",), mesh)
    late = dist.TensorLayout(("data",))
    with pytest.raises(ValueError, match="Invalid axis names"):
        late.device_mesh = mesh


def test_layout_map_matches_keys_as_full_regular_expressions():
    mesh = dist.DeviceMesh((1, 1), ["batch", "model"])
    layouts = dist.LayoutMap(mesh)
    layouts[".*dense.*kernel"] = (None, "model")
    layouts[".*dense.*bias"] = ("model",)
    layouts["dense_1/kernel"] = dist.TensorLayout(("model", None))
    layouts[".*conv2d.*kernel"] = (None, None, None, "model")
    assert len(layouts) == 4 and list(layouts)[0] == ".*dense.*kernel"
    # an identical key wins over the patterns that also match it
    assert layouts["dense_1/kernel"].axes == ("model", None)
    assert layouts["model/dense_2/kernel"].axes == (None, "model")
    assert layouts["dense_2/bias"].axes == ("model",)
    assert layouts["model/conv2d_7/kernel"].device_mesh is mesh
    # fullmatch, not search: a path with more after the pattern does not match
    assert layouts["dense/kernel/moment"] is None
    assert layouts.get("conv3d/kernel") is None
    layouts[".*kernel"] = (None, None)
    with pytest.raises(ValueError, match="matches multiple layout specification keys"):
        layouts["dense_3/kernel"]
    with pytest.raises(ValueError, match="already exist"):
        layouts[".*kernel"] = (None, None)
    with pytest.raises(ValueError, match="should be a TensorLayout"):
        layouts["x"] = [None, "model"]
    with pytest.raises(ValueError, match="Invalid axis names"):
        layouts["y"] = ("data",)
    del layouts[".*kernel"]
    assert layouts["dense_3/kernel"].axes == (None, "model")
    with pytest.raises(KeyError):
        del layouts["missing"]


def test_data_parallel_layouts():
    data_parallel = dist.DataParallel()
    assert data_parallel.batch_dim_name == "batch" and data_parallel.num_model_replicas == 1
    assert data_parallel.device_mesh.shape == (1,) and data_parallel.num_processes == 1
    assert data_parallel.data_shard_id == 0
    assert data_parallel.get_data_layout((32, 5)).axes == ("batch", None)
    layer = kerasx.layers.Dense(3)
    layer.build((None, 4))
    assert data_parallel.get_variable_layout(layer.kernel).axes == (None, None)
    assert data_parallel.get_tensor_layout("dense/output") is None
    explicit = dist.DataParallel(devices=dist.list_devices())
    assert explicit.device_mesh.devices.tolist() == dist.list_devices()
    mesh = dist.DeviceMesh((1,), ["data"])
    assert dist.DataParallel(device_mesh=mesh).batch_dim_name == "data"
    with pytest.warns(UserWarning, match="1D"):
        dist.DataParallel(device_mesh=dist.DeviceMesh((1, 1), ["data", "model"]))
    with pytest.raises(ValueError, match="instance of `DeviceMesh`"):
        dist.DataParallel(device_mesh="batch")
    with pytest.raises(ValueError, match="one device"):
        dist.DataParallel(devices=["cpu:0", "cpu:1"])


def test_model_parallel_reads_the_layout_map_by_variable_path():
    mesh = dist.DeviceMesh((1, 1), ["batch", "model"])
    layouts = dist.LayoutMap(mesh)
    layouts[".*dense.*kernel"] = (None, "model")
    model_parallel = dist.ModelParallel(layout_map=layouts)
    assert model_parallel.batch_dim_name == "batch" and model_parallel.num_model_replicas == 1
    assert dist.ModelParallel(layout_map=layouts, batch_dim_name="model").batch_dim_name == "model"
    model = kerasx.Sequential([kerasx.Input((4,)), kerasx.layers.Dense(3)])
    kernel, bias = model.weights
    assert model_parallel.get_variable_layout(kernel).axes == (None, "model")
    assert model_parallel.get_variable_layout(bias).axes == (None,)
    assert model_parallel.get_tensor_layout(kernel.path).axes == (None, "model")
    assert model_parallel.get_data_layout((8, 2, 2)).axes == ("batch", None, None)
    with pytest.raises(ValueError, match="must specify a layout_map"):
        dist.ModelParallel()
    with pytest.raises(ValueError, match="must be a `LayoutMap`"):
        dist.ModelParallel(layout_map={".*": (None,)})


def test_scope_sets_and_restores_the_current_distribution():
    assert dist.distribution() is None
    outer, inner = dist.DataParallel(), dist.DataParallel()
    with outer.scope():
        assert dist.distribution() is outer
        with pytest.raises(RuntimeError):
            with inner.scope():
                assert dist.distribution() is inner
                raise RuntimeError("inside")
        assert dist.distribution() is outer
    assert dist.distribution() is None
    dist.set_distribution(outer)
    try:
        assert dist.distribution() is outer
    finally:
        dist.set_distribution(None)
    with pytest.raises(TypeError, match="DataParallel"):
        dist.set_distribution("data_parallel")


def test_distribute_tensor_on_one_device_keeps_the_values():
    mesh = dist.DeviceMesh((1,), ["batch"])
    x = np.arange(6, dtype=np.float32).reshape(3, 2)
    out = dist.distribute_tensor(x, dist.TensorLayout(("batch", None), mesh))
    np.testing.assert_array_equal(to_numpy(out), x)
    symbolic = kerasx.Input((2,))
    assert dist.distribute_tensor(symbolic, dist.TensorLayout(("batch",), mesh)) is symbolic
    with pytest.raises(ValueError, match="device mesh is not set"):
        dist.distribute_tensor(x, dist.TensorLayout(("batch", None)))
    with pytest.raises(ValueError, match="names 3 dimensions"):
        dist.distribute_tensor(x, dist.TensorLayout(("batch", None, None), mesh))
    with pytest.raises(ValueError, match="must be a TensorLayout"):
        dist.distribute_tensor(x, ("batch", None))


def test_initialize_accepts_only_this_process(monkeypatch):
    dist.initialize()
    dist.initialize(num_processes=1, process_id=0)
    with pytest.raises(ValueError, match="one device"):
        dist.initialize("10.0.0.1:1234,10.0.0.2:2345", num_processes=2, process_id=0)
    monkeypatch.setenv("KERAS_DISTRIBUTION_NUM_PROCESSES", "4")
    with pytest.raises(ValueError, match="num_processes=4"):
        dist.initialize()


def _train(scope):
    kerasx.utils.set_random_seed(7)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(64, 5)).astype(np.float32)
    y = (x[:, :1] - x[:, 1:2] > 0).astype(np.float32)
    with scope():
        model = kerasx.Sequential([kerasx.Input((5,)), kerasx.layers.Dense(8, activation="relu"),
                                   kerasx.layers.Dropout(0.2),
                                   kerasx.layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
        history = model.fit(x, y, batch_size=16, epochs=3, verbose=0)
    return history.history, [to_numpy(w) for w in model.weights]


def test_fit_under_data_parallel_trains_exactly_as_without():
    import contextlib

    plain_history, plain_weights = _train(contextlib.nullcontext)
    history, weights = _train(dist.DataParallel().scope)
    assert history == plain_history
    for a, b in zip(weights, plain_weights):
        np.testing.assert_array_equal(a, b)
