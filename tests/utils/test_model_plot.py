"""`keras.utils.model_to_dot` and `plot_model`: the DOT text against what Keras 3.15.1
(with pydot) writes for the same models (`model_plot_keras.json`, made by
`make_model_plot_fixtures.py`), the graph's structure, and rendering through Graphviz."""

import json
import os
import re
import shutil
import stat

import pytest

import kerasx as keras
from kerasx import layers
from kerasx.utils.dot_graph import quote, quote_value
from tests.utils.model_plot_models import MODELS

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "model_plot_keras.json")) as _f:
    KERAS_DRAWINGS = json.load(_f)["drawings"]

_NODE = re.compile(r"^(\d+) \[label=<(.*)>, fontname=Helvetica, border=0, margin=0\];$")
_EDGE = re.compile(r"^(\d+) -> (\d+) \[penwidth=2\];$")


def renumber(text):
    ids = {}
    return re.sub(r"\b\d{6,}\b", lambda m: f"N{ids.setdefault(m.group(), len(ids))}", text)


def parse(text):
    """({node id: label}, [(source name, destination name)], {cluster: [names]}) of a DOT
    text, a node named by the bold layer name (or class) of its label."""
    labels, edges, clusters, cluster = {}, [], {}, None
    for line in text.splitlines():
        if line.startswith("subgraph cluster_"):
            cluster = line[len("subgraph cluster_"):-2].strip('"')
            clusters[cluster] = []
        elif line == "}":
            cluster = None
        elif (node := _NODE.match(line)):
            labels[node.group(1)] = node.group(2)
            if cluster is not None:
                clusters[cluster].append(node.group(1))
        elif (edge := _EDGE.match(line)):
            edges.append(edge.groups())
    names = {i: re.search(r"<b>(.*?)</b>", label).group(1) for i, label in labels.items()}
    return ({names[i]: label for i, label in labels.items()},
            sorted((names[a], names[b]) for a, b in edges),
            {c: sorted(names[i] for i in ids) for c, ids in clusters.items()})


@pytest.mark.parametrize("drawing", KERAS_DRAWINGS,
                         ids=[f"{d['model']}-{i}" for i, d in enumerate(KERAS_DRAWINGS)])
def test_dot_text_is_the_one_keras_writes(drawing):
    model = MODELS[drawing["model"]](keras, layers)
    dot = keras.utils.model_to_dot(model, **drawing["kwargs"])
    assert renumber(dot.to_string()) == drawing["dot"]


def test_branches_merges_and_outputs_are_connected_with_shapes():
    model = MODELS["two_inputs_two_outputs"](keras, layers)
    labels, edges, clusters = parse(keras.utils.model_to_dot(
        model, show_shapes=True, show_dtype=True, show_trainable=True).to_string())
    assert sorted(labels) == ["a", "add", "b", "d1", "d2", "inner", "o2"]
    assert edges == [("a", "d1"), ("add", "inner"), ("add", "o2"), ("b", "d2"), ("d1", "add"),
                     ("d2", "add")]
    assert clusters == {}
    assert "Input shape: <b>[(None, 5), (None, 5)]</b>" in labels["add"]
    assert "Output shape: <b>(None, 2)</b>" in labels["inner"]
    assert "Input shape" not in labels["a"] and "Output shape: <b>(None, 4)</b>" in labels["a"]
    assert "Output dtype: <b>float32</b>" in labels["d2"]
    assert "Non-trainable" in labels["o2"] and "Non-trainable" not in labels["d1"]
    assert "Trainable" not in labels["add"]  # no weights, no mark


def test_expand_nested_draws_the_inner_layers_in_a_cluster():
    model = MODELS["nested_functional"](keras, layers)
    labels, edges, clusters = parse(keras.utils.model_to_dot(model, expand_nested=True)
                                    .to_string())
    assert clusters == {"inner_f": ["cat", "h", "p", "q"], "seqn": ["s1"]}
    assert "inner_f" not in labels and "seqn" not in labels
    # into a nested functional model: its Inputs; out of it: the layer making the output
    assert ("shared", "p") in edges and ("shared", "q") in edges and ("h", "multiply") in edges
    assert ("a", "shared") in edges and ("cat", "s1") in edges and ("p", "h") in edges
    assert len(edges) == len(set(edges))
    _, flat_edges, flat_clusters = parse(keras.utils.model_to_dot(model).to_string())
    assert flat_clusters == {}
    assert ("shared", "inner_f") in flat_edges and ("inner_f", "seqn") in flat_edges


def test_a_subclassed_model_is_one_box():
    class Twice(keras.Model):
        def __init__(self):
            super().__init__(name="twice")
            self.dense = layers.Dense(2)

        def call(self, x):
            return self.dense(x) * 2

    model = Twice()
    model(keras.ops.ones((1, 3)))
    dot = keras.utils.model_to_dot(model, show_shapes=True)
    labels, edges, _ = parse(dot.to_string())
    assert list(labels) == ["twice"] and edges == []
    assert "Input shape: <b>?</b>" in labels["twice"]
    assert len(dot.get_nodes()) == 1 and dot.get_edges() == []


