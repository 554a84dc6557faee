"""Lists, dicts, sets and tuples held by a layer: state put into them after the attribute
was set is tracked (weights, sublayers, metrics, seed generators, saving), state taken
out is not, and otherwise they behave as the plain containers (as Keras's `TrackedList`,
`TrackedDict`, `TrackedSet`)."""

import collections
import copy
import pickle

import numpy as np
import pytest

import kerasx as keras
from kerasx import tree
from kerasx.layers.tracked_containers import (TrackedDict, TrackedList, TrackedOrderedDict,
                                              TrackedSet)
from tests.conftest import to_numpy


class Holder(keras.layers.Layer):
    """Fills its containers in `build`, after they were set in `__init__`."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.items = []
        self.table = {}
        self.ordered = collections.OrderedDict()
        self.bag = set()
        self.pair = (keras.layers.Dense(2, name="in_tuple"), [])

    def build(self, input_shape):
        self.items.append(self.add_weight(shape=(2,), name="appended"))
        self.items.insert(0, keras.layers.Dense(3, name="inserted"))
        self.items.extend([keras.Variable(np.ones(1, "float32"), name="extended")])
        self.table["var"] = keras.Variable(np.zeros(2, "float32"), name="in_dict",
                                           trainable=False)
        self.table["metric"] = keras.metrics.Mean(name="held_mean")
        self.ordered["dense"] = keras.layers.Dense(1, name="in_ordered")
        self.bag.add(keras.random.SeedGenerator(3))
        self.pair[1].append(keras.Variable(np.ones(3, "float32"), name="in_tuple_list"))

    def call(self, x):
        return x


def _built():
    layer = Holder()
    layer.build((None, 2))
    return layer


def test_state_added_after_assignment_is_tracked():
    layer = _built()
    assert type(layer.items) is TrackedList and type(layer.table) is TrackedDict
    assert type(layer.ordered) is TrackedOrderedDict and type(layer.bag) is TrackedSet
    assert type(layer.pair) is tuple and type(layer.pair[1]) is TrackedList
    # own variables: trainable ones first, each group in the order tracked (as Keras)
    assert [v.name for v in layer.weights] == ["appended", "extended", "in_tuple_list",
                                               "in_dict"]
    assert [v.name for v in layer.non_trainable_weights] == ["in_dict"]
    assert [sub.name for sub in layer._tracked_layers] == ["in_tuple", "inserted", "in_ordered"]
    assert [m.name for m in layer.metrics] == ["held_mean"]
    assert len(layer._seed_generators) == 1
    # the sublayers' weights come with them once built
    layer.items[0].build((None, 4))
    assert [v.path for v in layer.weights[-2:]] == ["inserted/kernel", "inserted/bias"]


def test_nested_containers_are_tracked_at_any_depth():
    layer = keras.layers.Layer()
    layer.nested = {"a": [[], {"b": ()}]}
    inner = layer.nested["a"][0]
    assert type(inner) is TrackedList and type(layer.nested["a"][1]) is TrackedDict
    inner.append({"deep": keras.Variable(np.ones(2, "float32"), name="deep")})
    inner[0]["deeper"] = keras.layers.Dense(1, name="deeper")
    assert [v.name for v in layer.weights] == ["deep"]
    assert [sub.name for sub in layer._tracked_layers] == ["deeper"]


def test_items_taken_out_are_untracked():
    layer = _built()
    dense = layer.items.pop(0)
    assert dense not in layer._tracked_layers
    layer.items.remove(layer.items[0])  # the variable `appended`
    del layer.items[0]  # `extended`
    del layer.table["var"]
    assert layer.table.pop("metric").name == "held_mean" and layer.metrics == []
    assert layer.table.pop("missing", None) is None
    layer.ordered.popitem()
    layer.bag.pop()
    layer.pair[1].clear()
    assert layer.weights == [] and layer._seed_generators == []
    assert [sub.name for sub in layer._tracked_layers] == ["in_tuple"]


def test_setting_items_tracks_them():
    layer = keras.layers.Layer()
    layer.items = [None, None]
    layer.items[0] = keras.Variable(np.ones(1, "float32"), name="first")
    layer.items[1:] = [keras.Variable(np.ones(1, "float32"), name="second")]
    layer.items += [keras.layers.Dense(1, name="added")]
    layer.table = {}
    layer.table.update(a=keras.Variable(np.ones(1, "float32"), name="a"))
    layer.table.setdefault("b", keras.Variable(np.ones(1, "float32"), name="b"))
    layer.table |= {"c": keras.metrics.Sum(name="c")}
    assert [v.name for v in layer.weights] == ["first", "second", "a", "b"]
    assert [m.name for m in layer.metrics] == ["c"] and layer._tracked_layers[0].name == "added"


def test_they_behave_as_plain_containers():
    layer = keras.layers.Layer()
    layer.items = [1, [2, 3]]
    layer.table = {"b": 1, "a": (2, [3])}
    layer.ordered = collections.OrderedDict([("z", 1), ("y", 2)])
    layer.bag = {4, 5}
    assert layer.items == [1, [2, 3]] and layer.table == {"b": 1, "a": (2, [3])}
    assert layer.bag == {4, 5} and isinstance(layer.items, list)
    assert type(layer.items.copy()) is list and type(layer.items[:1]) is list
    # pickling and copying keep the class and the values
    for copied in (pickle.loads(pickle.dumps(layer.items)), copy.deepcopy(layer.items),
                   copy.copy(layer.items)):
        assert type(copied) is TrackedList and copied == layer.items
    assert pickle.loads(pickle.dumps(layer.ordered)) == layer.ordered
    assert list(copy.deepcopy(layer.ordered)) == ["z", "y"]
    # a container copied alone is free: adding to it changes nothing of the layer's
    free = copy.deepcopy(layer.items)
    free.append(keras.Variable(np.ones(1, "float32")))
    assert free.tracker is None and layer.weights == []


def test_copies_of_the_layer_keep_their_containers_tracking_the_copy():
    layer = _built()
    for copied in (copy.deepcopy(layer), pickle.loads(pickle.dumps(layer))):
        assert copied.items.tracker.layer is copied
        assert [v.name for v in copied.weights[:4]] == ["appended", "extended",
                                                         "in_tuple_list", "in_dict"]
        assert copied.items[1] is copied.weights[0]  # the same variable object
        np.testing.assert_array_equal(to_numpy(copied.items[1]), to_numpy(layer.items[1]))
        copied.items.pop(1)
        assert "appended" not in [v.name for v in copied.weights]
        assert "appended" in [v.name for v in layer.weights]


def test_tree_utilities_treat_them_as_lists_dicts_and_sets():
    layer = keras.layers.Layer()
    layer.items = [1, [2, 3], {"b": 4, "a": (5, [6])}]
    layer.ordered = collections.OrderedDict([("z", 1), ("y", 2)])
    layer.bag = {7}
    assert tree.flatten(layer.items) == [1, 2, 3, 5, 6, 4]
    assert tree.flatten(layer.ordered) == [1, 2] and tree.flatten(layer.bag) == [7]
    assert tree.is_nested(layer.items) and tree.is_nested(layer.bag)
    assert tree.flatten_with_path(layer.items)[3] == ((2, "a", 0), 5)
    doubled = tree.map_structure(lambda x: 2 * x, layer.items)
    # rebuilt as Keras rebuilds them: free containers of the same class
    assert type(doubled) is TrackedList and doubled.tracker is None
    assert doubled == [2, [4, 6], {"a": (10, [12]), "b": 8}]
    assert tree.pack_sequence_as(layer.items, list(range(6))) == [0, [1, 2], {"a": (3, [4]),
                                                                              "b": 5}]
    # a plain list of the same shape has the same structure
    tree.assert_same_structure(layer.items, [0, [0, 0], {"a": (0, [0]), "b": 0}])
    assert tree.map_structure(lambda x, y: x + y, layer.items,
                              [0, [0, 0], {"a": (0, [0]), "b": 10}])[2]["b"] == 14
    with pytest.raises(ValueError, match="same nested structure"):
        tree.assert_same_structure(layer.items, [0, [0], {"a": (0, [0]), "b": 0}])
    assert tree.lists_to_tuples(layer.items) == (1, (2, 3), {"a": (5, (6,)), "b": 4})


def test_get_config_and_json_of_a_layer_holding_them():
    class Configured(keras.layers.Layer):
        def __init__(self, sizes, options, **kwargs):
            super().__init__(**kwargs)
            self.sizes = sizes
            self.options = options

        def get_config(self):
            return {**super().get_config(), "sizes": self.sizes, "options": self.options}

    layer = Configured([1, 2], {"mode": ["a"]})
    layer.sizes.append(3)
    config = layer.get_config()
    assert config["sizes"] == [1, 2, 3] and config["options"] == {"mode": ["a"]}
    rebuilt = Configured.from_config(config)
    assert rebuilt.sizes == [1, 2, 3] and type(rebuilt.sizes) is TrackedList
    import json

    assert json.loads(json.dumps(config))["sizes"] == [1, 2, 3]


def test_other_subclasses_keep_their_type_and_their_variables_are_tracked():
    layer = keras.layers.Layer()
    variable = keras.Variable(np.ones(1, "float32"), name="in_defaultdict")
    layer.counts = collections.defaultdict(int, {"v": variable})
    assert type(layer.counts) is collections.defaultdict and layer.weights == [variable]


def test_saving_finds_state_appended_to_a_list(tmp_path):
    pytest.importorskip("h5py")

    class Blocks(keras.Model):
        def __init__(self):
            super().__init__()
            self.blocks = []
            for units in (3, 2):
                self.blocks.append(keras.layers.Dense(units))

        def call(self, x):
            for block in self.blocks:
                x = block(x)
            return x

    x = np.random.default_rng(0).normal(size=(4, 5)).astype("float32")
    model = Blocks()
    model(x)
    assert len(model.weights) == 4
    path = str(tmp_path / "blocks.weights.h5")
    model.save_weights(path)
    other = Blocks()
    other(x)
    other.load_weights(path)
    np.testing.assert_array_equal(to_numpy(other(x)), to_numpy(model(x)))
