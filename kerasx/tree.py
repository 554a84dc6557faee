"""`keras.tree`: flatten, rebuild and map nested structures of lists, tuples and dicts.

    >>> keras.tree.flatten({"b": [1, 2], "a": 3})
    [3, 1, 2]
    >>> keras.tree.map_structure(lambda x, y: x + y, [1, (2, 3)], [10, (20, 30)])
    [11, (22, 33)]

The containers are `list`, `tuple`, namedtuples, `dict`, `collections.OrderedDict`,
`collections.defaultdict`, `collections.deque` and struct sequences (`time.struct_time`);
the tracked containers a layer keeps its list, dict and set attributes in count as the
list, dict and set they subclass (a rebuilt one is a free container of the same class);
everything else, other subclasses of `list` and `dict` included, is a leaf, and so is
`None` unless `none_is_leaf=False`. Dicts and defaultdicts are visited in sorted key order
(keys of mixed types are grouped by type name), an OrderedDict in its own order;
rebuilt dicts keep the key order of the structure they were rebuilt from.
"""

import collections

_DICTS = (dict, collections.OrderedDict, collections.defaultdict)


class MAP_TO_NONE:
    """Return this from the function given to `traverse` to replace a sub-tree by None."""


class _Node:
    """One container of a structure: its children in visiting order, the path entry of each
    child, and how to rebuild a container of the same kind from new children."""

    __slots__ = ("value", "children", "entries", "rebuild")

    def __init__(self, value, children, entries, rebuild):
        self.value, self.children, self.entries, self.rebuild = value, children, entries, rebuild


def _is_namedtuple(x):
    fields = getattr(type(x), "_fields", None)
    return isinstance(x, tuple) and isinstance(fields, tuple) and hasattr(type(x), "_make")


def _is_structseq(x):
    cls = type(x)
    return (isinstance(x, tuple) and cls is not tuple and hasattr(cls, "n_sequence_fields")
            and hasattr(cls, "n_fields") and hasattr(cls, "n_unnamed_fields"))


def sequence_like(like, items):
    """The list `items` as a list or tuple of `like`'s type (a namedtuple takes them as
    its fields)."""
    kind = type(like)
    return kind(*items) if _is_namedtuple(like) else kind(items)


def _plain_type(x):
    """The container type `x` counts as: its class, or for a layer's tracked list, dict
    or set the built-in one it tracks (`_tree_kind`)."""
    kind = type(x)
    return getattr(kind, "_tree_kind", kind)


def _sorted_keys(mapping):
    keys = list(mapping)
    if _plain_type(mapping) is collections.OrderedDict:
        return keys
    try:
        return sorted(keys)
    except TypeError:
        groups = {}
        for key in keys:
            groups.setdefault((type(key).__module__, type(key).__qualname__), []).append(key)
        ordered = []
        for name in sorted(groups):
            try:
                ordered.extend(sorted(groups[name]))
            except TypeError:
                ordered.extend(groups[name])
        return ordered


def _rebuild_dict(mapping, keys):
    def rebuild(children):
        by_key = dict(zip(keys, children))
        values = [(key, by_key[key]) for key in mapping]
        if type(mapping) is collections.defaultdict:
            return collections.defaultdict(mapping.default_factory, values)
        return type(mapping)(values)

    return rebuild


def _node(x, none_is_leaf=True):
    """The `_Node` of `x`, or None when `x` is a leaf."""
    kind = type(x)
    if kind is list:
        return _Node(x, list(x), list(range(len(x))), list)
    if kind is tuple:
        return _Node(x, list(x), list(range(len(x))), tuple)
    if kind in _DICTS:
        keys = _sorted_keys(x)
        return _Node(x, [x[k] for k in keys], keys, _rebuild_dict(x, keys))
    if kind is collections.deque:
        return _Node(x, list(x), list(range(len(x))),
                     lambda children: collections.deque(children, maxlen=x.maxlen))
    if _is_namedtuple(x):
        return _Node(x, list(x), list(range(len(x))), lambda children: kind(*children))
    if _is_structseq(x):
        return _Node(x, list(x), list(range(len(x))), kind)
    plain = getattr(kind, "_tree_kind", None)
    if plain in _DICTS:
        keys = _sorted_keys(x)
        return _Node(x, [x[k] for k in keys], keys, _rebuild_dict(x, keys))
    if plain is not None:  # a tracked list or set, visited in its own order
        return _Node(x, list(x), list(range(len(x))), kind)
    if x is None and not none_is_leaf:
        return _Node(x, [], [], lambda children: None)
    return None


def _kind_name(node):
    x = node.value
    if x is None:
        return "None"
    if _plain_type(x) in _DICTS:
        return "dict, collections.OrderedDict or collections.defaultdict"
    if _is_namedtuple(x) and type(x) is not tuple:
        return f"namedtuple {type(x).__module__}.{type(x).__qualname__}"
    return type(x).__qualname__


