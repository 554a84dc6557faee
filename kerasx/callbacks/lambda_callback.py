"""`LambdaCallback`: a callback made of plain functions."""

from kerasx.callbacks.callback import Callback


class LambdaCallback(Callback):
    """A callback whose hooks are the functions given.

    Args:
        on_epoch_begin, on_epoch_end: `fn(epoch, logs)`.
        on_train_begin, on_train_end: `fn(logs)`.
        on_train_batch_begin, on_train_batch_end: `fn(batch, logs)`.
        **kwargs: any other hook by name (`on_test_begin=fn`, ...); other
            names become attributes of the callback, as in Keras.

    Example:

    ```python
    print_epoch = kerasx.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: print(epoch, logs["loss"]))
    ```
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None, **kwargs):
        super().__init__()
        hooks = {"on_epoch_begin": on_epoch_begin, "on_epoch_end": on_epoch_end,
                 "on_train_begin": on_train_begin, "on_train_end": on_train_end,
                 "on_train_batch_begin": on_train_batch_begin,
                 "on_train_batch_end": on_train_batch_end, **kwargs}
        for name, fn in hooks.items():
            if fn is None:
                continue
            if not name.startswith("on_"):
                setattr(self, name, fn)  # kept as an attribute, as Keras does
                continue
            if not callable(getattr(Callback, name, None)):
                raise ValueError(
                    f"LambdaCallback received {name}=..., which is not a callback hook. Hooks are "
                    f"{sorted(n for n in vars(Callback) if n.startswith('on_'))}."
                )
            if not callable(fn):
                raise TypeError(f"LambdaCallback: {name} must be a function, received {fn!r}.")
            setattr(self, name, fn)
