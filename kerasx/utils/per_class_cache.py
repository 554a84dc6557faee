"""Caches of something computed once per class (what a layer's `call` takes, the
parameters of its `build`) that keep no class alive.

Layers and models defined inside a function (a hyperparameter search or a
cross-validation loop building a new subclass for each trial) are new classes at
every call. A dict keyed by the class would keep each of them alive, with whatever
its methods' closures and class attributes hold, for as long as the process runs.

Such a cache is a plain dict keyed by `id(cls)`, read with `cache.get(id(cls))` (one
`id` call more than a dict keyed by the class; a `WeakKeyDictionary` lookup costs
several times that, and these lookups run at every layer call) and written with
`remember(cache, cls, value)`, which drops the entry when the class is collected,
before its id can be given to another object.
"""

import functools
import weakref

# id(cls) -> (a weak reference to cls, the caches holding an entry for it)
_WATCHED = {}


def remember(cache, cls, value):
    """`cache[id(cls)] = value` until `cls` is collected; returns `value`."""
    key = id(cls)
    watched = _WATCHED.get(key)
    if watched is None:  # (setdefault: of two threads here, one reference is kept)
        watched = _WATCHED.setdefault(
            key, (weakref.ref(cls, functools.partial(_forget, key)), []))
    if not any(held is cache for held in watched[1]):
        watched[1].append(cache)
    cache[key] = value
    return value


def _forget(key, _reference):
    _, caches = _WATCHED.pop(key, (None, ()))
    for cache in caches:
        cache.pop(key, None)
