"""`model.summary()`: Keras's layer table and parameter totals."""

import re

import pytest

import kerasx as keras
from kerasx.utils.summary import print_summary
from tests.trainers.helpers import make_data


def _summary(model, **kwargs):
    texts = []
    model.summary(print_fn=texts.append, **kwargs)
    assert len(texts) == 1  # Keras 3 hands the whole summary to print_fn at once
    return texts[0]


def _mlp():
    return keras.Sequential([keras.Input(shape=(8,)), keras.layers.Dense(16, activation="relu"),
                             keras.layers.Dropout(0.5), keras.layers.Dense(2, activation="softmax")],
                            name="mlp")


def test_sequential_summary_lists_layers_shapes_and_totals():
    text = _summary(_mlp(), line_length=76)
    lines = text.splitlines()
    assert lines[0] == 'Model: "mlp"'
    assert lines[1] == "┏" + "━" * 33 + "┳" + "━" * 24 + "┳" + "━" * 15 + "┓"
    assert re.match(r"┃ Layer \(type\) +┃ Output Shape +┃ +Param # ┃", lines[2])
    assert re.search(r"│ dense \(Dense\) +│ \(None, 16\) +│ +144 │", text)
    assert re.search(r"│ dropout \(Dropout\) +│ \(None, 16\) +│ +0 │", text)
    assert re.search(r"│ dense_1 \(Dense\) +│ \(None, 2\) +│ +34 │", text)
    assert all(len(line) == 76 for line in lines[1:-3])
    assert text.endswith(" Total params: 178 (712.00 B)\n Trainable params: 178 (712.00 B)\n"
                         " Non-trainable params: 0 (0.00 B)\n")


def test_optimizer_parameters_are_counted_once_built():
    model = _mlp()
    model.compile(optimizer=keras.optimizers.SGD(momentum=0.9), loss="sparse_categorical_crossentropy")
    x, y = make_data(n=8, features=8, classes=2)
    model.fit(x, y, epochs=1, verbose=0)
    text = _summary(model)
    optimizer_count = sum(int(v.numpy().size) for v in model.optimizer.variables)
    assert f" Optimizer params: {optimizer_count:,}" in text
    assert f" Total params: {178 + optimizer_count:,}" in text


def test_non_trainable_layers_and_show_trainable():
    model = _mlp()
    model.layers[0].trainable = False
    text = _summary(model, show_trainable=True, line_length=110)
    assert " Trainable params: 34 (136.00 B)" in text
    assert " Non-trainable params: 144 (576.00 B)" in text
    assert re.search(r"┃ Trainab… ┃", text)  # Keras 3.15.1 cuts the header so at this width
    rows = [line for line in text.splitlines() if line.startswith("│ dense")]
    assert rows[0].rstrip("│").rstrip().endswith("N") and rows[1].rstrip("│").rstrip().endswith("Y")


def test_line_length_and_default_print(capsys):
    _mlp().summary(line_length=100)
    out = capsys.readouterr().out
    assert out.startswith('Model: "mlp"\n')
    assert max(len(line) for line in out.splitlines()) == 100


def test_unbuilt_model_shows_question_marks():
    model = keras.Sequential([keras.layers.Dense(4)], name="lazy")
    text = _summary(model)
    assert re.search(r"│ dense \(Dense\) +│ \? +│ +0 \(unbuilt\) │", text)
    assert " Total params: 0 (0.00 B)" in text


def test_functional_model_with_branches_shows_connections():
    a = keras.Input(shape=(3,), name="a")
    b = keras.Input(shape=(5,), name="b")
    merged = keras.layers.Concatenate(name="cat")([a, b])
    out = keras.layers.Dense(2, name="out")(merged)
    text = _summary(keras.Model([a, b], out, name="two"))
    assert "Connected to" in text
    assert re.search(r"│ cat \(Concatenate\) +│ \(None, 8\) +│ +0 │ a\[0\]\[0\], b\[0\]\[0\]", text)
    assert re.search(r"│ a \(InputLayer\) +│ \(None, 3\) +│ +0 │ - ", text)
    assert re.search(r"│ out \(Dense\) +│ \(None, 2\) +│ +18 │ cat\[0\]\[0\]", text)


def test_layer_range_limits_the_rows():
    texts = []
    print_summary(_mlp(), layer_range=["dropout", "dense_1"], print_fn=texts.append)
    assert "dropout (Dropout)" in texts[0] and "dense_1 (Dense)" in texts[0]
    assert "dense (Dense)" not in texts[0]
    with pytest.raises(ValueError, match=r"layer_range \['x', 'y'\] does not match the layer names.*'dropout"):
        print_summary(_mlp(), layer_range=["x", "y"])


def test_operations_are_rows_and_long_words_are_cut_as_keras_prints_them():
    keras.utils.clear_session()
    ids = keras.Input((6,), dtype="int32")
    e = keras.layers.Embedding(10, 8)(ids)
    x = keras.layers.LayerNormalization()(keras.layers.Dense(8)(e) + e)
    out = keras.layers.Dense(1)(keras.layers.GlobalAveragePooling1D()(x))
    text = _summary(keras.Model(ids, out), line_length=80)
    # the rows Keras 3.15.1 prints for this model at line_length=80
    expected = """\
│ add (Add)             │ (None, 6, 8)      │           0 │ dense[0][0],       │
│                       │                   │             │ embedding[0][0]    │
├───────────────────────┼───────────────────┼─────────────┼────────────────────┤
│ layer_normalization   │ (None, 6, 8)      │          16 │ add[0][0]          │
│ (LayerNormalization)  │                   │             │                    │
├───────────────────────┼───────────────────┼─────────────┼────────────────────┤
│ global_average_pooli… │ (None, 8)         │           0 │ layer_normalizati… │
│ (GlobalAveragePoolin… │                   │             │                    │
"""
    assert expected in text
