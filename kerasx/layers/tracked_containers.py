"""The lists, dicts and sets a layer holds as attributes, kept tracked as they change.

A layer stores a `list`, `dict`, `collections.OrderedDict` or `set` attribute as a
`TrackedList`, `TrackedDict`, `TrackedOrderedDict` or `TrackedSet` (nested ones too):
a `Variable`, layer, metric or `SeedGenerator` put into it later (`append`, `insert`,
`extend`, `lst[i] = ...`, `d[k] = ...`, `update`, `add`) becomes part of the layer's
state, as if it had been in the container when the attribute was set, and one taken
out with `remove`, `pop`, `popitem`, `del`, `discard` or `clear` stops being part of it.
Otherwise they are the list, dict and set they subclass: equal to plain ones, copied,
pickled and (in `kerasx.tree`) flattened as them.
"""

import collections


def _track(tracker, value):
    return value if tracker is None else tracker.track(value)


def _untrack(tracker, value):
    if tracker is not None:
        tracker.untrack(value)


def _rebuild(cls, contents, tracker):
    """A `cls` holding `contents`, bound to `tracker`, its items not tracked again
    (they are the state of the tracker's layer already): unpickling and copying."""
    container = cls.__new__(cls)
    container.tracker = None
    _fill(container, contents)
    container.tracker = tracker
    return container


def _fill(container, contents):
    if isinstance(container, dict):
        container.update(contents)
    elif isinstance(container, set):
        container.update(contents)
    else:
        container.extend(contents)


class _Tracked:
    """What the tracked containers share: the tracker of their layer (None: a free
    container, as `kerasx.tree` rebuilds them), and copies that stay bound to the
    copy of the layer when the layer itself is copied."""

    tracker = None

    def _contents(self):
        return dict(self) if isinstance(self, dict) else list(self)

    def __reduce_ex__(self, protocol):
        return _rebuild, (type(self), self._contents(), self.tracker)

    def __deepcopy__(self, memo):
        import copy

        tracker = self.tracker
        # copying the layer copies the container bound to the layer's copy; copying
        # the container alone gives a free one, not a copy of the whole layer
        if tracker is not None and id(tracker.layer) not in memo:
            tracker = None
        copied = _rebuild(type(self), (), None)
        memo[id(self)] = copied
        _fill(copied, copy.deepcopy(self._contents(), memo))
        copied.tracker = copy.deepcopy(tracker, memo)
        return copied


class TrackedList(_Tracked, list):
    """A layer's list attribute: items added later are tracked, items removed are not."""

    _tree_kind = list

    def __init__(self, values=(), tracker=None):
        self.tracker = tracker
        super().__init__(_track(tracker, v) for v in values)

    def append(self, value):
        super().append(_track(self.tracker, value))

    def insert(self, index, value):
        super().insert(index, _track(self.tracker, value))

    def extend(self, values):
        super().extend([_track(self.tracker, v) for v in values])

    def __iadd__(self, values):
        self.extend(values)
        return self

    def __setitem__(self, index, value):
        if isinstance(index, slice):
            value = [_track(self.tracker, v) for v in value]
        else:
            value = _track(self.tracker, value)
        super().__setitem__(index, value)

    def remove(self, value):
        for i, item in enumerate(self):
            if item is value:  # by identity first: variables compare elementwise
                break
        else:
            i = self.index(value)
        del self[i]

    def pop(self, index=-1):
        value = super().pop(index)
        _untrack(self.tracker, value)
        return value

    def clear(self):
        values = list(self)
        super().clear()
        for value in values:
            _untrack(self.tracker, value)

    def __delitem__(self, index):
        removed = self[index] if isinstance(index, slice) else [self[index]]
        super().__delitem__(index)
        for value in removed:
            _untrack(self.tracker, value)


class TrackedDict(_Tracked, dict):
    """A layer's dict attribute: values added later are tracked, values removed are not."""

    _tree_kind = dict

    def __init__(self, values=(), tracker=None, **kwargs):
        self.tracker = tracker
        items = values.items() if hasattr(values, "items") else values
        super().__init__(((k, _track(tracker, v)) for k, v in items), **{
            k: _track(tracker, v) for k, v in kwargs.items()})

    def __setitem__(self, key, value):
        super().__setitem__(key, _track(self.tracker, value))

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, values=(), **kwargs):
        items = values.items() if hasattr(values, "items") else values
        for key, value in list(items) + list(kwargs.items()):
            self[key] = value

    def __ior__(self, values):
        self.update(values)
        return self

    def pop(self, key, *default):
        if len(default) > 1:
            raise TypeError(f"pop expected at most 2 arguments, got {1 + len(default)}")
        if key not in self:
            if default:
                return default[0]
            raise KeyError(key)
        value = super().pop(key)
        _untrack(self.tracker, value)
        return value

    def popitem(self):
        key, value = super().popitem()
        _untrack(self.tracker, value)
        return key, value

    def __delitem__(self, key):
        value = self[key]
        super().__delitem__(key)
        _untrack(self.tracker, value)

    def clear(self):
        values = list(self.values())
        super().clear()
        for value in values:
            _untrack(self.tracker, value)


class TrackedOrderedDict(TrackedDict, collections.OrderedDict):
    """A layer's `OrderedDict` attribute, tracked as `TrackedDict` (in its own order)."""

    _tree_kind = collections.OrderedDict

    def popitem(self, last=True):
        key, value = collections.OrderedDict.popitem(self, last=last)
        _untrack(self.tracker, value)
        return key, value


class TrackedSet(_Tracked, set):
    """A layer's set attribute: items added later are tracked, items removed are not."""

    _tree_kind = set

    def __init__(self, values=(), tracker=None):
        self.tracker = tracker
        super().__init__(_track(tracker, v) for v in values)

    def add(self, value):
        super().add(_track(self.tracker, value))

    def update(self, *values):
        for group in values:
            for value in group:
                self.add(value)

    def __ior__(self, values):
        self.update(values)
        return self

    def remove(self, value):
        super().remove(value)
        _untrack(self.tracker, value)

    def discard(self, value):
        if value in self:
            self.remove(value)

    def pop(self):
        value = super().pop()
        _untrack(self.tracker, value)
        return value

    def clear(self):
        values = list(self)
        super().clear()
        for value in values:
            _untrack(self.tracker, value)


TRACKED_CONTAINERS = (TrackedList, TrackedDict, TrackedSet)
