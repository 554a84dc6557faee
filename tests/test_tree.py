"""`keras.tree` against outputs of Keras 3.15.1's `keras.tree` (optree) on the same inputs."""

import collections
import time
import warnings

import numpy as np
import pytest

import kerasx as keras
from kerasx import tree

Foo = collections.namedtuple("Foo", ["b", "a"])
OD = collections.OrderedDict
DD = collections.defaultdict


class ListSubclass(list):
    pass


class DictSubclass(dict):
    pass


def test_keras_tree_is_the_module():
    assert keras.tree is tree
    assert set(tree.__all__) == {
        "MAP_TO_NONE", "assert_same_paths", "assert_same_structure", "flatten",
        "flatten_with_path", "is_nested", "lists_to_tuples", "map_shape_structure",
        "map_structure", "map_structure_up_to", "pack_sequence_as", "traverse"}


@pytest.mark.parametrize("structure, leaves", [
    ({"b": 1, "a": 2, "c": {"z": 3, "y": None}}, [2, 1, None, 3]),
    (OD([("b", 1), ("a", 2)]), [1, 2]),
    (DD(int, {"b": 1, "a": 2}), [2, 1]),
    (Foo(b=1, a=2), [1, 2]),
    (None, [None]),
    ([None, (None,)], [None, None]),
    (collections.deque([1, [2]], maxlen=5), [1, 2]),
    ({1: "a", "b": "c", 0.5: "d"}, ["d", "a", "c"]),
    ({3: "i3", 2.5: "f", 1: "i1", "z": "s", "a": "sa", None: "n", (1,): "t"},
     ["n", "f", "i1", "i3", "sa", "s", "t"]),
    ({True: "b", 0: "i0", "x": "s"}, ["b", "i0", "s"]),
    ({(1, 2): 1, (0, 5): 2}, [2, 1]),
    (OD([("z", {"b": 1, "a": 2}), ("y", 3)]), [2, 1, 3]),
    ([[], {}, ()], []),
    ([[1, 2, 3], [4, [5], [[6]]]], [1, 2, 3, 4, 5, 6]),
])
def test_flatten(structure, leaves):
    assert tree.flatten(structure) == leaves


@pytest.mark.parametrize("leaf", [
    ListSubclass([1, 2]), DictSubclass(a=1), {1, 2}, "abc", 7, np.ones(3)])
def test_subclasses_sets_strings_and_arrays_are_leaves(leaf):
    assert not tree.is_nested(leaf)
    (only,) = tree.flatten(leaf)
    assert only is leaf


def test_is_nested():
    nested = [[], (), {}, Foo(1, 2), collections.deque(), OD(), DD(int), time.gmtime(0)]
    assert all(tree.is_nested(x) for x in nested)
    assert not any(tree.is_nested(x) for x in (1, None, "s", b"b", 2.5))


def test_struct_sequences_are_containers():
    stamp = time.gmtime(0)
    assert tree.flatten(stamp) == [1970, 1, 1, 0, 0, 0, 3, 1, 0]
    assert tree.flatten_with_path(stamp)[:2] == [((0,), 1970), ((1,), 1)]
    packed = tree.pack_sequence_as(stamp, list(range(9)))
    assert type(packed) is time.struct_time and tuple(packed) == tuple(range(9))


def test_flatten_with_path():
    structure = [{"foo": 42, "a": (1, Foo(3, 4))}, None]
    assert tree.flatten_with_path(structure) == [
        ((0, "a", 0), 1), ((0, "a", 1, 0), 3), ((0, "a", 1, 1), 4), ((0, "foo"), 42), ((1,), None)]
    assert tree.flatten_with_path(5) == [((), 5)]
    assert tree.flatten_with_path(OD([("b", 1), ("a", 2)])) == [(("b",), 1), (("a",), 2)]
    assert tree.flatten_with_path(collections.deque([1, 2])) == [((0,), 1), ((1,), 2)]


