"""Random callback and console recipes: what callbacks write and decide, what fit prints.

A recipe is plain JSON.  `random_recipe(seed)` draws one from a seeded grammar;
`run_recipe(K, recipe, workdir)` runs it with ``K`` = ``keras`` or ``kerasx`` (this module
imports neither) in an empty folder and returns what the user would see: files written by
``ModelCheckpoint`` / ``CSVLogger`` / ``BackupAndRestore`` (names, bytes of text files,
weights of saved models), the order and arguments of every callback hook call, the console
text of ``fit`` / ``evaluate`` / ``predict`` / ``summary`` with timings masked, and weights.
Results are JSON values; weight arrays are float64 NumPy arrays.
``family_fuzz_callbacks.py`` records Keras's results; the tests replay them in kerasx.
"""

import contextlib
import io
import os
import random
import re

import numpy as np

TIMING = re.compile(r"\d+(\.\d+)?(s|ms|us)(/step)?( \d+(\.\d+)?(ms|us|s)/step)?")
ETA = re.compile(r"ETA: [0-9:]+s?")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def screen_text(raw):
    """The final screen of ``raw``: carriage returns and backspaces resolved, colour codes
    dropped, timings masked."""
    raw = ANSI.sub("", raw)
    lines = []
    for line in raw.split("\n"):
        cur = []
        pos = 0
        for ch in line:
            if ch == "\r":
                pos = 0
            elif ch == "\b":
                pos = max(pos - 1, 0)
            else:
                if pos < len(cur):
                    cur[pos] = ch
                else:
                    cur.append(ch)
                pos += 1
        lines.append("".join(cur).rstrip())
    text = "\n".join(lines)
    text = ETA.sub("ETA", text)
    return TIMING.sub("T", text)


def _data(seed, n, n_in=3):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, n_in)).astype("float32")
    y = (x @ rng.normal(size=(n_in, 1)) + 0.1 * rng.normal(size=(n, 1))).astype("float32")
    return x, y


def build_model(K, outline, seed):
    """A small compiled model; ``outline`` is ``"seq"`` or ``"multi"`` (two named outputs)."""
    lr = outline.get("lr", 0.05)
    if outline["kind"] == "seq":
        model = K.Sequential([K.Input((3,)), K.layers.Dense(4, activation="tanh"),
                              K.layers.Dense(1)], name="seq")
        model.compile(optimizer=K.optimizers.SGD(lr), loss="mse", metrics=outline.get("metrics", ["mae"]))
    else:
        inp = K.Input((3,), name="x")
        h = K.layers.Dense(4, activation="tanh", name="hidden")(inp)
        a = K.layers.Dense(1, name="out_a")(h)
        b = K.layers.Dense(1, name="out_b")(h)
        model = K.Model(inp, {"out_a": a, "out_b": b}, name="multi")
        model.compile(optimizer=K.optimizers.SGD(lr), loss={"out_a": "mse", "out_b": "mae"},
                      metrics={"out_a": ["mae"], "out_b": ["mse"]})
    rng = np.random.default_rng(seed + 17)
    model.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32") for w in model.get_weights()])
    return model


def _targets(outline, y):
    return y if outline["kind"] == "seq" else {"out_a": y, "out_b": 0.5 * y}


def _weights(model):
    return [np.asarray(w, dtype="float64") for w in model.get_weights()]


class _Interrupt(Exception):
    pass


