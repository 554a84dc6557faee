"""Orbax checkpoints in Keras 3's layout: written by `callbacks.OrbaxCheckpoint`, read by
`load_model` and `load_weights`.

A checkpoint directory holds one subdirectory per step (the epoch, or the batch count with
an integer `save_freq`), each with Orbax's checkpointables: `pytree`, the model's state tree
(`Model.get_state_tree`: trainable, non-trainable, optimizer and metric variables, as NumPy
arrays, scalars as Python numbers), and, unless only weights were saved, `model_config`,
the model's `config.json` content as a string. Orbax (`pip install orbax-checkpoint`, which
needs JAX) is imported only when a checkpoint is written or read.
"""

import json
import os
import warnings

_ORBAX_MARKERS = {"orbax.checkpoint", "pytree.orbax-checkpoint", "checkpoint_metadata",
                  "_CHECKPOINT_METADATA"}


def import_orbax():
    """Orbax's v1 API (`orbax.checkpoint.v1`), or an ImportError saying how to install it."""
    try:
        import orbax.checkpoint as checkpoint
    except ImportError:
        raise ImportError("Orbax checkpoints need the 'orbax-checkpoint' package. Install it "
                          "with `pip install orbax-checkpoint`.") from None
    return checkpoint.v1


def is_orbax_checkpoint(path):
    """True for a directory Orbax wrote: a checkpoint root (step subdirectories) or one
    step's directory."""
    if not os.path.isdir(path):
        return False
    try:
        contents = os.listdir(path)
    except OSError:
        return False
    if not _ORBAX_MARKERS.isdisjoint(contents):
        return True
    return any(".orbax-checkpoint-tmp" in item
               or (item.isdigit() and os.path.isdir(os.path.join(path, item)))
               for item in contents)


def step_directory(path):
    """The directory of the checkpoint to read: `path` itself for one step's directory,
    else the latest step under the root `path`."""
    steps = [int(item) for item in os.listdir(path)
             if item.isdigit() and os.path.isdir(os.path.join(path, item))]
    if not steps:
        if not _ORBAX_MARKERS.isdisjoint(os.listdir(path)):
            return path
        raise ValueError(f"No Orbax checkpoint found in {path!r}: it has no step directories.")
    return os.path.join(path, str(max(steps)))


def state_payload(model, weights_only=False):
    """The checkpointables of `model`'s present state."""
    state = model.get_state_tree(value_format="numpy_array")

    def plain(node):
        if isinstance(node, dict):
            return {k: plain(v) for k, v in node.items()}
        # a copy: a background save must not see the next steps' in-place updates
        return node.item() if getattr(node, "ndim", None) == 0 else node.copy()

    state = plain(state)
    if weights_only:
        state = {k: state[k] for k in ("trainable_variables", "non_trainable_variables")}
    payload = {"pytree": state}
    if not weights_only:
        from kerasx.saving.keras_archive import model_config

        payload["model_config"] = {"config": json.dumps(model_config(model))}
    return payload


def _read(path, names):
    ocp = import_orbax()
    step = step_directory(path)
    saved = set(ocp.checkpointables_metadata(step).metadata)
    missing = [n for n in names if n not in saved]
    if "pytree" in missing:
        raise ValueError(f"The Orbax checkpoint {step!r} holds no model state ('pytree').")
    with ocp.Context(), warnings.catch_warnings():
        # JAX arrays (a checkpoint Keras wrote on JAX) come back to one device by default
        warnings.filterwarnings("ignore", message="Sharding info not provided")
        return step, ocp.load_checkpointables(step, {n: None for n in names if n in saved})


def load_weights(model, path):
    """Sets `model`'s state from the checkpoint at `path` (its latest step for a root):
    weights, and the optimizer's and metrics' variables where the model has them."""
    step, loaded = _read(path, ["pytree"])
    _set_state(model, loaded["pytree"], f"{step!r}")


def load_model(path, custom_objects=None, compile=True, safe_mode=True):
    """The model saved by `OrbaxCheckpoint` at `path`, with its state."""
    from kerasx.saving import keras_archive

    step, loaded = _read(path, ["model_config", "pytree"])
    if "model_config" not in loaded:
        raise ValueError(f"The Orbax checkpoint {step!r} holds no model config: it was saved "
                         "with save_weights_only=True. Build the model and call "
                         "model.load_weights(path) instead.")
    config = json.loads(loaded["model_config"]["config"])
    keras_archive.check_safe(config, step, safe_mode)
    compile_config = config.pop("compile_config", None)
    model = keras_archive._deserialize_model(config, step, custom_objects, safe_mode)
    if compile and compile_config:
        keras_archive._compile(model, compile_config, custom_objects, safe_mode)
    _set_state(model, loaded["pytree"], f"{step!r}")
    return model


