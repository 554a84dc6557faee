"""`vectorize`: a Python function of scalars (or of core blocks, with a signature)
applied over whole arrays, as `numpy.vectorize`."""

import functools
import itertools
import re

from kerasx.ops._helpers import TensorOps, shape_of, value_of

_DIMS = r"\(\s*(?:\w+(?:\s*,\s*\w+)*)?\s*\)"
_SIGNATURE = re.compile(rf"^\s*{_DIMS}(?:\s*,\s*{_DIMS})*\s*->\s*{_DIMS}(?:\s*,\s*{_DIMS})*\s*$")


def _parse(signature):
    """`([core dims of each input], [core dims of each output])` of a signature such as
    `"(m,n),(n)->(m)"`."""
    if not isinstance(signature, str) or not _SIGNATURE.match(signature):
        raise ValueError(f"vectorize: signature must look like '(m,n),(n)->(m)', received "
                         f"{signature!r}.")
    inputs, outputs = signature.split("->")

    def groups(text):
        return [tuple(d for d in (p.strip() for p in g.split(",")) if d)
                for g in re.findall(r"\(([^)]*)\)", text)]

    return groups(inputs), groups(outputs)


def vectorize(pyfunc, *, excluded=None, signature=None):
    """`pyfunc` made to apply over arrays: each call loops over the broadcast shape of
    the array arguments and calls `pyfunc` on one entry of each (a 0-d tensor; with a
    `signature` such as `"(n),(n)->()"`, on the trailing core blocks it names), then
    stacks the results. Arguments named in `excluded` (positions or keyword names) are
    passed through unchanged. The entries are read with differentiable indexing and
    the results joined with `stack`, so gradients flow through `pyfunc`. Runs one
    Python call per entry: a convenience, not a fast path."""
    from kerasx.ops.shape import convert_to_tensor, reshape, stack

    excluded = set(excluded or ())
    core_in, core_out = _parse(signature) if signature is not None else (None, None)

    @functools.wraps(pyfunc)
    def vectorized(*args, **kwargs):
        positions = [i for i in range(len(args)) if i not in excluded]
        names = [k for k in kwargs if k not in excluded]
        if core_in is not None and len(positions) + len(names) != len(core_in):
            raise ValueError(f"vectorize: the signature {signature!r} names {len(core_in)} "
                             f"inputs; the call passes {len(positions) + len(names)} arrays.")
        # as tensors, so `pyfunc` gets tensors (with their operators) for its entries
        arrays = [a if isinstance(a, TensorOps) else convert_to_tensor(value_of(a))
                  for a in [args[i] for i in positions] + [kwargs[k] for k in names]]
        ranks = [len(core) for core in core_in] if core_in is not None else [0] * len(arrays)
        loops, sizes = [], {}
        for i, (a, rank) in enumerate(zip(arrays, ranks)):
            shape = shape_of(value_of(a))
            if len(shape) < rank:
                raise ValueError(f"vectorize: input {i} of shape {shape} has fewer axes than "
                                 f"its core dimensions {core_in[i]}.")
            loops.append(shape[:len(shape) - rank])
            for name, n in zip(core_in[i] if core_in else (), shape[len(shape) - rank:]):
                if sizes.setdefault(name, n) != n:
                    raise ValueError(f"vectorize: core dimension {name!r} has sizes "
                                     f"{sizes[name]} and {n} in different inputs.")
        loop = _broadcast(loops)
        results = []
        for index in itertools.product(*(range(n) for n in loop)):
            parts = [a[_entry(index, loop_shape)] if loop_shape else a
                     for a, loop_shape in zip(arrays, loops)]
            call_args = list(args)
            for i, part in zip(positions, parts):
                call_args[i] = part
            call_kwargs = dict(kwargs)
            call_kwargs.update(zip(names, parts[len(positions):]))
            results.append(pyfunc(*call_args, **call_kwargs))
        if not results:
            raise ValueError("vectorize: cannot call the function on an empty loop; the output "
                             "type would be unknown.")
        several = isinstance(results[0], tuple)
        columns = list(zip(*results)) if several else [results]
        outputs = []
        for column in columns:
            column = [c if hasattr(value_of(c), "shape") else convert_to_tensor(value_of(c))
                      for c in column]
            stacked = stack(column, axis=0)
            outputs.append(reshape(stacked, tuple(loop) + shape_of(value_of(stacked))[1:]))
        return tuple(outputs) if several else outputs[0]

    return vectorized


def _broadcast(shapes):
    rank = max((len(s) for s in shapes), default=0)
    out = []
    for axis in range(rank):
        sizes = {s[axis - rank + len(s)] for s in shapes if axis - rank + len(s) >= 0} - {1}
        if len(sizes) > 1:
            raise ValueError(f"vectorize: the loop shapes {shapes} do not broadcast.")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def _entry(index, shape):
    """The key of the entry `index` (of the broadcast loop) in an input whose loop
    shape is `shape`: trailing axes aligned, size-1 axes held at 0."""
    tail = index[len(index) - len(shape):]
    return tuple(0 if n == 1 else i for i, n in zip(tail, shape)) + (Ellipsis,)