def test_names_are_escaped_in_labels_and_quoted_as_values():
    inputs = keras.Input((2,), name="x")
    model = keras.Model(inputs, layers.Dense(1, name="a<b&c")(inputs))
    text = keras.utils.model_to_dot(model).to_string()
    assert "<b>a&lt;b&amp;c</b>" in text and "a<b" not in text
    assert quote_value("inner_f") == '"inner_f"' and quote_value("TB") == "TB"
    assert quote_value(True) == "true" and quote_value("200") == "200"
    assert quote("12345") == "12345" and quote('say "hi"') == '"say \\"hi\\""'
    assert quote("graph") == '"graph"'


def test_the_pydot_style_accessors():
    model = MODELS["sequential"](keras, layers)
    dot = keras.utils.model_to_dot(model)
    nodes = dot.get_nodes()
    assert len(nodes) == 3
    first, last = nodes[0].get_name(), nodes[-1].get_name()
    assert dot.get_node(first) == [nodes[0]] and dot.get_edge(first, last) == []
    assert [(e.get_source(), e.get_destination()) for e in dot.get_edges()] == [
        (nodes[0].get_name(), nodes[1].get_name()), (nodes[1].get_name(), nodes[2].get_name())]
    assert dot.get("rankdir") == "TB" and nodes[0].get("fontname") == "Helvetica"
    assert str(dot) == dot.to_string()
    with pytest.raises(AttributeError):
        dot.no_such_method


def test_bad_calls_are_refused():
    with pytest.raises(ValueError, match="not been built"):
        keras.utils.model_to_dot(keras.Sequential([layers.Dense(2)]))
    model = MODELS["sequential"](keras, layers)
    with pytest.raises(ValueError, match="layer_range"):
        keras.utils.model_to_dot(model, layer_range=["s1", "s2"])
    with pytest.raises(ValueError, match="show_shape"):
        keras.utils.plot_model(model, to_file="x.dot", show_shape=True)
    with pytest.raises(TypeError, match="Expected a kerasx model"):
        keras.utils.model_to_dot("model")


def test_plot_model_writes_dot_text_without_graphviz(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    model = MODELS["two_inputs_two_outputs"](keras, layers)
    path = tmp_path / "plots" / "model.dot"
    assert keras.utils.plot_model(model, to_file=path, show_shapes=True) is None
    expected = keras.utils.model_to_dot(model, show_shapes=True, show_layer_names=False)
    assert path.read_text() == expected.to_string()
    assert "<b>Dense</b>" in path.read_text()  # plot_model hides layer names by default


def test_plot_model_to_an_image_without_graphviz_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    model = MODELS["sequential"](keras, layers)
    message = "(?s)Graphviz.*apt install graphviz.*to_file='model.dot'"
    with pytest.raises(ImportError, match=message):
        keras.utils.plot_model(model, to_file=tmp_path / "model.png")
    assert not (tmp_path / "model.png").exists()
    with pytest.raises(FileNotFoundError, match="Graphviz"):
        keras.utils.model_to_dot(model).create(format="svg")


def _fake_dot(directory, body):
    script = directory / "dot"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_create_and_write_run_dot_on_the_text(tmp_path, monkeypatch):
    # a stand-in for Graphviz: records its arguments and input, prints an "image"
    _fake_dot(tmp_path, f'echo "$@" > {tmp_path}/args\n{shutil.which("cat")} > {tmp_path}/stdin\n'
                        'printf "IMAGE"\n')
    monkeypatch.setenv("PATH", str(tmp_path))
    model = MODELS["sequential"](keras, layers)
    dot = keras.utils.model_to_dot(model)
    assert dot.create(prog="dot", format="svg") == b"IMAGE"
    assert (tmp_path / "args").read_text().split() == ["-Tsvg"]
    assert (tmp_path / "stdin").read_text() == dot.to_string()
    assert dot.create_png() == b"IMAGE" and (tmp_path / "args").read_text().split() == ["-Tpng"]
    dot.write_pdf(tmp_path / "m.pdf")
    assert (tmp_path / "m.pdf").read_bytes() == b"IMAGE"
    keras.utils.plot_model(model, to_file=tmp_path / "model")  # no extension: PNG
    assert (tmp_path / "model").read_bytes() == b"IMAGE"
    assert (tmp_path / "args").read_text().split() == ["-Tpng"]


def test_a_graphviz_failure_is_reported_with_its_message(tmp_path, monkeypatch):
    _fake_dot(tmp_path, 'echo "Format: \\"nope\\" not recognized" >&2\nexit 1\n')
    monkeypatch.setenv("PATH", str(tmp_path))
    model = MODELS["sequential"](keras, layers)
    with pytest.raises(RuntimeError, match="not recognized"):
        keras.utils.plot_model(model, to_file=tmp_path / "model.nope")


@pytest.mark.skipif(shutil.which("dot") is None,
                    reason="Graphviz's `dot` program is not installed on this machine")
def test_graphviz_renders_the_graph(tmp_path):
    model = MODELS["nested_functional"](keras, layers)
    path = tmp_path / "model.png"
    keras.utils.plot_model(model, to_file=path, show_shapes=True, expand_nested=True)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = keras.utils.model_to_dot(model, expand_nested=True).create(format="svg").decode()
    assert "<svg" in svg and all(name in svg for name in ("shared", "inner_f", "cat", "s1"))
