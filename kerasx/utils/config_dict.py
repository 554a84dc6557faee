"""`Config`: a dict of named values read and written as attributes, that can be frozen."""

import copy
import difflib
import json


class Config:
    """A dict-like container of named values, also reachable as attributes.

    >>> config = Config(learning_rate=0.1, momentum=0.9)
    >>> config.use_ema = True
    >>> config["seed"] = 123
    >>> config.seed, config["learning_rate"]
    (123, 0.1)
    >>> config.freeze()
    >>> config.foo = "bar"      # ValueError: the config is frozen

    It iterates over its keys in sorted order, converts to a dict with
    `as_dict()` and to JSON with `to_json()`.
    """

    _OWN = ("_config", "_frozen")

    def __init__(self, **kwargs):
        object.__setattr__(self, "_config", kwargs)
        object.__setattr__(self, "_frozen", False)

    @property
    def frozen(self):
        """True once `freeze()` was called (and `unfreeze()` was not)."""
        return self._frozen

    def freeze(self):
        """Forbids any further change."""
        object.__setattr__(self, "_frozen", True)

    def unfreeze(self):
        object.__setattr__(self, "_frozen", False)

    def _raise_if_frozen(self):
        if self._frozen:
            raise ValueError("Cannot mutate attribute(s) because the config is frozen. Call "
                             "`config.unfreeze()` first to change it.")

    def as_dict(self):
        return copy.copy(self._config)

    def to_json(self):
        return json.dumps(self._config)

    def keys(self):
        return self._config.keys()

    def values(self):
        return self._config.values()

    def items(self):
        return self._config.items()

    def get(self, keyname, value=None):
        return self._config.get(keyname, value)

    def pop(self, *args):
        self._raise_if_frozen()
        return self._config.pop(*args)

    def update(self, *args, **kwargs):
        self._raise_if_frozen()
        return self._config.update(*args, **kwargs)

    def __setattr__(self, name, value):
        if name in self._OWN or hasattr(type(self), name):
            return object.__setattr__(self, name, value)
        self._raise_if_frozen()
        self._config[name] = value

    def __getattr__(self, name):
        if name.startswith("__") or name in self._OWN:
            raise AttributeError(name)
        config = object.__getattribute__(self, "_config")
        if name in config:
            return config[name]
        message = f"Unknown attribute: '{name}'."
        close = difflib.get_close_matches(name, list(config), n=1, cutoff=0.7)
        if close:
            message += f" Did you mean '{close[0]}'?"
        raise AttributeError(message)

    def __setitem__(self, key, item):
        self._raise_if_frozen()
        self._config[key] = item

    def __getitem__(self, key):
        return self._config[key]

    def __delitem__(self, key):
        self._raise_if_frozen()
        del self._config[key]

    def __contains__(self, item):
        return item in self._config

    def __iter__(self):
        return iter(sorted(self._config))

    def __len__(self):
        return len(self._config)

    def __repr__(self):
        return f"<Config {self._config}>"
