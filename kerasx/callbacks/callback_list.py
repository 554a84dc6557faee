"""`CallbackList`: dispatches each hook to every callback."""

from kerasx.callbacks.callback import Callback, overrides

_HOOKS = [name for name in vars(Callback) if name.startswith("on_")]
_ALIASES = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}


def check_callbacks(callbacks):
    """The callbacks as a list, with a clear error for anything that is not a `Callback`."""
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback):
        return [callbacks]
    if not isinstance(callbacks, (list, tuple)):
        raise TypeError(
            f"callbacks must be a list of kerasx.callbacks.Callback instances, received "
            f"{type(callbacks).__name__} ({callbacks!r:.100}). Example: "
            "callbacks=[kerasx.callbacks.EarlyStopping(patience=3)]."
        )
    out = []
    for i, cb in enumerate(callbacks):
        if isinstance(cb, type) and issubclass(cb, Callback):
            raise TypeError(
                f"callbacks[{i}] is the class {cb.__name__}, not an instance of it. "
                f"Create the callback first: {cb.__name__}(...)."
            )
        if not isinstance(cb, Callback):
            hint = (" Wrap a function with kerasx.callbacks.LambdaCallback(on_epoch_end=fn)."
                    if callable(cb) else "")
            raise TypeError(
                f"callbacks[{i}] is {cb!r:.100} of type {type(cb).__name__}, but every callback "
                "must be an instance of kerasx.callbacks.Callback (a subclass of it)." + hint
            )
        out.append(cb)
    return out


class CallbackList(Callback):
    """Calls each hook on every callback in order.

    Args:
        callbacks: a list of `Callback` instances.
        add_history: append a `History` callback if there is none.
        add_progbar: append a `ProgbarLogger` if there is none.
        model: the model the callbacks are attached to.
        **params: `verbose`, `epochs`, `steps`, passed to `set_params`.
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        super().__init__()
        from kerasx.callbacks.history import History
        from kerasx.callbacks.progbar_logger import ProgbarLogger

        self.callbacks = check_callbacks(callbacks)
        self._history = next((c for c in self.callbacks if isinstance(c, History)), None)
        self._progbar = next((c for c in self.callbacks if isinstance(c, ProgbarLogger)), None)
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)
        self._index()
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)

    @property
    def history(self):
        return self._history

    def _index(self):
        self._listeners = {}
        for hook in _HOOKS:
            alias = _ALIASES.get(hook)
            self._listeners[hook] = [cb for cb in self.callbacks
                                     if overrides(cb, hook) or (alias and overrides(cb, alias))]

    def needs(self, hook, exclude=()):
        """True when some callback does something in `hook`, so its logs are worth
        computing; callbacks whose exact type is in `exclude` do not count (a subclass,
        which may read the logs in its own way, does)."""
        return any(type(cb) not in exclude for cb in self._listeners[hook])

    def append(self, callback):
        self.callbacks.extend(check_callbacks([callback]))
        if self.model is not None:
            callback.set_model(self.model)
        if self.params is not None:
            callback.set_params(self.params)
        self._index()

    def set_model(self, model):
        super().set_model(model)
        for cb in self.callbacks:
            cb.set_model(model)

    def set_params(self, params):
        super().set_params(params)
        for cb in self.callbacks:
            cb.set_params(params)


def _dispatch(name):
    # As in Keras, `logs` is always passed positionally, and is a dict (empty when there
    # are none): callbacks may call `logs.keys()` or `logs.get(...)` in every hook.
    # Epoch and begin / end hooks get a copy, as Keras's: what one callback adds
    # (`learning_rate`) reaches the callbacks after it but not the caller's dict. (The
    # trainers give the logs in Keras's order: `with_validation_logs`.)
    if "epoch" in name:
        def hook(self, index, logs=None):
            logs = {} if logs is None else dict(logs)
            for cb in self._listeners[name]:
                getattr(cb, name)(index, logs)
    elif "batch" in name:
        def hook(self, index, logs=None):
            logs = {} if logs is None else logs
            for cb in self._listeners[name]:
                getattr(cb, name)(index, logs)
    else:
        def hook(self, logs=None):
            logs = {} if logs is None else dict(logs)
            for cb in self._listeners[name]:
                getattr(cb, name)(logs)

    hook.__name__ = name
    hook.__doc__ = f"Calls `{name}` on every callback that implements it."
    return hook


for _name in _HOOKS:
    setattr(CallbackList, _name, _dispatch(_name))