def test_pack_sequence_as_keeps_the_key_order_and_container_types():
    packed = tree.pack_sequence_as({"key3": "", "key1": "", "key2": ""}, ["v1", "v2", "v3"])
    assert list(packed.items()) == [("key3", "v3"), ("key1", "v1"), ("key2", "v2")]
    nested = tree.pack_sequence_as({"z": {"b": 0, "a": 0}, "y": 0}, [1, 2, 3])
    assert nested == {"z": {"b": 3, "a": 2}, "y": 1} and list(nested) == ["z", "y"]
    assert tree.pack_sequence_as(Foo(0, [0, 0]), [1, 2, 3]) == Foo(b=1, a=[2, 3])
    od = tree.pack_sequence_as(OD([("b", 0), ("a", 0)]), [1, 2])
    assert type(od) is OD and list(od.items()) == [("b", 1), ("a", 2)]
    dd = tree.pack_sequence_as(DD(list, {"b": 0, "a": 0}), [1, 2])
    assert type(dd) is DD and dd.default_factory is list and list(dd.items()) == [("b", 2),
                                                                                  ("a", 1)]
    dq = tree.pack_sequence_as(collections.deque([0, 0], maxlen=3), [1, 2])
    assert type(dq) is collections.deque and list(dq) == [1, 2] and dq.maxlen == 3
    assert tree.pack_sequence_as(0, [5]) == 5
    assert tree.pack_sequence_as([0, (0,)], (5, 6)) == [5, (6,)]
    assert tree.pack_sequence_as([None, 1], [5, 6]) == [5, 6]


def test_pack_sequence_as_rejects_wrong_counts_and_non_iterables():
    with pytest.raises(ValueError, match="exactly 2 leaves .* got 1"):
        tree.pack_sequence_as([0, 0], [5])
    with pytest.raises(ValueError, match="exactly 2 leaves .* got 3"):
        tree.pack_sequence_as([0, 0], [5, 6, 7])
    with pytest.raises(ValueError, match="exactly 1 leaves"):
        tree.pack_sequence_as(0, [5, 6])
    with pytest.raises(TypeError, match="iterable"):
        tree.pack_sequence_as([0, 0], 5)


def test_flatten_then_pack_round_trips():
    structure = {"x": [1, (2, Foo(3, {"q": 4, "p": 5}))], "w": OD([("k", 6), ("j", None)])}
    assert tree.pack_sequence_as(structure, tree.flatten(structure)) == structure


def test_map_structure():
    assert tree.map_structure(lambda v: v * 2, Foo(1, 2)) == Foo(b=2, a=4)
    assert tree.map_structure(lambda x, y: x + y, [1, (2, 3)], [10, (20, 30)]) == [11, (22, 33)]
    three = tree.map_structure(lambda x, y, z: x + y + z, [1, {"a": 2}], [10, {"a": 20}],
                               [100, {"a": 200}])
    assert three == [111, {"a": 222}]
    assert tree.map_structure(lambda x, y: x + y, 1, 2) == 3
    seen = []
    out = tree.map_structure(seen.append, {"b": 1, "a": 2, "c": [3, 4]})
    assert seen == [2, 1, 3, 4] and list(out) == ["b", "a", "c"]
    dq = tree.map_structure(lambda v: v, collections.deque([1], maxlen=4))
    assert type(dq) is collections.deque and dq.maxlen == 4
    dd = tree.map_structure(lambda v: v, DD(list, {"b": 1}))
    assert type(dd) is DD and dd.default_factory is list


def test_map_structure_matches_dicts_by_key_and_follows_the_first():
    first_dict = tree.map_structure(lambda x, y: (x, y), {"b": 1, "a": 2},
                                    OD([("a", 3), ("b", 4)]))
    assert type(first_dict) is dict and list(first_dict.items()) == [("b", (1, 4)),
                                                                     ("a", (2, 3))]
    first_od = tree.map_structure(lambda x, y: (x, y), OD([("b", 1), ("a", 2)]), {"a": 3, "b": 4})
    assert type(first_od) is OD and list(first_od.items()) == [("b", (1, 4)), ("a", (2, 3))]


def test_map_structure_none_is_leaf():
    assert tree.map_structure(str, [None, 1]) == ["None", "1"]
    assert tree.map_structure(str, [None, 1], none_is_leaf=False) == [None, "1"]
    assert tree.map_structure(str, None, none_is_leaf=False) is None
    assert tree.map_structure(lambda v: 1, [None], none_is_leaf=False) == [None]
    pairs = tree.map_structure(lambda x, y: (x, y), [None, 1], [None, 2], none_is_leaf=False)
    assert pairs == [None, (1, 2)]
    with pytest.raises(ValueError, match="expected None"):
        tree.map_structure(lambda x, y: x, [None, 1], [3, 2], none_is_leaf=False)
    with pytest.raises(ValueError, match="same nested structure"):
        tree.map_structure(lambda x, y: x, [3, 1], [None, 2], none_is_leaf=False)
    assert tree.map_structure(lambda x, y: (x, y), [None], [1]) == [(None, 1)]


