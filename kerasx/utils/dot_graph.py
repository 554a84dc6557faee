"""A DOT graph as plain text, with the part of `pydot.Dot`'s interface that Keras
users call on what `model_to_dot` returns: `to_string()`, `create(...)`,
`write(...)`, `create_png()`, `write_svg(path)`, `get_nodes()`, `get_edges()`.

Rendering to an image runs Graphviz's `dot` program; building and writing the
text needs nothing.
"""

import os
import re
import shutil
import subprocess

_PLAIN_ID = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_]*|-?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?))$")
_GRAPHVIZ_HINT = (
    "Install Graphviz, which provides it: `apt install graphviz` (Debian/Ubuntu), "
    "`brew install graphviz` (macOS), `conda install graphviz`, or see "
    "https://graphviz.org/download/. Writing the graph as DOT text needs nothing: "
    "`plot_model(model, to_file='model.dot')` or `model_to_dot(model).to_string()`."
)


_NUMBER = re.compile(r"^[-]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)$")
_KEYWORDS = ("node", "edge", "graph", "digraph", "subgraph", "strict")


def _text(value):
    return str(value).lower() if isinstance(value, bool) else str(value)


def _is_html(text):
    return text.startswith("<") and text.endswith(">")


def _quoted(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def quote(value):
    """`value` as a DOT ID: plain names and numbers as they are, HTML labels (`<...>`) as
    they are, keywords and anything else in double quotes."""
    text = _text(value)
    if text.lower() not in _KEYWORDS and (_PLAIN_ID.match(text) or _is_html(text)):
        return text
    return _quoted(text)


def quote_value(value):
    """`value` as an attribute value, quoted as pydot quotes it: letters and digits not
    starting with a digit, numbers and HTML labels as they are, anything else quoted."""
    text = _text(value)
    plain = (text.isalnum() and text.isascii() and not text[0].isdigit()) or text.isdigit()
    if text.lower() not in _KEYWORDS and (plain or _NUMBER.match(text) or _is_html(text)):
        return text
    return _quoted(text)


def _attribute_list(attributes):
    return ", ".join(f"{key}={quote_value(value)}" for key, value in attributes.items())


class _Element:
    def __init__(self, attributes):
        self.attributes = dict(attributes)

    def get(self, name):
        """The value of attribute `name` (None when unset)."""
        return self.attributes.get(name)

    def set(self, name, value):
        self.attributes[name] = value

    def get_attributes(self):
        return dict(self.attributes)


class DotNode(_Element):
    """One box: its ID (`get_name()`) and attributes (`get("label")`)."""

    def __init__(self, name, **attributes):
        super().__init__(attributes)
        self.name = str(name)

    def get_name(self):
        return self.name

    def to_string(self):
        attributes = _attribute_list(self.attributes)
        return f"{quote(self.name)} [{attributes}];" if attributes else f"{quote(self.name)};"


class DotEdge(_Element):
    """An arrow from the node named `source` to the node named `destination`."""

    def __init__(self, source, destination, **attributes):
        super().__init__(attributes)
        self.source, self.destination = str(source), str(destination)

    def get_source(self):
        return self.source

    def get_destination(self):
        return self.destination

    def to_string(self):
        arrow = f"{quote(self.source)} -> {quote(self.destination)}"
        attributes = _attribute_list(self.attributes)
        return f"{arrow} [{attributes}];" if attributes else f"{arrow};"


class DotGraph(_Element):
    """A directed graph (`digraph`), or with `cluster=True` a cluster drawn inside one.

    Statements keep the order they were added in, as pydot's do, so nodes and
    clusters appear in the model's layer order.
    """

    def __init__(self, name="G", cluster=False, **attributes):
        super().__init__(attributes)
        self.name = f"cluster_{name}" if cluster else name
        self.cluster = cluster
        self.node_defaults = {}
        self._statements = []

    def get_name(self):
        return self.name

    def set_node_defaults(self, **attributes):
        self.node_defaults.update(attributes)

    def add_node(self, node):
        self._statements.append(node)

    def add_edge(self, edge):
        self._statements.append(edge)

    def add_subgraph(self, graph):
        self._statements.append(graph)

    def get_nodes(self):
        """The nodes of this graph (not those inside its clusters)."""
        return [s for s in self._statements if isinstance(s, DotNode)]

    def get_node(self, name):
        """The nodes named `name` (a list, as pydot returns)."""
        return [n for n in self.get_nodes() if n.name == str(name)]

    def get_edges(self):
        """The edges of this graph (not those inside its clusters)."""
        return [s for s in self._statements if isinstance(s, DotEdge)]

    def get_edge(self, source, destination):
        """The edges from `source` to `destination` (a list, as pydot returns)."""
        return [e for e in self.get_edges()
                if (e.source, e.destination) == (str(source), str(destination))]

    def get_subgraphs(self):
        return [s for s in self._statements if isinstance(s, DotGraph)]

    def to_string(self):
        """The graph in the DOT language."""
        head = f"subgraph {quote(self.name)}" if self.cluster else f"digraph {quote(self.name)}"
        lines = [head + " {"]
        lines += [f"{key}={quote_value(value)};" for key, value in self.attributes.items()]
        if self.node_defaults:
            lines.append(f"node [{_attribute_list(self.node_defaults)}];")
        lines += [statement.to_string().rstrip("\n") for statement in self._statements]
        lines.append("}")
        return "\n".join(lines) + "\n"

    __str__ = to_string

    def create(self, prog=None, format="ps", encoding=None):
        """The graph rendered by Graphviz (`prog`, default `dot`, or a list of the program
        and its arguments) in `format` (`"png"`, `"svg"`, `"pdf"`, ...), as bytes."""
        del encoding  # pydot's argument: the DOT text is always written as UTF-8
        command = [prog or "dot"] if not isinstance(prog, (list, tuple)) else list(prog)
        executable = shutil.which(command[0])
        if executable is None:
            raise FileNotFoundError(
                f"Rendering a graph as {format!r} needs Graphviz's {command[0]!r} program, "
                f"which was not found on PATH. {_GRAPHVIZ_HINT}"
            )
        result = subprocess.run([executable, f"-T{format}", *command[1:]],
                                input=self.to_string().encode("utf-8"), capture_output=True,
                                check=False)
        if result.returncode != 0:
            raise RuntimeError(
                f"Graphviz's {command[0]!r} failed (exit status {result.returncode}) rendering "
                f"the graph as {format!r}: {result.stderr.decode('utf-8', 'replace').strip()}"
            )
        return result.stdout

    def write(self, path, prog=None, format="raw", encoding=None):
        """Writes the graph to `path`: the DOT text itself with `format="raw"` (the
        default), else the output of `create(prog, format)`."""
        data = (self.to_string().encode("utf-8") if format == "raw"
                else self.create(prog, format, encoding))
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        return True

    def __getattr__(self, name):
        # pydot's create_png(), write_svg(path), ...: `create`/`write` with the format
        for verb in ("create", "write"):
            if name.startswith(verb + "_") and len(name) > len(verb) + 1:
                method, format = getattr(self, verb), name[len(verb) + 1:]
                if verb == "create":
                    return lambda prog=None, encoding=None: method(prog, format, encoding)
                return lambda path, prog=None, encoding=None: method(path, prog, format,
                                                                     encoding)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
