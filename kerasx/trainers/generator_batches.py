"""Batches from Python generators, iterators, `PyDataset`s and re-iterable loaders
(a `torch.utils.data.DataLoader`, a `tf.data.Dataset`; see `foreign_data`)."""

import concurrent.futures
import contextvars
import itertools
import warnings

from kerasx.trainers.data_adapter import flatten, standardize, to_device
from kerasx.trainers.foreign_data import (check_stream_options, is_reiterable, is_tf_dataset,
                                          is_torch_dataloader, pass_length, stream_kind)
from kerasx.trainers.step_limits import capped_steps, drawn_per_epoch


def is_stream(x):
    """True for data that is drawn batch by batch rather than sliced from arrays."""
    if x is None or hasattr(x, "shape") or isinstance(x, (list, tuple, dict, str, bytes)):
        return False
    return (hasattr(x, "__next__") or is_indexed(x) or hasattr(x, "__iter__"))


def is_indexed(x):
    """True for a `PyDataset` (or any `Sequence`-like object with `__getitem__` and a length)."""
    if x is None or hasattr(x, "shape") or isinstance(x, (list, tuple, dict, str, bytes)):
        return False
    from kerasx.utils.py_dataset import PyDataset

    if isinstance(x, PyDataset):
        return True
    if is_torch_dataloader(x) or is_tf_dataset(x):
        return False
    return hasattr(x, "__getitem__") and hasattr(x, "__len__")


def _num_batches(source):
    if hasattr(source, "num_batches"):
        n = source.num_batches
    else:
        n = len(source)
    if n is not None and (not isinstance(n, int) or n < 0):
        raise ValueError(
            f"{type(source).__name__}.__len__() must return the number of batches as a "
            f"non-negative integer, returned {n!r}."
        )
    return n


