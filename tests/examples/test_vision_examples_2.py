"""More patterns from the keras.io computer-vision examples that once behaved differently
from Keras 3.

Each test is a small program reproducing what an example does (Grad-CAM removing the last
activation, EDSR's PSNR metric function, involution's layer returning a pair, DeepLabV3+'s
`preprocess_input` on an `Input`, the learnable resizer's interpolations), checked against
what Keras 3 does with the same code.
"""

import numpy as np
import pytest

import kerasx as keras
from kerasx import layers, ops
from tests.conftest import to_numpy


# -- grad_cam: `model.layers[-1].activation = None` ----------------------------------------------

@pytest.mark.parametrize("make, shape", [
    (lambda: layers.Dense(3, activation="softmax"), (2, 4)),
    (lambda: layers.Dense(3, activation="relu"), (2, 4)),
    (lambda: layers.EinsumDense("ab,bc->ac", output_shape=3, activation="tanh"), (2, 4)),
    (lambda: layers.Conv2D(3, 3, activation="relu"), (2, 5, 5, 2)),
    (lambda: layers.Conv2D(3, 3, activation="sigmoid"), (2, 5, 5, 2)),
    (lambda: layers.Conv2DTranspose(3, 3, activation="relu"), (2, 5, 5, 2)),
    (lambda: layers.SeparableConv2D(3, 3, activation="relu"), (2, 5, 5, 2)),
    (lambda: layers.DepthwiseConv2D(3, activation="elu"), (2, 5, 5, 2)),
])
def test_an_activation_set_to_none_after_construction_is_skipped(make, shape):
    layer = make()
    x = np.random.default_rng(0).normal(size=shape).astype("float32")
    layer(x)
    linear = make()
    linear(x)
    linear.set_weights(layer.get_weights())
    linear.activation = keras.activations.linear
    layer.activation = None  # what the Grad-CAM example does to read the logits
    np.testing.assert_allclose(to_numpy(layer(x)), to_numpy(linear(x)), rtol=1e-6, atol=1e-6)


