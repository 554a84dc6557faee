"""Symbolic output shapes from probe runs: one run where the layer's own
`compute_output_shape` (or fully known input sizes) settles them, two where it does not."""

import kerasx as keras
from kerasx import ops


class Counted(keras.layers.Layer):
    """Doubles the last axis and counts its runs; declares its shape when `declare`."""

    def __init__(self, declare=None, **kwargs):
        super().__init__(**kwargs)
        self.declare = declare
        self.runs = 0

    def call(self, x):
        self.runs += 1
        return ops.concatenate([x, x], axis=-1)

    def compute_output_shape(self, shape):
        if self.declare is None:
            raise NotImplementedError
        return self.declare(shape)


def test_a_declared_shape_agreeing_with_the_probe_saves_the_second_run():
    layer = Counted(declare=lambda s: s[:-1] + (2 * s[-1],))
    out = layer(keras.Input((5, 3)))
    assert out.shape == (None, 5, 6)
    assert layer.runs == 1


def test_fully_known_input_sizes_need_one_run():
    layer = Counted()
    out = layer(keras.Input((5, 3), batch_size=4))
    assert out.shape == (4, 5, 6)
    assert layer.runs == 1


def test_without_a_declared_shape_two_runs_find_the_batch_axis():
    layer = Counted()
    assert layer(keras.Input((3,))).shape == (None, 6)
    assert layer.runs == 2


def test_a_declared_shape_that_disagrees_is_checked_by_a_second_run():
    # a subclass whose inherited declaration no longer fits what its call returns
    wrong = Counted(declare=lambda s: s)
    assert wrong(keras.Input((3,))).shape == (None, 6)
    assert wrong.runs == 2
    # a declared concrete batch size cannot be told from the probe's batch of 1
    fixed = Counted(declare=lambda s: (1, 2 * s[-1]))
    assert fixed(keras.Input((3,))).shape == (None, 6)
    assert fixed.runs == 2


def test_unknown_inner_sizes_keep_two_runs():
    layer = Counted(declare=lambda s: s[:-1] + (2 * s[-1],))
    assert layer(keras.Input((None, 3))).shape == (None, None, 6)
    assert layer.runs == 2


def test_a_dict_of_declared_shapes_is_compared_entry_by_entry():
    class Pair(keras.layers.Layer):
        runs = 0

        def call(self, x):
            Pair.runs += 1
            return {"same": x, "sum": ops.sum(x, axis=-1, keepdims=True)}

        def compute_output_shape(self, shape):
            return {"same": shape, "sum": shape[:-1] + (1,)}

    out = Pair()(keras.Input((4,)))
    assert (out["same"].shape, out["sum"].shape) == ((None, 4), (None, 1))
    assert Pair.runs == 1


def test_built_in_layers_of_a_convnet_need_one_run_each(monkeypatch):
    from kerasx.layers.core import _shape_probes

    runs = []
    original = _shape_probes._probe_runs

    def counting(layer, flat, inputs, args, kwargs, fill_sets):
        runs.extend([type(layer).__name__] * len(fill_sets))
        return original(layer, flat, inputs, args, kwargs, fill_sets)

    monkeypatch.setattr(_shape_probes, "_probe_runs", counting)
    inputs = keras.Input((16, 16, 3))
    x = keras.layers.ZeroPadding2D(1)(inputs)
    x = keras.layers.Conv2D(4, 3, strides=2)(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Activation("relu")(x)
    y = keras.layers.DepthwiseConv2D(3, padding="same")(x)
    x = keras.layers.Add()([x, y])
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(3)(x)
    assert runs == ["ZeroPadding2D", "Conv2D", "BatchNormalization", "Activation",
                    "DepthwiseConv2D", "Add", "MaxPooling2D", "GlobalAveragePooling2D", "Dense"]
    assert (y.shape, x.shape, outputs.shape) == ((None, 8, 8, 4), (None, 4), (None, 3))


def test_a_declaration_that_would_run_the_layer_is_not_asked_for():
    # Lambda without output_shape declares its shape by running itself: the symbolic
    # call keeps to its own two runs instead
    runs = []

    def double(x):
        runs.append(tuple(x.shape))
        return ops.concatenate([x, x], axis=-1)

    assert keras.layers.Lambda(double)(keras.Input((3,))).shape == (None, 6)
    assert runs == [(1, 3), (2, 9 - 6)]
    # so does a Sequential holding a layer without a declared shape: two runs when the
    # Sequential builds its own graph, two for the call
    class Plain(keras.layers.Layer):
        runs = 0

        def call(self, x):
            Plain.runs += 1
            return ops.concatenate([x, x], axis=-1)

    nested = keras.Sequential([Plain()])
    assert nested(keras.Input((3,))).shape == (None, 6)
    assert Plain.runs == 4