def _interrupter(K, at_epoch=None, at_batch=None):
    class Interrupter(K.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.epoch = 0

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_epoch_end(self, epoch, logs=None):
            if at_epoch is not None and at_batch is None and epoch == at_epoch:
                raise _Interrupt()

        def on_train_batch_end(self, batch, logs=None):
            if at_batch is not None and self.epoch == at_epoch and batch == at_batch:
                raise _Interrupt()
    return Interrupter()


def _recorder(K, log, values=True):
    """A callback appending ``[hook, arg, {key: value}]`` for every hook call to ``log``."""
    def entry(name, arg, logs):
        if logs is None:
            keys = None
        elif values:
            keys = [[k, _plain(v)] for k, v in logs.items()]
        else:
            keys = list(logs)
        log.append([name, arg, keys])

    class Recorder(K.callbacks.Callback):
        pass

    hooks = ["on_train_begin", "on_train_end", "on_test_begin", "on_test_end", "on_predict_begin",
             "on_predict_end"]
    for hook in hooks:
        setattr(Recorder, hook, lambda self, logs=None, _h=hook: entry(_h, None, logs))
    for hook in ["on_epoch_begin", "on_epoch_end", "on_train_batch_begin", "on_train_batch_end",
                 "on_test_batch_begin", "on_test_batch_end", "on_predict_batch_begin",
                 "on_predict_batch_end"]:
        setattr(Recorder, hook, lambda self, i, logs=None, _h=hook: entry(
            _h, i, None if logs is None else (
                {k: "..." for k in logs} if "predict" in _h else logs)))
    return Recorder()


def _plain(v):
    try:
        return float(np.asarray(v))
    except (TypeError, ValueError):
        return repr(v)


def _files(workdir):
    found = []
    for root, _, names in os.walk(workdir):
        for name in names:
            found.append(os.path.relpath(os.path.join(root, name), workdir).replace(os.sep, "/"))
    return sorted(found)


def _error(e):
    return type(e).__name__


# --------------------------------------------------------------------------- grammar

def random_recipe(seed):
    r = random.Random(seed)
    kind = r.choice(["checkpoint", "checkpoint", "csv", "backup", "hooks", "monitors", "progress",
                     "summary"])
    outline = {"kind": r.choice(["seq", "seq", "multi"]), "lr": r.choice([0.01, 0.05, 0.2])}
    fit = {"epochs": r.randint(2, 4), "batch_size": r.choice([4, 5, 8, 16]), "n": r.choice([16, 20, 23]),
           "validation": r.choice([None, "split", "data"]), "shuffle": False}
    recipe = {"seed": seed, "kind": kind, "outline": outline, "fit": fit}
    val_keys = ["val_loss"] if fit["validation"] else []
    if outline["kind"] == "seq":
        keys = ["loss", "mae"] + val_keys + (["val_mae"] if fit["validation"] else [])
    else:
        keys = ["loss", "out_a_loss", "out_a_mae", "out_b_mse"] + val_keys + (
            ["val_out_a_mae", "val_out_b_loss"] if fit["validation"] else [])
    if kind == "checkpoint":
        suffix = r.choice([".keras", ".weights.h5", ".weights.h5", ".h5"])
        stem = r.choice(["ckpt", "m_{epoch:02d}", "e{epoch}", "b{epoch:02d}_{batch}",
                         "m_{epoch:02d}_{loss:.3f}", "{epoch}-{%s:.2f}" % r.choice(keys)])
        save_freq = r.choice(["epoch", "epoch", 2, 3])
        if "{batch}" in stem and save_freq == "epoch" and r.random() < 0.7:
            save_freq = 3
        recipe["callback"] = {
            "filepath": stem + suffix,
            "monitor": r.choice(keys + ["val_loss", "nonexistent"]),
            "mode": r.choice(["auto", "min", "max"]),
            "save_best_only": r.random() < 0.5,
            "save_weights_only": suffix == ".weights.h5" or (suffix == ".keras" and r.random() < 0.2),
            "save_freq": save_freq,
            "initial_value_threshold": r.choice([None, None, 0.5, 5.0]),
            "verbose": r.choice([0, 1]),
        }
        cb = recipe["callback"]
        if cb["mode"] == "auto" and cb["monitor"].removeprefix("val_") not in ("loss", "mae"):
            cb["mode"] = r.choice(["min", "max"])
    elif kind == "csv":
        recipe["callback"] = {"separator": r.choice([",", ";", "\t"]), "append": r.random() < 0.5}
        recipe["n_fits"] = r.choice([1, 2])
        recipe["reduce_lr"] = r.random() < 0.4
        if r.random() < 0.3:  # diverges: inf then nan losses in the log
            outline["lr"] = 1e15
    elif kind == "backup":
        recipe["callback"] = {"save_freq": r.choice(["epoch", "epoch", 1, 2, 3]),
                              "delete_checkpoint": r.random() < 0.7}
        recipe["interrupt"] = {"at_epoch": r.randint(0, fit["epochs"] - 1),
                               "at_batch": r.choice([None, None, 0, 1, 2])}
    elif kind == "hooks":
        fit["validation_freq"] = r.choice([1, 1, 2])
        fit["steps_per_epoch"] = r.choice([None, None, 2, 3])
        fit["initial_epoch"] = r.choice([0, 0, 1])
        fit["epochs"] = max(fit["epochs"], fit["initial_epoch"] + 1)
        recipe["evaluate"] = {"steps": r.choice([None, 2]), "batch_size": r.choice([None, 7]),
                              "return_dict": r.random() < 0.5}
        recipe["predict"] = {"batch_size": r.choice([None, 6]), "steps": r.choice([None, 2])}
    elif kind == "monitors":
        recipe["early_stopping"] = {
            "monitor": r.choice(keys + val_keys), "patience": r.choice([0, 1, 2]),
            "min_delta": r.choice([0.0, 0.01, 0.5]), "mode": r.choice(["auto", "min", "max"]),
            "baseline": r.choice([None, None, 0.1, 10.0]), "restore_best_weights": r.random() < 0.6,
            "start_from_epoch": r.choice([0, 0, 1, 2]), "verbose": 1}
        recipe["reduce_lr"] = {"monitor": r.choice(keys + val_keys), "factor": r.choice([0.5, 0.1]),
                               "patience": r.choice([0, 1]), "min_delta": r.choice([0.0, 0.1]),
                               "cooldown": r.choice([0, 1]), "min_lr": r.choice([0.0, 0.005]),
                               "verbose": 1} if r.random() < 0.6 else None
        fit["epochs"] = r.randint(3, 6)
        for cb in (recipe["early_stopping"], recipe["reduce_lr"]):
            # Keras's "auto" knows only "loss" and a metric by its own name (not "out_a_loss")
            if cb and cb["monitor"].removeprefix("val_") not in ("loss", "mae"):
                cb["mode"] = r.choice(["min", "max"])
    elif kind == "progress":
        recipe["verbose"] = {"fit": r.choice([1, 2]), "evaluate": r.choice([1, 2]),
                             "predict": r.choice([1, 2])}
        recipe["scale"] = r.choice([1.0, 1e-5, 1e5, 1e9])
        recipe["return_dict"] = r.random() < 0.5
    else:
        recipe["summary"] = random_summary(r)
    return recipe


def random_summary(r):
    return {
        "model": r.choice(["seq", "seq_unbuilt", "multi_io", "nested", "shared", "nested_seq"]),
        "expand_nested": r.random() < 0.5,
        "show_trainable": r.random() < 0.4,
        "line_length": r.choice([None, None, 70, 120]),
        "positions": r.choice([None, None, [0.4, 0.7, 1.0], [0.3, 0.5, 0.75, 1.0]]),
        "layer_range": r.choice([None, None, "first_two"]),
        "freeze": r.random() < 0.3,
    }


def widened_recipe(seed):
    """The second grammar: callback messages, LambdaCallback hooks, trained / larger models'
    summaries, checkpoint paths in folders and CSV logs with ``validation_freq``."""
    r = random.Random(seed)
    recipe = random_recipe(seed)
    kind = r.choice(["messages", "lambda", "summary", "checkpoint", "csv"])
    recipe["kind"] = kind
    fit = recipe["fit"]
    if kind == "messages":
        recipe["outline"]["lr"] = r.choice([0.05, 1e15])
        recipe["terminate_on_nan"] = r.random() < 0.7
        recipe["schedule"] = r.choice([None, "halve", "constant"])
        recipe["fit_verbose"] = r.choice([0, 2])
        recipe["early_stopping"] = r.random() < 0.5
    elif kind == "lambda":
        fit["validation"] = r.choice(["split", "data"])
        fit["validation_freq"] = r.choice([1, 2, 3])
        fit["steps_per_epoch"] = r.choice([None, 2])
        fit["initial_epoch"] = r.choice([0, 1])
        fit["epochs"] = max(fit["epochs"], fit["initial_epoch"] + 1)
    elif kind == "summary":
        recipe["summary"] = random_summary(r)
        recipe["summary"]["model"] = r.choice(["wide", "trained", "subclassed", "subclassed_built",
                                               "nested", "nested_seq", "multi_io"])
    elif kind == "checkpoint":
        recipe.setdefault("callback", {"monitor": "loss", "mode": "auto", "save_best_only": False,
                                       "save_freq": "epoch", "initial_value_threshold": None})
        stem = r.choice(["sub/{epoch}", "sub/deeper/e{epoch:03d}", "m_{epoch}_{missing_key}",
                         "m{epoch:.1f}", "ckpt"])
        suffix = r.choice([".keras", ".keras", ".weights.h5", ".weights.h5", ".hdf5", ".h5", ""])
        only = suffix == ".weights.h5" if r.random() < 0.8 else r.random() < 0.5
        recipe["callback"].update(filepath=stem + suffix, verbose=1, save_weights_only=only)
    else:
        recipe["callback"] = {"separator": r.choice([",", ";"]), "append": r.random() < 0.5}
        recipe["n_fits"] = r.choice([1, 2])
        recipe["reduce_lr"] = r.random() < 0.4
        fit["validation"] = "data"
        fit["validation_freq"] = r.choice([2, 3])
    return recipe


def combined_recipe(seed):
    """The combined grammar: several callbacks in one ``fit``, in a random order
    (ModelCheckpoint, EarlyStopping, ReduceLROnPlateau, LearningRateScheduler, CSVLogger,
    BackupAndRestore, LambdaCallback, TerminateOnNaN, a callback setting
    ``model.stop_training``), optionally interrupted and resumed or fitted twice."""
    r = random.Random(seed)
    recipe = random_recipe(seed)
    recipe["kind"] = "combined"
    for key in ("callback", "n_fits", "reduce_lr", "interrupt", "early_stopping", "evaluate",
                "predict", "verbose", "scale", "return_dict", "summary"):
        recipe.pop(key, None)
    fit = recipe["fit"]
    fit["epochs"] = r.randint(3, 6)
    fit["n"] = r.choice([16, 20])
    outline = recipe["outline"]
    if r.random() < 0.15 and outline["kind"] == "seq":
        # diverges: inf then nan losses (only one mse output: the gradient of `abs` at NaN,
        # which the two-output model's mae loss meets, is not defined)
        outline["lr"] = 1e15
    if outline["kind"] == "seq":
        keys = ["loss", "mae"]
    else:
        keys = ["loss", "out_a_loss", "out_a_mae", "out_b_mse"]
    if fit["validation"]:
        keys += ["val_" + k for k in keys]

    def monitor():
        name = r.choice(keys)
        mode = r.choice(["auto", "min", "max"]) if name.removeprefix("val_") in ("loss", "mae") \
            else r.choice(["min", "max"])
        return name, mode

    pool = ["checkpoint", "early_stopping", "reduce_lr", "scheduler", "csv", "backup", "lambda",
            "terminate_on_nan", "stopper"]
    chosen = r.sample(pool, r.randint(2, 5))
    if "lambda" not in chosen and r.random() < 0.5:
        chosen.append("lambda")
    callbacks = []
    for kind in chosen:
        spec = {"type": kind}
        if kind == "checkpoint":
            name, mode = monitor()
            suffix = r.choice([".keras", ".weights.h5"])
            spec.update(
                filepath=r.choice(["ckpt", "m_{epoch:02d}", "e{epoch}_{batch}"]) + suffix,
                monitor=name, mode=mode, save_best_only=r.random() < 0.5,
                save_weights_only=suffix == ".weights.h5",
                save_freq=r.choice(["epoch", "epoch", 2, 3, 5]), verbose=1)
            if "{batch}" in spec["filepath"] and spec["save_freq"] == "epoch":
                spec["save_freq"] = 3
        elif kind == "early_stopping":
            name, mode = monitor()
            spec.update(monitor=name, mode=mode, patience=r.choice([0, 1, 2]),
                        min_delta=r.choice([0.0, 0.0, 0.01, 0.5]),
                        baseline=r.choice([None, None, 0.1, 1.0, 10.0]),
                        restore_best_weights=r.random() < 0.6,
                        start_from_epoch=r.choice([0, 0, 1, 2, 3]), verbose=1)
        elif kind == "reduce_lr":
            name, mode = monitor()
            spec.update(monitor=name, mode=mode, factor=r.choice([0.5, 0.1]),
                        patience=r.choice([0, 1, 2]), min_delta=r.choice([0.0, 0.01, 0.1, 1.0]),
                        cooldown=r.choice([0, 1, 2]), min_lr=r.choice([0.0, 0.001]), verbose=1)
        elif kind == "scheduler":
            spec.update(rule=r.choice(["halve", "constant", "step", "by_epoch"]),
                        verbose=r.choice([0, 1]))
        elif kind == "csv":
            spec.update(separator=r.choice([",", ";"]), append=r.random() < 0.6)
        elif kind == "backup":
            spec.update(save_freq=r.choice(["epoch", "epoch", 1, 2, 3]),
                        delete_checkpoint=r.random() < 0.7)
        elif kind == "stopper":
            spec.update(epoch=r.randint(0, fit["epochs"] - 1),
                        hook=r.choice(["on_epoch_end", "on_train_batch_end", "on_epoch_begin",
                                       "on_train_batch_begin"]),
                        batch=r.choice([0, 1, 2]))
        callbacks.append(spec)
    recipe["callbacks"] = callbacks
    follow = r.choice([None, None, "again"])
    if "backup" in chosen and r.random() < 0.8:
        follow = "resume"
        recipe["interrupt"] = {"at_epoch": r.randint(0, fit["epochs"] - 1),
                               "at_batch": r.choice([None, None, 0, 1, 2])}
    recipe["follow"] = follow
    return recipe


# --------------------------------------------------------------------------- runners

def run_recipe(K, recipe, workdir):
    """Run ``recipe`` in ``workdir`` (empty) with library ``K``; return its results dict."""
    old = os.getcwd()
    os.chdir(workdir)
    try:
        return RUNNERS[recipe["kind"]](K, recipe, workdir)
    finally:
        os.chdir(old)


def _setup(K, recipe):
    fit = recipe["fit"]
    model = build_model(K, recipe["outline"], recipe["seed"])
    x, y = _data(recipe["seed"], fit["n"])
    kwargs = {"epochs": fit["epochs"], "batch_size": fit["batch_size"], "shuffle": False, "verbose": 0}
    if fit["validation"] == "split":
        kwargs["validation_split"] = 0.25
    elif fit["validation"] == "data":
        xv, yv = _data(recipe["seed"] + 1, 7)
        kwargs["validation_data"] = (xv, _targets(recipe["outline"], yv))
    if recipe["kind"] in ("csv", "lambda") and fit.get("validation_freq"):
        kwargs["validation_freq"] = fit["validation_freq"]
    return model, x, _targets(recipe["outline"], y), kwargs


def _captured(fn, *args, **kwargs):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            value = fn(*args, **kwargs)
            err = None
        except _Interrupt:
            value, err = None, "interrupted"
        except Exception as e:  # noqa: BLE001 - the error class is a result
            value, err = None, _error(e)
    return value, screen_text(out.getvalue()), err


def _history(h):
    return None if h is None else [[k, [float(v) for v in vals]] for k, vals in h.history.items()]


def run_checkpoint(K, recipe, workdir):
    model, x, y, kwargs = _setup(K, recipe)
    res = {}
    try:
        cb = K.callbacks.ModelCheckpoint(**recipe["callback"])
    except Exception as e:  # noqa: BLE001
        return {"construct_error": _error(e)}
    h, text, err = _captured(model.fit, x, y, callbacks=[cb], **kwargs)
    res.update(history=_history(h), text=text, error=err, files=_files(workdir),
               best=_plain(cb.best) if hasattr(cb, "best") else None)
    saved = {}
    for name in res["files"]:
        if name.endswith(".weights.h5"):
            m = build_model(K, recipe["outline"], recipe["seed"] + 1)
            m.load_weights(name)
            saved[name] = _weights(m)
        elif name.endswith(".keras") or name.endswith(".h5"):
            m = K.saving.load_model(name, compile=False)
            saved[name] = _weights(m)
    res["saved"] = saved
    res["weights"] = _weights(model)
    return res


def run_csv(K, recipe, workdir):
    model, x, y, kwargs = _setup(K, recipe)
    res = {"texts": [], "errors": []}
    for i in range(recipe["n_fits"]):
        cbs = [K.callbacks.CSVLogger("log.csv", **recipe["callback"])]
        if recipe["reduce_lr"]:
            cbs.append(K.callbacks.ReduceLROnPlateau(monitor="loss", patience=0, factor=0.5, min_delta=10.0))
        _, text, err = _captured(model.fit, x, y, callbacks=cbs, **kwargs)
        res["errors"].append(err)
        with open("log.csv", newline="") as f:
            res["texts"].append(f.read())
    return res


def run_backup(K, recipe, workdir):
    model, x, y, kwargs = _setup(K, recipe)
    cfg = recipe["callback"]
    stop = recipe["interrupt"]
    log1, log2 = [], []
    cb = K.callbacks.BackupAndRestore("backup", **cfg)
    _, _, err1 = _captured(model.fit, x, y, callbacks=[cb, _interrupter(K, **stop), _recorder(K, log1, False)],
                           **kwargs)
    files_mid = _files(workdir)
    weights_mid = _weights(model)
    model2 = build_model(K, recipe["outline"], recipe["seed"] + 3)
    cb2 = K.callbacks.BackupAndRestore("backup", **cfg)
    h, _, err2 = _captured(model2.fit, x, y, callbacks=[cb2, _recorder(K, log2, False)], **kwargs)
    epochs = [e[1] for e in log2 if e[0] == "on_epoch_begin"]
    # the backup's own files differ by design (kerasx: a JSON state and an .npz archive);
    # whether a backup is left is what both must agree on
    return {"errors": [err1, err2], "backup_mid": bool(files_mid), "backup_end": bool(_files(workdir)),
            "history": _history(h), "epochs": epochs, "weights_mid": weights_mid,
            "weights": _weights(model2), "hooks1": [e[:2] for e in log1], "hooks2": log2}


def run_hooks(K, recipe, workdir):
    model, x, y, kwargs = _setup(K, recipe)
    fit = recipe["fit"]
    kwargs.update(validation_freq=fit["validation_freq"], initial_epoch=fit["initial_epoch"])
    if fit["steps_per_epoch"]:
        kwargs["steps_per_epoch"] = fit["steps_per_epoch"]
    log = []
    rec = _recorder(K, log)
    h, _, err = _captured(model.fit, x, y, callbacks=[rec], **kwargs)
    ev = {k: v for k, v in recipe["evaluate"].items() if v is not None}
    value, _, err_e = _captured(model.evaluate, x, y, callbacks=[rec], verbose=0, **ev)
    pr = {k: v for k, v in recipe["predict"].items() if v is not None}
    pred, _, err_p = _captured(model.predict, x, callbacks=[rec], verbose=0, **pr)
    if isinstance(value, dict):
        value = [[k, float(v)] for k, v in value.items()]
    elif isinstance(value, (list, tuple)):
        value = [float(v) for v in value]
    elif value is not None:
        value = float(value)
    if isinstance(pred, dict):
        pred = {k: np.asarray(v, dtype="float64") for k, v in sorted(pred.items())}
    elif pred is not None:
        pred = np.asarray(pred, dtype="float64")
    return {"errors": [err, err_e, err_p], "history": _history(h), "log": log, "evaluate": value,
            "predict": pred, "weights": _weights(model)}


def run_monitors(K, recipe, workdir):
    model, x, y, kwargs = _setup(K, recipe)
    es = K.callbacks.EarlyStopping(**recipe["early_stopping"])
    cbs = [es]
    if recipe.get("reduce_lr"):
        cbs.append(K.callbacks.ReduceLROnPlateau(**recipe["reduce_lr"]))
    h, text, err = _captured(model.fit, x, y, callbacks=cbs, **kwargs)
    return {"error": err, "text": text, "history": _history(h), "stopped_epoch": es.stopped_epoch,
            "best_epoch": getattr(es, "best_epoch", None), "weights": _weights(model)}


def run_progress(K, recipe, workdir):
    model, x, y, kwargs = _setup(K, recipe)
    scale = recipe["scale"]
    y = y * scale if not isinstance(y, dict) else {k: v * scale for k, v in y.items()}
    if "validation_data" in kwargs:
        xv, yv = kwargs["validation_data"]
        kwargs["validation_data"] = (xv, yv * scale if not isinstance(yv, dict) else
                                     {k: v * scale for k, v in yv.items()})
    v = recipe["verbose"]
    kwargs["verbose"] = v["fit"]
    _, fit_text, e1 = _captured(model.fit, x, y, **kwargs)
    value, ev_text, e2 = _captured(model.evaluate, x, y, verbose=v["evaluate"],
                                   return_dict=recipe["return_dict"])
    _, pr_text, e3 = _captured(model.predict, x, verbose=v["predict"])
    return {"errors": [e1, e2, e3], "fit": fit_text, "evaluate": ev_text, "predict": pr_text,
            "value": repr(value) if not isinstance(value, (list, float, dict)) else _round(value)}


def _round(value):
    if isinstance(value, dict):
        return [[k, float(v)] for k, v in value.items()]
    if isinstance(value, list):
        return [float(v) for v in value]
    return float(value)


def summary_model(K, spec):
    kind = spec["model"]
    if kind == "seq":
        model = K.Sequential([K.Input((5,)), K.layers.Dense(8, activation="relu"),
                              K.layers.Dropout(0.1), K.layers.Dense(3)], name="seq")
    elif kind == "seq_unbuilt":
        model = K.Sequential([K.layers.Dense(8), K.layers.Dense(2)], name="unbuilt")
    elif kind == "multi_io":
        a = K.Input((4,), name="in_a")
        b = K.Input((6,), name="in_b")
        h = K.layers.Concatenate(name="cat")([K.layers.Dense(5, name="da")(a), b])
        o1 = K.layers.Dense(2, name="head1")(h)
        o2 = K.layers.Dense(1, activation="sigmoid", name="head2")(h)
        model = K.Model([a, b], [o1, o2], name="multi_io")
    elif kind == "nested":
        inner_in = K.Input((4,))
        inner = K.Model(inner_in, K.layers.Dense(3, name="inner_dense")(inner_in), name="inner")
        x = K.Input((4,), name="outer_in")
        model = K.Model(x, K.layers.Dense(2, name="top")(inner(x)), name="outer")
    elif kind == "nested_seq":
        block = K.Sequential([K.layers.Dense(6, name="b1"), K.layers.Dense(4, name="b2")], name="block")
        x = K.Input((3,), name="inp")
        model = K.Model(x, K.layers.Dense(1, name="head")(block(x)), name="with_block")
    elif kind == "wide":
        model = K.Sequential([K.Input((300,)), K.layers.Dense(1200, name="a_rather_long_layer_name_x"),
                              K.layers.Dense(10)], name="wide")
    elif kind == "trained":
        model = build_model(K, {"kind": "multi", "lr": 0.05}, 1)
        x, y = _data(1, 8)
        model.fit(x, {"out_a": y, "out_b": y}, epochs=1, verbose=0)
    elif kind.startswith("subclassed"):
        class Tower(K.Model):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.d1 = K.layers.Dense(5)
                self.d2 = K.layers.Dense(2)

            def call(self, x):
                return self.d2(self.d1(x))
        model = Tower(name="tower")
        if kind == "subclassed_built":
            model(np.zeros((2, 3), "float32"))
    else:
        shared = K.layers.Dense(3, name="shared")
        a = K.Input((3,), name="a")
        b = K.Input((3,), name="b")
        model = K.Model([a, b], K.layers.Add(name="add")([shared(a), shared(b)]), name="shared_model")
    if spec["freeze"] and model.layers:
        model.layers[-1].trainable = False
    return model


def run_summary(K, recipe, workdir):
    spec = recipe["summary"]
    model = summary_model(K, spec)
    kwargs = {k: spec[k] for k in ("expand_nested", "show_trainable", "line_length", "positions")
              if spec[k] is not None}
    if spec["layer_range"] == "first_two" and len(model.layers) >= 2:
        kwargs["layer_range"] = [model.layers[0].name, model.layers[1].name]
    lines = []
    try:
        model.summary(print_fn=lambda s, line_break=True: lines.append(s), **kwargs)
        err = None
    except Exception as e:  # noqa: BLE001
        err = _error(e)
    _, printed, err2 = _captured(model.summary, **kwargs)
    return {"error": err, "lines": lines, "printed": printed, "error_printed": err2}


def run_messages(K, recipe, workdir):
    model, x, y, kwargs = _setup(K, recipe)
    cbs = []
    if recipe["terminate_on_nan"]:
        cbs.append(K.callbacks.TerminateOnNaN())
    if recipe["schedule"]:
        rule = (lambda epoch, lr: lr * 0.5) if recipe["schedule"] == "halve" else (lambda epoch: 0.01)
        cbs.append(K.callbacks.LearningRateScheduler(rule, verbose=1))
    if recipe["early_stopping"]:
        cbs.append(K.callbacks.EarlyStopping("loss", patience=0, min_delta=1e9, verbose=1))
    kwargs["verbose"] = recipe["fit_verbose"]
    h, text, err = _captured(model.fit, x, y, callbacks=cbs, **kwargs)
    return {"error": err, "text": text, "history": _history(h)}


def run_lambda(K, recipe, workdir):
    model, x, y, kwargs = _setup(K, recipe)
    fit = recipe["fit"]
    kwargs["initial_epoch"] = fit["initial_epoch"]
    if fit["steps_per_epoch"]:
        kwargs["steps_per_epoch"] = fit["steps_per_epoch"]
    log = []

    def hook(name):
        # Keras passes the batch hooks' logs by keyword
        return lambda *args, **kwargs: log.append(
            [name, [a if isinstance(a, int) else sorted(a or {}) for a in args + tuple(kwargs.values())]])
    names = ["on_epoch_begin", "on_epoch_end", "on_train_begin", "on_train_end",
             "on_train_batch_begin", "on_train_batch_end"]
    cb = K.callbacks.LambdaCallback(**{n: hook(n) for n in names})
    h, _, err = _captured(model.fit, x, y, callbacks=[cb], **kwargs)
    return {"error": err, "log": log, "history": _history(h)}


_SCHEDULES = {
    "halve": lambda epoch, lr: lr * 0.5,
    "constant": lambda epoch: 0.01,
    "step": lambda epoch, lr: lr if epoch < 2 else lr * 0.1,
    "by_epoch": lambda epoch: 0.05 / (1 + epoch),
}


def _stopper(K, spec):
    class Stopper(K.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.epoch = 0

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch
            if spec["hook"] == "on_epoch_begin" and epoch == spec["epoch"]:
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            if spec["hook"] == "on_epoch_end" and epoch == spec["epoch"]:
                self.model.stop_training = True

        def on_train_batch_begin(self, batch, logs=None):
            if spec["hook"] == "on_train_batch_begin" and (self.epoch, batch) == (
                    spec["epoch"], spec["batch"]):
                self.model.stop_training = True

        def on_train_batch_end(self, batch, logs=None):
            if spec["hook"] == "on_train_batch_end" and (self.epoch, batch) == (
                    spec["epoch"], spec["batch"]):
                self.model.stop_training = True
    return Stopper()


def _combined_callbacks(K, recipe, log):
    """Fresh callback objects for ``recipe["callbacks"]``; the LambdaCallback appends
    ``[hook, arg, sorted log keys, learning rate, stop_training]`` to ``log`` (a run of
    ``on_train_batch_end`` calls: ``["batches", first, last, batches ending with
    stop_training set]``); `run_combined` keeps each entry as one line of text."""
    made = []
    for spec in recipe["callbacks"]:
        args = {k: v for k, v in spec.items() if k != "type"}
        kind = spec["type"]
        if kind == "checkpoint":
            made.append(K.callbacks.ModelCheckpoint(**args))
        elif kind == "early_stopping":
            made.append(K.callbacks.EarlyStopping(**args))
        elif kind == "reduce_lr":
            made.append(K.callbacks.ReduceLROnPlateau(**args))
        elif kind == "scheduler":
            made.append(K.callbacks.LearningRateScheduler(_SCHEDULES[args["rule"]],
                                                          verbose=args["verbose"]))
        elif kind == "csv":
            made.append(K.callbacks.CSVLogger("log.csv", **args))
        elif kind == "backup":
            made.append(K.callbacks.BackupAndRestore("backup", **args))
        elif kind == "terminate_on_nan":
            made.append(K.callbacks.TerminateOnNaN())
        elif kind == "stopper":
            made.append(_stopper(K, args))
        else:
            made.append(_lambda_logger(K, log))
    return made


def _lambda_logger(K, log):
    holder = {}

    def hook(name):
        def record(*args, **kwargs):
            model = holder["cb"].model
            lr = float(np.asarray(model.optimizer.learning_rate))
            arg = args[0] if args and isinstance(args[0], int) else None
            if name == "on_train_batch_end":
                if log and log[-1][0] == "batches":  # a run of batches: first, last, stops
                    log[-1][2] = arg
                else:
                    log.append(["batches", arg, arg, []])
                if model.stop_training:
                    log[-1][3].append(arg)
                return
            logs = kwargs.get("logs", args[-1] if args and not isinstance(args[-1], int) else None)
            log.append([name, arg, ",".join(sorted(logs or {})), lr, bool(model.stop_training)])
        return record
    names = ["on_epoch_begin", "on_epoch_end", "on_train_begin", "on_train_end",
             "on_train_batch_end"]
    cb = K.callbacks.LambdaCallback(**{n: hook(n) for n in names})
    holder["cb"] = cb
    return cb


def run_combined(K, recipe, workdir):
    model, x, y, kwargs = _setup(K, recipe)
    kwargs["verbose"] = 0
    log = []
    cbs = _combined_callbacks(K, recipe, log)
    if recipe.get("interrupt"):
        cbs.append(_interrupter(K, **recipe["interrupt"]))
    res = {"errors": [], "texts": [], "histories": [], "logs": [], "csv": [], "files": [],
           "stopped": [], "lr": [], "weights": []}

    def one_fit(model, cbs):
        h, text, err = _captured(model.fit, x, y, callbacks=cbs, **kwargs)
        res["errors"].append(err)
        res["texts"].append(text)
        res["histories"].append(None if h is None else [
            ",".join(h.history), np.array(list(h.history.values()), dtype="float64")])
        res["logs"].append([" ".join(map(str, entry)) for entry in log])
        del log[:]
        res["files"].append([f for f in _files(workdir) if not f.startswith("backup")])
        res["csv"].append(_text("log.csv") if os.path.exists("log.csv") else None)
        res["stopped"].append([[getattr(cb, "stopped_epoch", None), _plain(cb.best),
                                getattr(cb, "best_epoch", None)]
                               for cb in cbs[:len(recipe["callbacks"])] if hasattr(cb, "best")])
        res["lr"].append(float(np.asarray(model.optimizer.learning_rate)))
        res["weights"].append(_flat_weights(model))
    one_fit(model, cbs)
    if recipe["follow"] == "again":
        one_fit(model, _combined_callbacks(K, recipe, log))
    elif recipe["follow"] == "resume":
        model2 = build_model(K, recipe["outline"], recipe["seed"] + 3)
        one_fit(model2, _combined_callbacks(K, recipe, log))
    saved = {}
    for name in res["files"][-1]:
        if name.endswith(".weights.h5"):
            m = build_model(K, recipe["outline"], recipe["seed"] + 1)
            m.load_weights(name)
            saved[name] = _flat_weights(m)
        elif name.endswith(".keras"):
            saved[name] = _flat_weights(K.saving.load_model(name, compile=False))
    res["saved"] = saved
    return res


def _text(path):
    with open(path) as f:
        return f.read()


def _flat_weights(model):
    return np.concatenate([w.ravel() for w in _weights(model)])


RUNNERS = {"checkpoint": run_checkpoint, "csv": run_csv, "backup": run_backup, "hooks": run_hooks,
           "monitors": run_monitors, "progress": run_progress, "summary": run_summary,
           "messages": run_messages, "lambda": run_lambda,
           "combined": run_combined}


# --------------------------------------------------------------------------- comparison

NUMBER = re.compile(r"-?\d+\.\d+(?:e[-+]?\d+)?|nan|-?inf")


def split_arrays(results, prefix="a"):
    """``results`` with every NumPy array replaced by ``{"array": name}``, and the arrays."""
    arrays = {}

    def walk(value, path):
        if isinstance(value, np.ndarray):
            arrays[path] = value
            return {"array": path}
        if isinstance(value, dict):
            return {k: walk(v, f"{path}.{k}") for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [walk(v, f"{path}.{i}") for i, v in enumerate(value)]
        return value
    return walk(results, prefix), arrays


def same_text(expected, got):
    """Equal texts up to the last printed digit of each decimal number in them."""
    if NUMBER.sub("#", expected) != NUMBER.sub("#", got):
        return False
    for a, b in zip(NUMBER.findall(expected), NUMBER.findall(got)):
        if a == b:
            continue
        if "nan" in (a, b) or "inf" in a + b:
            return False
        decimals = 0 if "e" in a else len(a.split(".")[1])
        if abs(float(a) - float(b)) > 1.5 * 10.0 ** -decimals * ("e" not in a) + 1e-4 * abs(float(a)):
            return False
    return True


def differences(expected, got, expected_arrays, got_arrays, path="r"):
    """Paths where ``got`` differs from ``expected`` (arrays and floats to ~1e-4 relative)."""
    out = []
    if isinstance(expected, dict) and set(expected) == {"array"}:
        if not (isinstance(got, dict) and set(got) == {"array"}):
            return [f"{path}: {got!r}, expected an array"]
        want, have = expected_arrays[expected["array"]], got_arrays[got["array"]]
        if want.shape != have.shape or not np.allclose(have, want, rtol=1e-4, atol=1e-5,
                                                       equal_nan=True):
            out.append(f"{path}: {have.ravel()[:4]}, expected {want.ravel()[:4]}")
    elif isinstance(expected, dict):
        if not isinstance(got, dict) or list(got) != list(expected):
            return [f"{path}: keys {list(got) if isinstance(got, dict) else got!r}, "
                    f"expected {list(expected)}"]
        for k in expected:
            out += differences(expected[k], got[k], expected_arrays, got_arrays, f"{path}.{k}")
    elif isinstance(expected, list):
        if not isinstance(got, list) or len(got) != len(expected):
            return [f"{path}: {got!r}, expected {expected!r}"]
        for i, (e, g) in enumerate(zip(expected, got)):
            out += differences(e, g, expected_arrays, got_arrays, f"{path}[{i}]")
    elif isinstance(expected, float) and isinstance(got, (int, float)):
        if not (np.isclose(got, expected, rtol=1e-4, atol=1e-5)
                or (np.isnan(expected) and np.isnan(got))):
            out.append(f"{path}: {got!r}, expected {expected!r}")
    elif isinstance(expected, str) and isinstance(got, str):
        if expected != got and not same_text(expected, got):
            out.append(f"{path}:\n{got}\nexpected\n{expected}")
    elif expected != got:
        out.append(f"{path}: {got!r}, expected {expected!r}")
    return out
