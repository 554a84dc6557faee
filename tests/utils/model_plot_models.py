"""The models the `model_to_dot` tests draw, written once for both kerasx and Keras (the
fixture script draws them with Keras 3.15.1, the tests with kerasx)."""


def sequential(keras, layers):
    return keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="relu", name="s1"),
                             layers.Dropout(0.5, name="drop"), layers.Dense(2, name="s2")],
                            name="seq")


def two_inputs_two_outputs(keras, layers):
    """Branches, a merge, a frozen layer and a nested Sequential."""
    a = keras.Input((4,), name="a")
    b = keras.Input((3,), name="b")
    x = layers.Dense(5, activation="relu", name="d1")(a)
    y = layers.Dense(5, name="d2")(b)
    z = layers.Add(name="add")([x, y])
    inner = keras.Sequential([keras.Input((5,)), layers.Dense(2, name="id1"),
                              layers.Dense(2, activation="tanh", name="id2")], name="inner")
    frozen = layers.Dense(1, name="o2")
    frozen.trainable = False
    return keras.Model([a, b], [inner(z), frozen(z)], name="branches")


def nested_functional(keras, layers):
    """A shared layer, a nested functional model with two inputs and two outputs, an
    operation node (`* 2`), a nested Sequential and dict outputs."""
    p = keras.Input((4,), name="p")
    q = keras.Input((4,), name="q")
    h = layers.Dense(4, name="h")(p)
    inner = keras.Model([p, q], [h, layers.Concatenate(name="cat")([h, q])], name="inner_f")
    a = keras.Input((4,), name="a")
    shared = layers.Dense(4, name="shared")
    u = shared(a)
    v = shared(u)
    o1, o2 = inner([u, v])
    seq = keras.Sequential([keras.Input((8,)), layers.Dense(3, name="s1")], name="seqn")
    return keras.Model(a, {"x": o1 * 2, "y": seq(o2)}, name="outer")


MODELS = {"sequential": sequential, "two_inputs_two_outputs": two_inputs_two_outputs,
          "nested_functional": nested_functional}

# (name, model_to_dot keyword arguments) of each drawing kept as a fixture
DRAWINGS = [
    ("sequential", {}),
    ("sequential", {"show_shapes": True, "show_layer_activations": True, "rankdir": "LR"}),
    ("two_inputs_two_outputs", {"show_shapes": True, "show_dtype": True,
                                "show_layer_activations": True, "show_trainable": True}),
    ("two_inputs_two_outputs", {"expand_nested": True, "show_layer_names": False}),
    ("nested_functional", {}),
    ("nested_functional", {"expand_nested": True, "show_shapes": True, "dpi": 96,
                           "splines": "polyline"}),
]
