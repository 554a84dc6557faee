"""Nested structures of KerasTensors (lists, tuples, dicts; dict leaves in sorted key
order, as Keras): flattening, mapping and replacing their tensors."""

from kerasx import tree
from kerasx.layers.core.keras_tensor import KerasTensor


def flatten(structure):
    """The leaves of a nested list/tuple/dict structure; dicts in sorted key order."""
    if isinstance(structure, (list, tuple)):
        return [x for s in structure for x in flatten(s)]
    if isinstance(structure, dict):
        return [x for k in sorted(structure) for x in flatten(structure[k])]
    return [structure]


def map_structure(structure, fn, is_leaf=None):
    """`fn` applied to every KerasTensor (or every leaf where `is_leaf` says so)."""
    if is_leaf(structure) if is_leaf else isinstance(structure, KerasTensor):
        return fn(structure)
    if isinstance(structure, (list, tuple)):
        return tree.sequence_like(structure, [map_structure(s, fn, is_leaf) for s in structure])
    if isinstance(structure, dict):
        return {k: map_structure(v, fn, is_leaf) for k, v in structure.items()}
    return structure


def replace(structure, lookup):
    """The structure with each KerasTensor replaced by `lookup[id(tensor)]`."""
    return map_structure(structure, lambda t: lookup[id(t)])
