"""`LayoutMap`: tensor layouts by variable path, the keys read as regular expressions."""

import collections.abc
import re

from kerasx.distribution.layouts import TensorLayout


class LayoutMap(collections.abc.MutableMapping):
    """A dict of `TensorLayout`s whose string keys match paths as regular expressions.

    A lookup (`layout_map[path]`, `layout_map.get(path)`) returns the layout of
    an identical key; otherwise the layout of the one key that `re.fullmatch`es
    the path, None when no key does, and a `ValueError` when several do. A
    tuple of axis names may be stored in place of a `TensorLayout`. Keys are
    usually variable paths, such as `"dense/kernel"`:

    ```python
    layout_map = LayoutMap(device_mesh)
    layout_map[".*dense.*kernel"] = (None, "model")
    layout_map[".*dense.*bias"] = ("model",)
    layout_map["dense_1/kernel"]     # the first layout
    layout_map["conv2d/kernel"]      # None
    ```

    Args:
        device_mesh: the `DeviceMesh` the layouts lay tensors over.
    """

    def __init__(self, device_mesh):
        self._layout_map = collections.OrderedDict()
        self._device_mesh = device_mesh

    def __getitem__(self, key):
        if key in self._layout_map:
            return self._layout_map[key]
        matching = [pattern for pattern in self._layout_map if re.fullmatch(pattern, key)]
        if len(matching) > 1:
            raise ValueError(f"Path '{key}' matches multiple layout specification keys: "
                             f"{matching}. Please make sure each tensor/variable path only "
                             "matches at most one layout specification key in the LayoutMap.")
        return self._layout_map[matching[0]] if matching else None

    def __setitem__(self, key, layout):
        if key in self._layout_map:
            raise ValueError(f"{key} already exist in the LayoutMap with value "
                             f"{self._layout_map[key]}. Please make sure to not use duplicated "
                             "keys.")
        if isinstance(layout, tuple):
            layout = TensorLayout(axes=layout, device_mesh=None)
        if not isinstance(layout, TensorLayout):
            raise ValueError(f"{layout} should be a TensorLayout type, got {type(layout)}")
        if layout.device_mesh is None and self._device_mesh is not None:
            layout.device_mesh = self._device_mesh
        self._layout_map[key] = layout

    def __delitem__(self, key):
        return self._layout_map.pop(key)

    def __len__(self):
        return len(self._layout_map)

    def __iter__(self):
        return iter(self._layout_map)

    @property
    def device_mesh(self):
        return self._device_mesh
