"""Writes `model_plot_keras.json`: the DOT text Keras 3.15.1 (with pydot) gives for the
drawings of `model_plot_models.DRAWINGS`, node IDs renumbered in order of appearance.

Run with Keras and pydot installed:
    cd tests/utils && KERAS_BACKEND=numpy python make_model_plot_fixtures.py
"""

import json
import os
import re

import keras
from keras import layers

from model_plot_models import DRAWINGS, MODELS

HERE = os.path.dirname(os.path.abspath(__file__))


def renumber(text):
    """The DOT text with each node ID (an object id) replaced by N0, N1, ... in order."""
    ids = {}
    return re.sub(r"\b\d{6,}\b", lambda m: f"N{ids.setdefault(m.group(), len(ids))}", text)


def main():
    drawings = []
    for name, kwargs in DRAWINGS:
        keras.utils.clear_session()
        model = MODELS[name](keras, layers)
        dot = keras.utils.model_to_dot(model, **kwargs)
        drawings.append({"model": name, "kwargs": kwargs, "dot": renumber(dot.to_string())})
    with open(os.path.join(HERE, "model_plot_keras.json"), "w") as f:
        json.dump({"keras_version": keras.__version__, "drawings": drawings}, f, indent=1)


if __name__ == "__main__":
    main()