class GeneratorBatches:
    """Draws `(x, y, sample_weight)` device batches from a generator, a `PyDataset`
    or a re-iterable loader.

    A `PyDataset` gives `len(dataset)` batches per epoch (its indices in a
    shuffled order with `shuffle=True`); its `on_epoch_begin()` and
    `on_epoch_end()` run around every epoch. A re-iterable loader (a torch
    `DataLoader`, a `tf.data.Dataset`, any iterable that is no iterator) starts
    a new pass with `iter()` every epoch and gives `len(loader)` (cardinality)
    batches, or as many as the pass yields when that is unknown. With `steps`,
    both serve `steps` batches per epoch, the next epoch continuing the pass,
    and a pass that runs out first ends the epoch early with a warning (the
    next epoch starts a new pass), as in Keras. A generator is read `steps`
    batches per epoch, continuing where the previous epoch stopped; without
    `steps` an epoch ends when the generator is exhausted, so a finite
    generator serves one epoch only.

    Each batch may be `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)`.
    `check(parts, index)` (optional) is called with the host arrays of every
    batch before it moves to the device, to reject bad data with a clear error.
    """

    def __init__(self, source, steps=None, inputs_only=False, shuffle=False, class_weight=None,
                 check=None, what="x"):
        self.source = source
        self.inputs_only = inputs_only
        self.shuffle = shuffle
        self.class_weight = class_weight
        self.check = check
        self.what = what
        self.indexed = is_indexed(source)
        self.reiterable = not self.indexed and is_reiterable(source)
        check_stream_options(source, shuffle, class_weight)
        if self.indexed or self.reiterable:
            if self.indexed:
                self.num_batches = _num_batches(source)
                infinite = self.num_batches is None
                self.workers = getattr(source, "workers", 1) or 1
            else:  # a loader runs its own workers
                self.num_batches, infinite = pass_length(source)
                self.workers = 1
            if infinite and steps is None:
                raise ValueError(
                    f"{self._label()} is infinite (num_batches is None): pass "
                    "steps_per_epoch (or steps / validation_steps) to say how many batches make "
                    "an epoch."
                )
            self.max_queue_size = getattr(source, "max_queue_size", 10) or 10
        else:
            self.num_batches = None
            self.workers = 1
            try:
                self._iterator = iter(source)
            except TypeError:
                raise TypeError(
                    f"`{what}` of type {type(source).__name__} is neither an array, a generator "
                    "nor a PyDataset. Pass NumPy arrays, a generator yielding (x, y) batches, or "
                    "a kerasx.utils.PyDataset."
                ) from None
        if shuffle:
            self._warn_shuffle_ignored()
        steps = capped_steps(steps, self.num_batches)
        self.steps_per_epoch = steps
        self.steps = steps if steps is not None else self.num_batches
        self._pass = None
        self._used = 0
        self._shapes = None
        self._drawn = 0
        self.steps_per_execution = 1  # set by the step loop

    def __len__(self):
        return self.steps

    def _warn_shuffle_ignored(self):
        """Keras's warning for the streams whose order `fit` cannot shuffle: a generator,
        and a PyDataset of unknown length (a finite one has its batch order shuffled)."""
        if self.indexed and self.num_batches is None:
            what = ("an infinite PyDataset. The PyDataset is expected to already be "
                    "shuffled.")
        elif not self.indexed and not self.reiterable:
            what = "a generator. The generator is expected to yield already-shuffled data."
        else:
            return
        warnings.warn(f"`shuffle=True` was passed, but will be ignored since the data `x` "
                      f"was provided as {what} Pass shuffle=False to silence this warning.",
                      stacklevel=4)

    def epoch(self):
        """Yields the device batches of one epoch."""
        if self.indexed or self.reiterable:
            yield from self._passes_epoch()
        else:
            yield from self._generator_epoch()

    # -- PyDataset and re-iterable loaders -----------------------------------------------
    def _passes_epoch(self):
        if self.indexed and hasattr(self.source, "on_epoch_begin"):
            self.source.on_epoch_begin()
        if self.steps_per_epoch is None or self._pass is None:
            self._start_pass()
        limit = self._epoch_limit() or self.num_batches
        drawn = 0
        while limit is None or drawn < limit:
            item = None
            if self.num_batches is None or self._used < self.num_batches:
                item = next(self._pass, None)
            if item is None:
                self._pass_ran_out(drawn)
                break
            index, item = item
            self._used += 1
            drawn += 1
            yield self._to_batch(item, index)
        if self.num_batches is not None and self._used >= self.num_batches:
            self._close_pass()
        if self.indexed and hasattr(self.source, "on_epoch_end"):
            self.source.on_epoch_end()

    def _label(self):
        if self.indexed:
            return type(self.source).__name__
        return f"The {stream_kind(self.source)}"

    def _pass_ran_out(self, drawn):
        """Ends the pass; warns when that cuts an epoch of `steps_per_epoch` short."""
        used = self._used
        self._close_pass()
        if self.steps_per_epoch is None:
            if self.steps is None and used:
                self.steps = used  # a pass of unknown length: known after the first
            return
        size = "len(dataset)" if self.indexed else "the batches of one pass"
        if used < self.steps_per_epoch:
            advice = f"Lower steps_per_epoch to at most {size} ({used})."
        else:  # the pass spans epochs and ended partway through one
            advice = (f"Choose a steps_per_epoch that divides {size} ({used}) to keep epochs "
                      "whole, or leave it out for one pass per epoch.")
        warnings.warn(
            f"{self._label()} ran out of batches after {used} (this epoch drew "
            f"{drawn}), before steps_per_epoch={self.steps_per_epoch}; this epoch ends early "
            f"and the next one starts a new pass. {advice}",
            stacklevel=4,
        )

    def _start_pass(self):
        self._close_pass()
        self._used = 0
        if self.reiterable:
            self._pass = enumerate(iter(self.source))
            return
        if self.num_batches is None:
            indices = itertools.count()
        elif self.shuffle and not getattr(self.source, "orders_itself", False):
            from kerasx.backends import current

            indices = [int(i) for i in current().rng.permutation(self.num_batches)]
        else:
            indices = range(self.num_batches)
        if self.workers > 1:
            self._pool = concurrent.futures.ThreadPoolExecutor(
                max_workers=self.workers, thread_name_prefix="kerasx-pydataset")
            self._pass = _ordered_map(self._pool, self._get_item, indices, self.max_queue_size)
        else:
            self._pass = ((i, self._get_item(i)) for i in indices)
        self._used = 0

    def _get_item(self, index):
        return self.source[index]

    def _close_pass(self):
        pool = getattr(self, "_pool", None)
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._pass = None
        self._used = 0

    def close(self):
        """Stops the worker threads, if any, and drops the loader's iterator."""
        if self.indexed or self.reiterable:
            self._close_pass()

    # -- generators ----------------------------------------------------------------------
    def _epoch_limit(self):
        return drawn_per_epoch(self.steps_per_epoch, self.steps_per_execution)

    def _generator_epoch(self):
        drawn = 0
        limit = self._epoch_limit()
        while limit is None or drawn < limit:
            try:
                item = next(self._iterator)
            except StopIteration:
                if not self._drawn:
                    raise ValueError(
                        f"When passing a Python generator as `{self.what}`, the generator must "
                        "yield at least one batch. Received an empty generator. Check the "
                        "generator's loop, and that it was not used up by an earlier call."
                    ) from None
                if self.steps_per_epoch is not None:
                    warnings.warn(
                        f"The generator ran out of data after {drawn} batches of this epoch, "
                        f"before steps_per_epoch={self.steps_per_epoch}; the epoch ends early. "
                        "Make the generator loop forever (while True: ... yield) so it can produce "
                        "steps_per_epoch * epochs batches.",
                        stacklevel=3,
                    )
                elif self.steps is None and drawn:
                    self.steps = drawn
                return
            yield self._to_batch(item, self._drawn)
            drawn += 1
            self._drawn += 1

    # -- one batch -----------------------------------------------------------------------
    def _to_batch(self, item, index):
        if item is None or (isinstance(item, (tuple, list)) and item and item[0] is None):
            received = "None" if item is None else f"{type(item).__name__} whose x is None"
            raise ValueError(
                f"Batch {index} from {type(self.source).__name__} holds no inputs (received "
                f"{received}): each batch must be x, (x,), (x, y) or (x, y, sample_weight) with "
                "x an array (or a list / dict of arrays); a bare `yield` or a missing `return` "
                "value gives None."
            )
        if isinstance(item, dict):
            item = (item,)
        elif isinstance(item, list):
            item = tuple(item)
        elif not isinstance(item, tuple):
            item = (item,)
        if len(item) not in (1, 2, 3):
            raise ValueError(
                f"Each batch must be x, (x,), (x, y) or (x, y, sample_weight); batch {index} from "
                f"{type(self.source).__name__} is a tuple of {len(item)} items. Return "
                "(inputs, targets) or (inputs, targets, sample_weights)."
            )
        if self.inputs_only:
            item = item[:1]
        parts = [standardize(p, name) for p, name in zip(item, ("x", "y", "sample_weight"))]
        parts += [None] * (3 - len(parts))
        if self.class_weight is not None and parts[1] is not None:
            if parts[2] is not None:
                raise ValueError(
                    "You cannot use class_weight and sample_weight at the same time: batch "
                    f"{index} carries sample weights. Drop one of them (fold the class weights "
                    "into the sample weights)."
                )
            from kerasx.trainers.checks import class_weights_to_sample_weights

            parts[2] = class_weights_to_sample_weights(self.class_weight, parts[1], None)
        self._check_shapes(parts, index)
        if self.check is not None:
            self.check(parts, index)
        return tuple(to_device(p) for p in parts)

    def _check_shapes(self, parts, index):
        """Batches must keep the structure of the first (as many arrays in x, y and
        sample_weight); their sizes may change from batch to batch (sequences padded per
        batch), as in Keras: the model's checks decide whether it takes them."""
        counts = [len(flatten(p)) for p in parts]
        if self._shapes is None:
            self._shapes = counts
            return
        if counts != self._shapes:
            names = ("x", "y", "sample_weight")
            diff = next(i for i in range(3) if counts[i] != self._shapes[i])
            raise ValueError(
                f"{type(self.source).__name__} yielded batches of inconsistent structure: batch "
                f"{index} holds {counts[diff]} {names[diff]} array(s) but earlier batches held "
                f"{self._shapes[diff]}. Every batch must have the structure of the first."
            )


def _ordered_map(pool, fn, indices, lookahead):
    """Yields `(index, fn(index))` in order, with up to `lookahead` calls running ahead."""
    context = contextvars.copy_context()
    pending = []
    indices = iter(indices)

    def submit():
        try:
            i = next(indices)
        except StopIteration:
            return False
        pending.append((i, pool.submit(context.copy().run, fn, i)))
        return True

    for _ in range(lookahead):
        if not submit():
            break
    while pending:
        i, future = pending.pop(0)
        result = future.result()
        submit()
        yield i, result