def test_grad_cam_heatmap_from_a_model_without_its_last_activation():
    inputs = keras.Input((8, 8, 3))
    x = layers.Conv2D(4, 3, activation="relu", name="last_conv")(inputs)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(5, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.layers[-1].activation = None
    grad_model = keras.Model(model.inputs, [model.get_layer("last_conv").output, model.output])
    image = np.random.default_rng(1).uniform(size=(1, 8, 8, 3)).astype("float32")
    with keras.GradientTape() as tape:
        conv_output, preds = grad_model(image)
        class_channel = preds[:, int(ops.argmax(preds[0]))]
    grads = tape.gradient(class_channel, conv_output)
    assert tuple(grads.shape) == (1, 6, 6, 4)
    # logits, not probabilities: the scores need not sum to one
    assert not np.isclose(float(ops.sum(preds)), 1.0)


# -- edsr: a metric function is named in snake case -----------------------------------------------

def PSNR(super_resolution, high_resolution):  # noqa: N802 (the example's name)
    mse = ops.mean(ops.square(high_resolution - super_resolution), axis=(1, 2, 3))
    return 10.0 * ops.log10(255.0 ** 2 / mse)


def myMetric(y_true, y_pred):  # noqa: N802
    return ops.mean(ops.abs(y_true - y_pred), axis=-1)


def test_metric_functions_are_named_in_snake_case_as_in_keras():
    model = keras.Sequential([keras.Input((4, 4, 3)), layers.Conv2D(3, 1)])
    model.compile(optimizer="adam", loss="mae",
                  metrics=[PSNR, keras.metrics.MeanSquaredError(name="MyMSE")])
    x = np.random.default_rng(0).uniform(0, 255, (4, 4, 4, 3)).astype("float32")
    history = model.fit(x, x, batch_size=2, epochs=1, validation_data=(x, x), verbose=0)
    assert sorted(history.history) == ["MyMSE", "loss", "psnr", "val_MyMSE", "val_loss",
                                       "val_psnr"]
    model.compile(optimizer="adam", loss="mae", metrics=[myMetric, keras.losses.mean_squared_error])
    logs = model.evaluate(x, x, verbose=0, return_dict=True)
    assert sorted(logs) == ["loss", "mean_squared_error", "my_metric"]


# -- involution: the output of a layer returning a pair -------------------------------------------

class _ValueAndKernel(layers.Layer):
    def call(self, x):
        return x * 2.0, ops.sum(x, axis=-1)


def test_layer_output_of_a_layer_returning_a_tuple_is_a_flat_list():
    inputs = keras.Input((4, 3))
    x, _ = _ValueAndKernel(name="inv_1")(inputs)
    x, _ = _ValueAndKernel(name="inv_2")(x)
    model = keras.Model(inputs, layers.Flatten()(x))
    output = model.get_layer("inv_1").output
    assert isinstance(output, list) and len(output) == 2
    vis_model = keras.Model(model.input, [model.get_layer(n).output for n in ("inv_1", "inv_2")])
    (inv1_out, inv2_out) = vis_model.predict(np.ones((1, 4, 3), "float32"), verbose=0)
    _, inv1_kernel = inv1_out
    np.testing.assert_allclose(inv1_kernel, np.full((1, 4), 3.0))
    np.testing.assert_allclose(inv2_out[1], np.full((1, 4), 6.0))


def test_layer_input_and_output_with_dicts_are_flat_lists_in_key_order():
    class Swap(layers.Layer):
        def call(self, d):
            return {"q": d["x"] + 1.0, "p": d["y"] * 2.0}

    a, b = keras.Input((2,), name="a"), keras.Input((2,), name="b")
    layer = Swap()
    out = layer({"y": b, "x": a})
    assert layer.input == [a, b]  # sorted keys: x, y
    assert layer.output == [out["p"], out["q"]]
    dense = layers.Dense(2)
    assert dense(a) is dense.output


# -- deeplabv3_plus: preprocess_input on an Input -------------------------------------------------

def test_preprocess_input_on_an_input_adds_keras_s_graph_nodes():
    inputs = keras.Input((4, 4, 3))
    model = keras.Model(inputs, keras.applications.resnet50.preprocess_input(inputs))
    # Keras's operations: input_layer, get_item, get_item_1, get_item_2, stack, add
    names = [op.name for op in model.operations]
    assert names == ["input_layer", "get_item", "get_item_1", "get_item_2", "stack", "add"]
    x = np.random.default_rng(0).uniform(0, 255, (2, 4, 4, 3)).astype("float32")
    expected = x[..., ::-1] - np.array([103.939, 116.779, 123.68], "float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-6, atol=1e-4)
    np.testing.assert_allclose(to_numpy(keras.applications.resnet50.preprocess_input(
        ops.convert_to_tensor(x))), expected, rtol=1e-6, atol=1e-4)


# -- learnable_resizer: Resizing with every interpolation of ops.image.resize ---------------------

@pytest.mark.parametrize("interpolation", ["bicubic", "lanczos3", "lanczos5"])
@pytest.mark.parametrize("antialias", [False, True])
def test_resizing_layer_samples_as_ops_image_resize(interpolation, antialias):
    x = np.random.default_rng(0).uniform(0, 255, (2, 12, 10, 3)).astype("float32")
    layer = layers.Resizing(5, 7, interpolation=interpolation, antialias=antialias)
    expected = ops.image.resize(x, (5, 7), interpolation=interpolation, antialias=antialias)
    np.testing.assert_allclose(to_numpy(layer(x)), to_numpy(expected), rtol=1e-6)
    assert layer.get_config()["antialias"] is antialias
    restored = layers.Resizing.from_config(layer.get_config())
    np.testing.assert_allclose(to_numpy(restored(x)), to_numpy(expected), rtol=1e-6)


def test_resizing_bicubic_keeps_integer_images_in_their_dtype_and_a_plain_line_whole():
    ramp = np.tile(np.arange(8, dtype="float32")[None, :, None], (8, 1, 1))[None]
    up = to_numpy(layers.Resizing(8, 16, interpolation="bicubic")(ramp))
    # a cubic kernel reproduces a linear ramp away from the borders
    np.testing.assert_allclose(up[0, 0, 4:12, 0], (np.arange(4, 12) + 0.5) / 2 - 0.5, atol=1e-5)
    images = (np.arange(2 * 6 * 6 * 3) % 255).astype("uint8").reshape(2, 6, 6, 3)
    out = layers.Resizing(4, 4, interpolation="lanczos3")(images)
    assert keras.backend.standardize_dtype(out.dtype) == "uint8"


def test_resizing_refuses_an_unknown_interpolation():
    with pytest.raises(ValueError, match="interpolation"):
        layers.Resizing(4, 4, interpolation="area2")


# -- keypoint_detection: `x / 127.5` on an Input (mobilenet_v2.preprocess_input) ------------------

def test_division_of_a_keras_tensor_is_a_true_divide_node(tmp_path):
    inputs = keras.Input((4,))
    halved = inputs / 2.0
    inverse = 1.0 / inputs
    third = ops.true_divide(inputs, 3.0)
    model = keras.Model(inputs, [halved, inverse, third])
    assert [op.name for op in model.operations] == [
        "input_layer", "true_divide", "true_divide_1", "true_divide_2"]
    entries = model.get_config()["layers"]
    assert [(e["class_name"], e["module"]) for e in entries[1:]] == \
        [("TrueDivide", "keras.src.ops.numpy")] * 3
    x = np.arange(1, 9, dtype="float32").reshape(2, 4)
    path = str(tmp_path / "divide.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    for got, want in zip(loaded.predict(x, verbose=0), (x / 2, 1 / x, x / 3)):
        np.testing.assert_allclose(got, want, rtol=1e-6)
    # ops.divide stays a Divide node
    model = keras.Model(inputs, ops.divide(inputs, 2.0))
    assert model.get_config()["layers"][-1]["class_name"] == "Divide"


def test_mobilenet_v2_preprocess_input_on_an_input_divides_and_subtracts():
    inputs = keras.Input((3, 3, 3))
    model = keras.Model(inputs, keras.applications.mobilenet_v2.preprocess_input(inputs))
    assert [op.name for op in model.operations] == ["input_layer", "true_divide", "subtract"]
    x = np.full((1, 3, 3, 3), 255.0, "float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), np.ones_like(x))


# -- fully_convolutional_network: `x[-1] = block(x[-1])` on a model's list of outputs -------------

def test_changing_the_list_a_multi_output_model_returns_keeps_the_graph():
    vgg_in = keras.Input((6,))
    h1 = layers.Dense(4, name="block4_pool")(vgg_in)
    h2 = layers.Dense(3, name="block5_pool")(h1)
    vgg = keras.Model(vgg_in, h2)
    backbone = keras.Model(inputs=vgg.layers[1].input,
                           outputs=[vgg.get_layer(n).output for n in ("block4_pool", "block5_pool")])
    inputs = keras.Input((6,))
    x = backbone(inputs)
    x[-1] = layers.Dense(2, name="dense_convs")(x[-1])
    pool4_output, pool5_output = x
    outputs = layers.Concatenate()([pool4_output, pool5_output])
    model = keras.Model(inputs, outputs)
    assert model.output_shape == (None, 6)
    assert [layer.name for layer in model.layers][-2:] == ["dense_convs", "concatenate"]
    assert model.predict(np.ones((2, 6), "float32"), verbose=0).shape == (2, 6)
    again = backbone(inputs)  # the recorded call still gives the backbone's own outputs
    assert [tuple(t.shape) for t in again] == [(None, 4), (None, 3)]


# -- semantic_image_clustering: reshaping the batch axis of a KerasTensor -------------------------

def test_reshape_of_an_unknown_batch_into_groups_keeps_an_unknown_batch():
    k_neighbours, num_clusters = 3, 4
    anchor = keras.Input((5,), name="anchors")
    neighbours = keras.Input((k_neighbours, 5), name="neighbours")
    clustering = layers.Dense(num_clusters, activation="softmax")
    neighbours_clustering = clustering(ops.reshape(neighbours, (-1, 5)))
    grouped = ops.reshape(neighbours_clustering,
                          (-1, k_neighbours, ops.shape(neighbours_clustering)[-1]))
    assert tuple(grouped.shape) == (None, k_neighbours, num_clusters)
    similarity = ops.einsum("bij,bkj->bik", ops.expand_dims(clustering(anchor), axis=1), grouped)
    similarity = layers.Lambda(lambda x: ops.squeeze(x, axis=1), name="similarity")(similarity)
    assert tuple(similarity.shape) == (None, k_neighbours)
    model = keras.Model([anchor, neighbours], similarity)
    out = model.predict([np.ones((2, 5), "float32"), np.ones((2, 3, 5), "float32")], verbose=0)
    assert out.shape == (2, 3)
    pairs = ops.reshape(keras.Input((6,)), (-1, 4))  # batch * 6 rows of 4: size known only later
    assert tuple(pairs.shape) == (None, 4)


def test_a_reshape_that_fits_no_batch_still_reports_its_error():
    with pytest.raises(ValueError, match="reshape"):
        ops.reshape(keras.Input((5,)), (-1, 3, 7, 11, 13))


# -- summaries with positions for more columns than the table has --------------------------------

def test_summary_ignores_positions_past_its_columns():
    inputs = keras.Input((8, 8, 3))
    model = keras.Model(inputs, layers.Dense(2)(layers.GlobalAveragePooling2D()(inputs)))
    lines = []
    model.summary(line_length=90, positions=[0.4, 0.7, 0.85, 1.0], print_fn=lines.append)
    table = lines[0].splitlines()
    top, header = table[1], table[2]
    assert top.count("┳") == 2 and header.count("┃") == 4  # three columns, as Keras draws
    assert all(len(line) == len(top) for line in table[1:-4])
