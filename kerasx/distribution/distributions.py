"""`DataParallel` and `ModelParallel`, the current distribution, `distribute_tensor`.

On one device both distributions are exact no-ops for training: the data shard
is the whole batch and every variable layout keeps the variable whole, so a
model trains under `with distribution.scope():` exactly as without it. The
objects still answer Keras's questions (`get_data_layout`,
`get_variable_layout`, `get_tensor_layout`, `num_model_replicas`, ...) so
code written for a Keras distribution runs unchanged.
"""

import contextlib
import warnings

from kerasx.backends.host import to_host
from kerasx.distribution.layout_map import LayoutMap
from kerasx.distribution.layouts import DeviceMesh, TensorLayout
from kerasx.distribution.devices import list_devices

DEFAULT_BATCH_DIM_NAME = "batch"
_CURRENT = [None]


class Distribution:
    """The base of the distribution strategies: where data, variables and
    intermediate tensors live on a `DeviceMesh`.

    Args:
        device_mesh: the `DeviceMesh`.
        batch_dim_name: the mesh axis the batch is split along.
        auto_shard_dataset: whether a dataset is split among processes (one
            process here: the dataset is always returned whole).
    """

    def __init__(self, device_mesh, batch_dim_name=None, auto_shard_dataset=True):
        self._device_mesh = device_mesh
        self._batch_dim_name = batch_dim_name
        self._auto_shard_dataset = auto_shard_dataset
        self._num_processes = 1
        self._process_id = 0

    @property
    def num_processes(self):
        """The number of processes of the cluster (always 1 in kerasx)."""
        return self._num_processes

    @property
    def num_model_replicas(self):
        raise NotImplementedError()

    @property
    def data_shard_id(self):
        """The index of the data shard of this process."""
        replicas = self.num_model_replicas
        if replicas >= self.num_processes:
            return self._process_id
        return self._process_id // (self.num_processes // replicas)

    def get_data_layout(self, data_shape):
        raise NotImplementedError()

    def get_variable_layout(self, variable):
        raise NotImplementedError()

    def get_tensor_layout(self, path):
        raise NotImplementedError()

    @contextlib.contextmanager
    def scope(self):
        """A context in which this distribution is the current one."""
        original = distribution()
        set_distribution(self)
        try:
            yield
        finally:
            set_distribution(original)

    @property
    def device_mesh(self):
        return self._device_mesh

    @property
    def batch_dim_name(self):
        return self._batch_dim_name

    @property
    def auto_shard_dataset(self):
        return self._auto_shard_dataset

    @auto_shard_dataset.setter
    def auto_shard_dataset(self, value):
        self._auto_shard_dataset = value

    def distribute_dataset(self, dataset):
        """The part of `dataset` this process reads: all of it, with one process."""
        return dataset

    def _batch_layout(self, data_shape):
        axes = [None] * len(data_shape)
        axes[0] = self.batch_dim_name
        return TensorLayout(axes, self.device_mesh)

    def __repr__(self):
        return f"<{type(self).__name__} device_mesh={self.device_mesh}>"

    __str__ = __repr__


class DataParallel(Distribution):
    """Data parallelism: every device holds all variables and a slice of the batch.

    Give a one-axis `device_mesh` or a list of `devices` (not both); with
    neither, the mesh holds `list_devices()`. In kerasx that is the one
    device of this process, and training is exactly as without a distribution.

    Args:
        device_mesh: a `DeviceMesh`; its first axis splits the batch.
        devices: a list of devices for a one-axis mesh named "batch".
        auto_shard_dataset: see `Distribution`.
    """

    def __init__(self, device_mesh=None, devices=None, auto_shard_dataset=True):
        if device_mesh:
            if not isinstance(device_mesh, DeviceMesh):
                raise ValueError(f"Expect `mesh` to be an instance of `DeviceMesh`. Received: "
                                 f"mesh={device_mesh} (of type {type(device_mesh)})")
            super().__init__(device_mesh, device_mesh.axis_names[0], auto_shard_dataset)
            if device_mesh.devices.ndim != 1:
                warnings.warn(f"Expect the input mesh to be 1D, but received "
                              f"mesh.devices.ndim={device_mesh.devices.ndim}. The first axis "
                              "will be used for data-parallel sharding.", stacklevel=2)
            return
        devices = to_host(devices if devices is not None and len(devices) else list_devices())
        mesh = DeviceMesh(shape=devices.shape, axis_names=[DEFAULT_BATCH_DIM_NAME],
                          devices=devices)
        super().__init__(mesh, DEFAULT_BATCH_DIM_NAME, auto_shard_dataset)

    @property
    def num_model_replicas(self):
        return self.device_mesh.devices.size

    def get_data_layout(self, data_shape):
        """The batch split along its first dimension, the rest whole."""
        return self._batch_layout(data_shape)

    def get_variable_layout(self, variable):
        """The variable's own `_layout` if it has one, else whole on every device."""
        if getattr(variable, "_layout", None) is not None:
            return variable._layout
        return TensorLayout([None] * len(variable.shape), self.device_mesh)

    def get_tensor_layout(self, path):
        """None: data parallelism leaves intermediate tensors as they are."""
        return None