@pytest.mark.parametrize("a, b, match", [
    ([None, 1], [[1], 2], "expected a leaf"),
    ([1, 2], (1, 2), "instance of list"),
    ([1, 2], [1, 2, 3], "2 items, got 3"),
    ({"a": 1}, {"b": 1}, r"missing \['a'\], extra \['b'\]"),
    ([1, 2], [1, [2]], "expected a leaf like 2"),
    ([1, [2]], [1, 2], "instance of list, got 2"),
    (Foo(1, 2), collections.namedtuple("Foo", ["b", "a"])(1, 2), "never match"),
    (Foo(1, 2), (1, 2), "namedtuple"),
    ((1, 2), Foo(1, 2), "instance of tuple"),
    (collections.deque([1]), [1], "deque"),
    ([1], collections.deque([1]), "instance of list"),
    ({"a": 1}, [1], "instance of dict"),
    (1, [2], "expected a leaf"),
])
def test_map_structure_rejects_mismatched_structures(a, b, match):
    with pytest.raises(ValueError, match=match):
        tree.map_structure(lambda x, y: x, a, b)
    with pytest.raises(ValueError, match=match):
        tree.assert_same_structure(a, b)


def test_map_structure_arguments():
    with pytest.raises(ValueError, match="at least one structure"):
        tree.map_structure(lambda: 1)
    with pytest.raises(TypeError, match="callable"):
        tree.map_structure(5, [1])


def test_map_structure_up_to():
    assert tree.map_structure_up_to([None, None], len, [[1, 1], [2, 2, 2]]) == [2, 3]
    assert tree.map_structure_up_to([None, [None, None]], str, [[1, 1], [2, 2]]) == [
        "[1, 1]", ["2", "2"]]
    assert tree.map_structure_up_to([0, 0], lambda x, y: (x, y), [[1], 2], [3, [4]]) == [
        ([1], 3), (2, [4])]
    assert tree.map_structure_up_to({"a": 0, "b": 0}, str, {"b": [1], "a": 2}) == {
        "a": "2", "b": "[1]"}
    assert tree.map_structure_up_to(Foo(0, 0), lambda x: x, Foo([1], 2)) == Foo(b=[1], a=2)
    od_in = tree.map_structure_up_to({"b": 0, "a": 0}, lambda x: x, OD([("a", 1), ("b", 2)]))
    assert type(od_in) is dict and list(od_in.items()) == [("b", 2), ("a", 1)]
    assert tree.map_structure_up_to(0, lambda x: x, [1, 2]) == [1, 2]
    assert tree.map_structure_up_to([0, 0], lambda x: x, [None, 2]) == [None, 2]
    names = ["evens", ["odds", "primes"]]
    data = [[2, 4, 6, 8], [[1, 3, 5, 7, 9], [3, 5, 7]]]
    out = tree.map_structure_up_to(names, lambda n, d: f"{len(d)}_{n}", names, data)
    assert out == ["4_evens", ["5_odds", "3_primes"]]


@pytest.mark.parametrize("shallow, structure, match", [
    ([0, [0]], [1, 2], "instance of list, got 2"),
    ((0, 0), [1, 2], "instance of tuple"),
    ([0, 0], [1, 2, 3], "2 items, got 3"),
])
def test_map_structure_up_to_needs_structures_at_least_as_deep(shallow, structure, match):
    with pytest.raises(ValueError, match=match):
        tree.map_structure_up_to(shallow, lambda x: x, structure)


def test_map_structure_up_to_needs_a_structure():
    with pytest.raises(ValueError, match="at least one structure"):
        tree.map_structure_up_to([0], str)


def test_assert_same_structure_accepts_matching_structures():
    tree.assert_same_structure([(0, 1)], [(2, 3)])
    tree.assert_same_structure({"a": 0}, OD(a=1))
    tree.assert_same_structure({"a": 0}, DD(int, a=1))
    tree.assert_same_structure(OD([("b", 1), ("a", 2)]), OD([("a", 1), ("b", 2)]))
    tree.assert_same_structure([None], [1])
    tree.assert_same_structure([1], [None])
    tree.assert_same_structure("ab", "cde")
    with pytest.raises(ValueError, match="expected a leaf like None"):
        tree.assert_same_structure(None, [1])


def test_assert_same_structure_check_types_is_deprecated_and_ignored():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match="instance of list"):
            tree.assert_same_structure([0, 1], (0, 1), check_types=False)
        tree.assert_same_structure([0, 1], [0, 1], check_types=True)
    messages = [str(w.message) for w in caught if w.category is DeprecationWarning]
    assert len(messages) == 2
    assert "assert_same_paths" in messages[0] and messages[1].endswith("please remove.")


