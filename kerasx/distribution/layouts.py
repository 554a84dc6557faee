"""`DeviceMesh` (devices arranged on named axes) and `TensorLayout` (how a tensor's
dimensions map onto those axes), with Keras's validation."""

from kerasx.backends.host import to_host
from kerasx.distribution.devices import ONE_DEVICE_NOTE, list_devices


class DeviceMesh:
    """A grid of computation devices with a name for each axis.

    Args:
        shape: the shape of the grid, e.g. `(8,)` for data parallelism or
            `(2, 4)` for data and model parallelism.
        axis_names: one name per axis of `shape`, which `TensorLayout`s use.
        devices: the devices to arrange (strings such as `"cpu:0"`); defaults
            to `keras.distribution.list_devices()`.

    kerasx runs each process on one device, so a mesh holds that one device:
    any mesh of more devices, or of devices this process does not have,
    raises a `ValueError`.
    """

    def __init__(self, shape, axis_names, devices=None):
        if not shape or not axis_names:
            raise ValueError(f"Shape and axis_names cannot be empty. Received: shape={shape}, "
                             f"axis_names={axis_names}")
        if len(shape) != len(axis_names):
            raise ValueError(f"Shape and axis_names should have same size. Received: "
                             f"shape={shape}, axis_names={axis_names}")
        available = list_devices()
        size = 1
        for n in shape:
            size *= n
        if devices is None and size > len(available):
            raise _too_many(shape, available, available)
        devices = to_host(available if devices is None else devices)
        if size != devices.size:
            raise ValueError(f"Shape does not match the number of devices. Received: "
                             f"shape={shape}; devices.shape={devices.shape}")
        if set(str(d) for d in devices.reshape(-1)) - set(available) or size > len(available):
            raise _too_many(shape, devices.reshape(-1).tolist(), available)
        self._shape = shape
        self._axis_names = axis_names
        self._devices = devices.reshape(tuple(shape))

    @property
    def shape(self):
        return self._shape

    @property
    def axis_names(self):
        return self._axis_names

    @property
    def devices(self):
        return self._devices

    def __repr__(self):
        return f"<{type(self).__name__} shape={self.shape}, axis_names={self.axis_names}>"

    __str__ = __repr__


def _too_many(shape, devices, available):
    return ValueError(f"A DeviceMesh of shape {tuple(shape)} over devices {devices} needs "
                      f"devices this process does not have (it has {available}). "
                      f"{ONE_DEVICE_NOTE} Use a mesh of shape (1,) (or (1, 1), ...) over "
                      f"{available}.")


class TensorLayout:
    """How a tensor is laid out over a `DeviceMesh`.

    Args:
        axes: one entry per tensor dimension: the name of the mesh axis that
            dimension is split along, or None to keep it whole.
        device_mesh: the `DeviceMesh`; it may be set later, once.

    On one device every layout keeps the whole tensor in place.
    """

    def __init__(self, axes, device_mesh=None):
        self._axes = tuple(axes)
        self._device_mesh = device_mesh
        self._validate_axes()

    @property
    def axes(self):
        return self._axes

    @property
    def device_mesh(self):
        return self._device_mesh

    @device_mesh.setter
    def device_mesh(self, device_mesh):
        if self._device_mesh is not None:
            raise ValueError(f"Cannot override device mesh value. Existing value is "
                             f"{self._device_mesh}")
        self._device_mesh = device_mesh
        self._validate_axes()

    def _validate_axes(self):
        if self._device_mesh:
            valid = set(self._device_mesh.axis_names)
            names = set(self._axes) - {None}
            if names - valid:
                raise ValueError(f"Invalid axis names for Layout. Valid axis names: {valid}, "
                                 f"Got {names}")

    def __repr__(self):
        return f"<{type(self).__name__} axes={self.axes}, device_mesh={self.device_mesh}>"

    __str__ = __repr__