class ModelParallel(Distribution):
    """Variables split over a mesh axis by a `LayoutMap`, the batch over another.

    ```python
    mesh = DeviceMesh((1, 1), ("batch", "model"))
    layout_map = LayoutMap(mesh)
    layout_map[".*dense.*kernel"] = (None, "model")
    with ModelParallel(layout_map=layout_map).scope():
        model = make_model()
    ```

    Args:
        layout_map: the `LayoutMap` from variable paths to layouts; its
            device mesh is the distribution's.
        batch_dim_name: the mesh axis that splits the batch; defaults to the
            mesh's first axis.
        auto_shard_dataset: see `Distribution`.
    """

    def __init__(self, *, layout_map=None, batch_dim_name=None, auto_shard_dataset=True,
                 **kwargs):
        kwargs.pop("device_mesh", None)
        if layout_map is None:
            raise ValueError("You must specify a layout_map argument.")
        if not isinstance(layout_map, LayoutMap):
            raise ValueError(f"Argument `layout_map` must be a `LayoutMap` instance. Received: "
                             f"layout_map={layout_map}")
        mesh = layout_map.device_mesh
        super().__init__(mesh, batch_dim_name or mesh.axis_names[0], auto_shard_dataset)
        self._layout_map = layout_map

    @property
    def num_model_replicas(self):
        return self.device_mesh.shape[self.device_mesh.axis_names.index(self.batch_dim_name)]

    def get_data_layout(self, data_shape):
        """The batch split along its first dimension, the rest whole."""
        return self._batch_layout(data_shape)

    def get_variable_layout(self, variable):
        """The variable's own `_layout`, else the layout map's entry for its path, else
        whole on every device."""
        if getattr(variable, "_layout", None) is not None:
            return variable._layout
        layout = self._layout_map[variable.path]
        if layout is not None:
            return layout
        return TensorLayout([None] * len(variable.shape), self.device_mesh)

    def get_tensor_layout(self, path):
        """The layout map's entry for `path` (None when none matches)."""
        return self._layout_map[path]


def distribute_tensor(tensor, layout):
    """`tensor` laid out by `layout` (a `TensorLayout` with a device mesh). On one
    device this is the tensor itself; a symbolic `KerasTensor` also passes through."""
    from kerasx.layers import KerasTensor

    if isinstance(tensor, KerasTensor):
        return tensor
    if not isinstance(layout, TensorLayout):
        raise ValueError(f"distribute_tensor: `layout` must be a TensorLayout, received "
                         f"{layout!r} of type {type(layout).__name__}.")
    if layout.device_mesh is None:
        raise ValueError("Cannot create sharding when device mesh is not set for "
                         "TensorLayout.")
    ndim = len(getattr(tensor, "shape", ()))
    if len(layout.axes) > ndim:
        raise ValueError(f"distribute_tensor: the layout {layout.axes} names "
                         f"{len(layout.axes)} dimensions, but the tensor has {ndim} (shape "
                         f"{tuple(getattr(tensor, 'shape', ()))}).")
    from kerasx.ops import convert_to_tensor

    return convert_to_tensor(tensor)


def distribution():
    """The current distribution (None when none is set)."""
    return _CURRENT[0]


def set_distribution(value):
    """Makes `value` (a `DataParallel`, `ModelParallel` or None) the current
    distribution."""
    if value is not None and not isinstance(value, Distribution):
        raise TypeError(f"set_distribution expects a keras.distribution Distribution "
                        f"(DataParallel, ModelParallel) or None; received {value!r} of type "
                        f"{type(value).__name__}.")
    _CURRENT[0] = value