def _set_state(model, state, source):
    from kerasx.models.state_tree import SECTIONS, _section_variables

    state = {k: v for k, v in state.items() if k in SECTIONS}
    optimizer = getattr(model, "optimizer", None)
    if state.get("optimizer_variables"):
        if optimizer is None:
            state.pop("optimizer_variables")
        elif not optimizer.built:
            optimizer.build(model.trainable_variables)
    sections = _section_variables(model)
    # metric variables exist once the compiled metrics are built (at the first step);
    # those of a fresh model start over, as Keras's running means do at every epoch
    metrics = state.pop("metrics_variables", None)
    if metrics and sections["metrics_variables"]:
        state["metrics_variables"] = metrics
    tree, renamed = {}, {}
    for section in SECTIONS:  # optimizer slots are named after the trainable variables
        if section not in state:
            continue
        paths = [v.path for v in sections[section]]
        leaves = {p: _host(v) for p, v in _leaves(state[section])}
        if section == "metrics_variables":
            leaves = {p: v for p, v in leaves.items() if p in set(paths)}
        if section == "non_trainable_variables":
            leaves = {p: v for p, v in leaves.items() if not _is_seed_state(p, paths)}
        if section == "optimizer_variables":
            leaves = {_slot_path(p, renamed): v for p, v in leaves.items()}
        matched = _matched(leaves, paths, section, source)
        if section == "trainable_variables":
            renamed = {saved: path for saved, path in zip(leaves, matched)}
        tree[section] = _nest(matched)
    try:
        model.set_state_tree(tree)
    except ValueError as e:
        raise ValueError(f"The Orbax checkpoint {source} does not fit this model: {e}") from None


def _matched(leaves, paths, section, source):
    """`{model path: value}`: the saved paths as they are, or, where the model's top name
    differs (a Sequential rebuilt from its config has no top name in its paths, as in
    Keras), with the first name dropped on either side."""
    if set(leaves) <= set(paths):
        return leaves
    by_tail = {}
    for path in paths:
        for key in (path, path.split("/", 1)[-1]):
            by_tail.setdefault(key, []).append(path)
    out = {}
    for path, value in leaves.items():
        found = [path] if path in paths else (
            by_tail.get(path) or by_tail.get(path.split("/", 1)[-1]) or [])
        if len(found) != 1:
            raise ValueError(
                f"The Orbax checkpoint {source} does not fit this model: {section} has no "
                f"variable matching {path!r} (the model's paths are {sorted(paths)}). Load "
                "the checkpoint with kerasx.saving.load_model(directory), or build the model "
                "with the layer names it was saved with.")
        out[found[0]] = value
    return out


def _is_seed_state(path, paths):
    """Whether `path` is the state of a Keras `SeedGenerator` this model has no
    counterpart for (`seed_generator_3/seed_generator_state`): Keras's dropout and random
    layers hold generators where kerasx's count their draws without one. It is random-
    number state, not learned, so it is left out instead of refusing the checkpoint."""
    return path.rsplit("/", 1)[-1] == "seed_generator_state" and path not in paths


def _slot_path(path, renamed):
    """An optimizer slot's saved path (`adam/<variable path with "_">_<slot>`) with the
    variable's saved path replaced by the model's (`renamed`)."""
    optimizer, _, name = path.partition("/")
    best = None
    for saved, model_path in renamed.items():
        flat = saved.replace("/", "_") + "_"
        if name.startswith(flat) and (best is None or len(flat) > len(best[0])):
            best = (flat, model_path.replace("/", "_") + "_")
    if best is None:
        return path
    return f"{optimizer}/{best[1]}{name[len(best[0]):]}"


def _host(value):
    """A NumPy array (or Python number) of a restored leaf: JAX arrays when Keras saved
    the checkpoint on JAX."""
    from kerasx.backends import host

    return value if isinstance(value, (int, float)) else host.to_host(value)


def _leaves(tree, prefix=""):
    for key, value in tree.items():
        path = f"{prefix}/{key}" if prefix else key
        if isinstance(value, dict):
            yield from _leaves(value, path)
        else:
            yield path, value


def _nest(flat):
    tree = {}
    for path, value in flat.items():
        *parents, leaf = path.split("/")
        node = tree
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return tree
