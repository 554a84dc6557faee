"""Batches from Python generators, iterators and `PyDataset`s."""



from kerasx.trainers.data_adapter import standardize, to_device


def is_stream(x):
    """True for data that is drawn batch by batch rather than sliced from arrays."""
    if x is None or hasattr(x, "shape") or isinstance(x, (list, tuple, dict)):
        return False
    return hasattr(x, "__next__") or hasattr(x, "__getitem__") and hasattr(x, "__len__") \
        or hasattr(x, "__iter__")


class GeneratorBatches:
    """Draws `(x, y[, sample_weight])` batches from a generator or a `PyDataset`.

    A `PyDataset` (anything with `__len__` and `__getitem__`) gives `len(ds)`
    batches per epoch and gets `on_epoch_end()` after each. A generator is
    read `steps` batches per epoch, continuing where the last epoch stopped;
    without `steps` an epoch ends when the generator is exhausted.
    """

    def __init__(self, source, steps=None, inputs_only=False):
        self.source = source
        self.inputs_only = inputs_only
        self.indexed = hasattr(source, "__getitem__") and hasattr(source, "__len__")
        if self.indexed:
            self.steps = len(source) if steps is None else min(steps, len(source))
        else:
            self.steps = steps
            self._iterator = iter(source)
        self._shapes = None

    def epoch(self):
        drawn = 0
        while self.steps is None or drawn < self.steps:
            if self.indexed:
                item = self.source[drawn]
            else:
                try:
                    item = next(self._iterator)
                except StopIteration:
                    if self.steps is not None and drawn < self.steps:
                        raise ValueError(
                            f"The generator ran out of data after {drawn} batches but "
                            f"steps={self.steps} were requested. Make it loop forever "
                            "(while True: ... yield) or lower steps_per_epoch."
                        ) from None
                    return
            yield self._to_batch(item, drawn)
            drawn += 1
        if self.indexed and hasattr(self.source, "on_epoch_end"):
            self.source.on_epoch_end()

    def _to_batch(self, item, index):
        if not isinstance(item, tuple):
            item = (item,)
        if len(item) not in (1, 2, 3):
            raise ValueError(
                f"A generator must yield (x,), (x, y) or (x, y, sample_weight); batch {index} "
                f"is a tuple of {len(item)} items."
            )
        if self.inputs_only:
            item = item[:1]
        parts = [standardize(p, name) for p, name in zip(item, ("x", "y", "sample_weight"))]
        shapes = [tuple(getattr(p, "shape", ())[1:]) for p in parts if hasattr(p, "shape")]
        if self._shapes is None:
            self._shapes = shapes
        elif shapes != self._shapes:
            raise ValueError(
                f"The generator yielded batches of inconsistent shapes: batch {index} has per-sample "
                f"shapes {shapes} but earlier batches had {self._shapes}. Every batch must have "
                "the same shape apart from the batch size."
            )
        parts = [to_device(p) for p in parts] + [None] * (3 - len(parts))
        return tuple(parts)