def _match(node, other, none_is_leaf, path):
    """The children of `other` matched to those of `node`, or a ValueError saying how
    `other` differs."""
    x = node.value
    where = f" at path {path}" if path else ""
    other_node = _node(other, none_is_leaf)
    same_kind = other_node is not None and (
        _plain_type(x) is _plain_type(other)
        or (_plain_type(x) in _DICTS and _plain_type(other) in _DICTS))
    if not same_kind:
        if x is None:
            raise ValueError(f"The structures don't have the same nested structure{where}: "
                             f"expected None (a container of nothing with none_is_leaf=False), "
                             f"got {other!r}.")
        hint = (" Two namedtuple classes never match, even with the same name and fields."
                if _is_namedtuple(x) and _is_namedtuple(other) else "")
        raise ValueError(f"The structures don't have the same nested structure{where}: expected "
                         f"an instance of {_kind_name(node)}, got {other!r}. Pass structures "
                         f"whose containers have the same types at the same places.{hint}")
    if _plain_type(x) in _DICTS:
        if set(x) != set(other):
            missing = [k for k in node.entries if k not in other]
            extra = [k for k in other if k not in x]
            raise ValueError(f"The structures don't have the same nested structure{where}: "
                             f"dict keys differ; expected keys {node.entries}, got keys "
                             f"{list(other)} (missing {missing}, extra {extra}).")
        return [other[k] for k in node.entries]
    if len(other_node.children) != len(node.children):
        raise ValueError(f"The structures don't have the same nested structure{where}: expected "
                         f"a {_kind_name(node)} of {len(node.children)} items, got "
                         f"{len(other_node.children)} items: {other!r}.")
    return other_node.children


def _check_callable(func):
    if not callable(func):
        raise TypeError(f"Expected a callable function, got {func!r} of type "
                        f"{type(func).__name__}.")


def is_nested(structure):
    """True for a container (list, tuple, namedtuple, dict, deque...), False for a leaf
    (None, numbers, strings, arrays, sets...)."""
    return _node(structure) is not None


def flatten(structure):
    """The leaves of `structure` as a list, dict values in sorted key order.

    >>> keras.tree.flatten([[1, 2, 3], [4, [5], [[6]]]])
    [1, 2, 3, 4, 5, 6]
    >>> keras.tree.flatten(None)
    [None]
    """
    return [leaf for _, leaf in _walk(structure, ())]


def flatten_with_path(structure):
    """`(path, leaf)` pairs in `flatten` order; a path is the tuple of indices and dict keys
    leading to the leaf.

    >>> keras.tree.flatten_with_path([{"foo": 42}])
    [((0, 'foo'), 42)]
    """
    return list(_walk(structure, ()))


def _walk(structure, path):
    node = _node(structure)
    if node is None:
        yield path, structure
        return
    for entry, child in zip(node.entries, node.children):
        yield from _walk(child, path + (entry,))


def pack_sequence_as(structure, flat_sequence):
    """The leaves of `flat_sequence` packed into the containers of `structure`: the inverse
    of `flatten`.

    >>> keras.tree.pack_sequence_as({"key3": "", "key1": "", "key2": ""}, ["v1", "v2", "v3"])
    {'key3': 'v3', 'key1': 'v1', 'key2': 'v2'}
    """
    try:
        leaves = iter(flat_sequence)
    except TypeError:
        raise TypeError(f"`flat_sequence` must be an iterable of leaves, got {flat_sequence!r} "
                        f"of type {type(flat_sequence).__name__}. Pass a list, e.g. "
                        "`keras.tree.flatten(...)`'s output.") from None
    leaves = list(leaves)
    expected = len(flatten(structure))
    if len(leaves) != expected:
        raise ValueError(f"`pack_sequence_as` needs exactly {expected} leaves for {structure!r}, "
                         f"got {len(leaves)}. Pass a sequence as long as "
                         "`keras.tree.flatten(structure)`.")
    return _pack(structure, iter(leaves))


def _pack(structure, leaves):
    node = _node(structure)
    if node is None:
        return next(leaves)
    return node.rebuild([_pack(child, leaves) for child in node.children])


def map_structure(func, *structures, none_is_leaf=True):
    """`func` applied to the matching leaves of `structures`, packed in the containers of
    the first one. With `none_is_leaf=False`, None values are kept as they are and never
    passed to `func`.

    >>> keras.tree.map_structure(lambda x, y: x * y, [[1], [2]], [[3], [4]])
    [[3], [8]]
    """
    _check_callable(func)
    if not structures:
        raise ValueError("`map_structure` needs at least one structure, got none. Pass the "
                         "structures after the function: `map_structure(func, s1, s2)`.")
    return _map(func, structures, none_is_leaf, ())