def test_assert_same_paths():
    tree.assert_same_paths([0, 1], (2, 3))
    tree.assert_same_paths(Foo(0, 1), (2, 3))
    tree.assert_same_paths({0: 1}, [1])
    tree.assert_same_paths(OD([("b", 1), ("a", 2)]), {"a": 1, "b": 2})
    tree.assert_same_paths([None], [1])
    tree.assert_same_paths(1, 2)
    tree.assert_same_paths([], {})
    with pytest.raises(ValueError, match=r"missing in `b`:\n\{\('a',\)\}\n.*\n\{\('b',\)\}"):
        tree.assert_same_paths({"a": 1}, {"b": 1})
    with pytest.raises(ValueError, match=r"missing in `b`:\n\{\(1, 0\)\}"):
        tree.assert_same_paths([1, [2]], [1, 2])
    with pytest.raises(ValueError, match=r"Paths in `b` missing in `a`:\n\{\(\)\}"):
        tree.assert_same_paths([], 1)


def test_traverse_visits_parents_before_or_after_children():
    structure = [(1, 2), [3], {"a": 4}]
    top_down, bottom_up = [], []
    assert tree.traverse(top_down.append, structure) == structure
    assert top_down == [structure, (1, 2), 1, 2, [3], 3, {"a": 4}, 4]
    assert tree.traverse(bottom_up.append, structure, top_down=False) == structure
    assert bottom_up == [1, 2, (1, 2), 3, [3], 4, {"a": 4}, structure]
    seen = []
    tree.traverse(seen.append, {"b": 1, "a": 2})
    assert seen == [{"b": 1, "a": 2}, 2, 1]


def test_traverse_replaces_sub_trees():
    is_tuple = lambda x: isinstance(x, tuple)  # noqa: E731
    assert tree.traverse(lambda x: "X" if is_tuple(x) else None, [(1, 2), [3, (4,)]]) == [
        "X", [3, "X"]]
    assert tree.traverse(lambda x: tree.MAP_TO_NONE if is_tuple(x) else None,
                         [(1, 2), [3]]) == [None, [3]]
    assert tree.traverse(lambda x: sum(x) if is_tuple(x) else None, [(1, 2), [(3, 4)]],
                         top_down=False) == [3, [7]]
    assert tree.traverse(lambda x: tree.MAP_TO_NONE if x == 1 else None, [1, [1, 2]],
                         top_down=False) == [None, [None, 2]]
    assert tree.traverse(lambda x: "Y" if x == [3] else None, [[3], [3, 4]]) == ["Y", [3, 4]]
    assert tree.traverse(lambda x: 0 if x == 1 else None, [1, 2]) == [0, 2]
    assert tree.traverse(lambda x: None, None) is None
    assert tree.traverse(lambda x: None, Foo([1], 2)) == Foo(b=[1], a=2)
    dq = tree.traverse(lambda x: None, collections.deque([1, [2]], maxlen=3))
    assert list(dq) == [1, [2]] and dq.maxlen == 3
    with pytest.raises(TypeError, match="callable"):
        tree.traverse(5, [1])


def test_lists_to_tuples():
    assert tree.lists_to_tuples([1, [2, {"a": [3]}], (4, [5])]) == (1, (2, {"a": (3,)}), (4, (5,)))
    assert tree.lists_to_tuples(Foo([1], 2)) == Foo(b=(1,), a=2)
    assert tree.lists_to_tuples(collections.deque([[1]])) == collections.deque([(1,)])
    assert tree.lists_to_tuples(5) == 5


def test_map_shape_structure_treats_int_tuples_as_leaves():
    tag = lambda s: ("S", s)  # noqa: E731
    out = tree.map_shape_structure(tag, [(None, 3), {"a": (1, 2), "b": [(), [4]]}, 5, None])
    assert out == [("S", (None, 3)), {"a": ("S", (1, 2)), "b": [("S", ()), ("S", [4])]},
                   ("S", 5), ("S", None)]
    assert tree.map_shape_structure(tag, [[1, 2], [3]]) == [("S", [1, 2]), ("S", [3])]
    assert tree.map_shape_structure(tag, (True, 2)) == ("S", (True, 2))
    assert tree.map_shape_structure(tag, []) == ("S", [])
    assert tree.map_shape_structure(tag, Foo(1, 2)) == ("S", Foo(b=1, a=2))
    assert tree.map_shape_structure(tag, {"a": (1.0, 2)}) == {"a": (("S", 1.0), ("S", 2))}
    od = tree.map_shape_structure(tag, OD([("b", (1,)), ("a", [None, [2]])]))
    assert type(od) is OD and od == OD([("b", ("S", (1,))), ("a", [("S", None), ("S", [2])])])