def _map(func, structures, none_is_leaf, path):
    first = structures[0]
    node = _node(first, none_is_leaf)
    if node is None:
        for other in structures[1:]:
            if _node(other, none_is_leaf) is not None:
                where = f" at path {path}" if path else ""
                raise ValueError(f"The structures don't have the same nested structure{where}: "
                                 f"expected a leaf like {first!r}, got the container {other!r}.")
        return func(*structures)
    groups = [node.children] + [_match(node, s, none_is_leaf, path) for s in structures[1:]]
    return node.rebuild([_map(func, items, none_is_leaf, path + (entry,))
                         for entry, items in zip(node.entries, zip(*groups))])


def map_structure_up_to(shallow_structure, func, *structures):
    """`func` applied to the sub-trees of `structures` found at the leaves of
    `shallow_structure`; deeper parts are passed to `func` whole.

    >>> keras.tree.map_structure_up_to([None, None], len, [[1, 1], [2, 2, 2]])
    [2, 3]
    """
    _check_callable(func)
    if not structures:
        raise ValueError("`map_structure_up_to` needs at least one structure besides the "
                         "shallow structure, got none.")
    return _map_up_to(shallow_structure, func, structures, ())


def _map_up_to(shallow, func, structures, path):
    node = _node(shallow)
    if node is None:
        return func(*structures)
    groups = zip(*[_match(node, s, True, path) for s in structures])
    return node.rebuild([_map_up_to(child, func, items, path + (entry,))
                         for entry, child, items in zip(node.entries, node.children, groups)])


def assert_same_structure(a, b, check_types=None):
    """Raises ValueError unless `a` and `b` have the same containers (same types, lengths
    and dict keys; dict, OrderedDict and defaultdict count as one type) at the same places.

    `check_types` is deprecated and has no effect; `assert_same_paths` is the looser check.
    """
    if check_types is not None:
        import warnings

        hint = (", please remove." if check_types else
                ". For a looser check, use `keras.tree.assert_same_paths()`, which considers "
                "`list`, `tuple`, `namedtuple` and `deque` as matching")
        warnings.warn("The `check_types` argument is deprecated and no longer has any effect" +
                      hint, DeprecationWarning, stacklevel=2)
    _map(lambda *_: None, (a, b), True, ())


def assert_same_paths(a, b):
    """Raises ValueError unless `a` and `b` have the same leaf paths, whatever the container
    types (`[0, 1]` and `(2, 3)` match; a namedtuple's paths are its indices)."""
    a_paths = {path for path, _ in _walk(a, ())}
    b_paths = {path for path, _ in _walk(b, ())}
    if a_paths != b_paths:
        message = "`a` and `b` don't have the same paths."
        if a_paths - b_paths:
            message += f"\nPaths in `a` missing in `b`:\n{a_paths - b_paths}"
        if b_paths - a_paths:
            message += f"\nPaths in `b` missing in `a`:\n{b_paths - a_paths}"
        raise ValueError(message)


def traverse(func, structure, top_down=True):
    """Visits every sub-tree of `structure` depth-first, leaves included.

    Top-down, `func(subtree)` is called before the children: None continues into the
    sub-tree, any other value replaces it (`MAP_TO_NONE` replaces it by None). Bottom-up,
    `func` sees each sub-tree after its children were traversed, and None keeps it.

    >>> keras.tree.traverse(lambda x: "X" if isinstance(x, tuple) else None, [(1, 2), [3]])
    ['X', [3]]
    """
    _check_callable(func)
    return _traverse(func, structure, top_down)


def _traverse(func, structure, top_down):
    def children_traversed():
        node = _node(structure)
        if node is None:
            return structure
        return node.rebuild([_traverse(func, child, top_down) for child in node.children])

    if top_down:
        result = func(structure)
        if result is None:
            return children_traversed()
    else:
        traversed = children_traversed()
        result = func(traversed)
        if result is None:
            return traversed
    return None if result is MAP_TO_NONE else result


def lists_to_tuples(structure):
    """`structure` with every list turned into a tuple, at every depth."""
    return traverse(lambda x: tuple(x) if isinstance(x, list) else None, structure,
                    top_down=False)


def map_shape_structure(func, structure):
    """`map_structure` that treats shapes as leaves: a list or tuple of ints and Nones
    (empty ones included) is passed to `func` whole."""
    _check_callable(func)
    return _map_shapes(func, structure)


def _is_shape(x):
    return isinstance(x, (list, tuple)) and all(isinstance(e, (int, type(None))) for e in x)


def _map_shapes(func, structure):
    node = None if _is_shape(structure) else _node(structure)
    if node is None:
        return func(structure)
    return node.rebuild([_map_shapes(func, child) for child in node.children])


__all__ = ["MAP_TO_NONE", "assert_same_paths", "assert_same_structure", "flatten",
           "flatten_with_path", "is_nested", "lists_to_tuples", "map_shape_structure",
           "map_structure", "map_structure_up_to", "pack_sequence_as", "traverse"]
