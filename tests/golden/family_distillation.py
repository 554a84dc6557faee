"""Golden values of Keras 3's `keras.distillation`: the distillation losses on fixed
outputs (values and JAX gradients) and fixed-weight `Distiller`s evaluated and trained.

Run from this folder::

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python family_distillation.py
"""

import numpy as np

import keras
from make_golden import Golden, f32, to_np

SEED = 53


def _loss_spec(spec):
    """A loss given in a case as a name (`"mse"`), a class (`["KLDivergence", {...}]`) or
    None, built for Keras."""
    if spec is None or isinstance(spec, str):
        return spec
    if isinstance(spec, dict):
        return {k: _loss_spec(v) for k, v in spec.items()}
    if isinstance(spec, list) and len(spec) == 2 and isinstance(spec[1], dict) \
            and isinstance(spec[0], str) and spec[0][:1].isupper():
        return getattr(keras.losses, spec[0])(**spec[1])
    return [_loss_spec(s) for s in spec]


def _loss_cases(g, rng):
    import jax
    import jax.numpy as jnp

    def case(name, cls, config, teacher, student):
        loss_cls = getattr(keras.distillation, cls)
        kwargs = dict(config)
        kwargs["loss"] = _loss_spec(config["loss"])

        def value(s):
            return loss_cls(**kwargs).compute_loss(teacher, s)

        flat_s = [jnp.asarray(a) for a in (student if isinstance(student, list)
                                           else list(student.values())
                                           if isinstance(student, dict) else [student])]

        def rebuild(leaves):
            if isinstance(student, list):
                return list(leaves)
            if isinstance(student, dict):
                return dict(zip(student, leaves))
            return leaves[0]

        loss = value(rebuild(flat_s))
        grads = jax.grad(lambda leaves: value(rebuild(leaves)))(flat_s)
        arrays = {"loss": to_np(loss)}
        for tag, outputs in (("teacher", teacher), ("student", student)):
            leaves = (outputs if isinstance(outputs, list) else list(outputs.values())
                      if isinstance(outputs, dict) else [outputs])
            for i, leaf in enumerate(leaves):
                arrays[f"{tag}_{i}"] = leaf
        for i, grad in enumerate(grads):
            arrays[f"grad_{i}"] = to_np(grad)
        structure = ("list" if isinstance(student, list) else
                     ["dict", list(student)] if isinstance(student, dict) else "single")
        g.add(name, cls, "keras.distillation", config, arrays, kind="loss",
              structure=structure,
              keras_config=loss_cls(**kwargs).get_config())

    logits_t = f32(rng.normal(0, 2, (6, 5)))
    logits_s = f32(rng.normal(0, 2, (6, 5)))
    for temperature in (1.0, 2.0, 3.0, 5.0):
        for tag, loss in (("kl_name", "kl_divergence"), ("KLDivergence", ["KLDivergence", {}]),
                          ("cce_name", "categorical_crossentropy"),
                          ("cce_from_logits", ["CategoricalCrossentropy", {"from_logits": True}]),
                          ("mse", "mse")):
            case(f"logits_T{temperature:g}_{tag}", "LogitsDistillation",
                 {"temperature": temperature, "loss": loss}, logits_t, logits_s)
    case("logits_int_temperature", "LogitsDistillation", {"temperature": 4, "loss": "mae"},
         logits_t, logits_s)
    two_t = [f32(rng.normal(0, 1, (4, 3))), f32(rng.normal(0, 1, (4, 6)))]
    two_s = [f32(rng.normal(0, 1, (4, 3))), f32(rng.normal(0, 1, (4, 6)))]
    case("logits_two_outputs", "LogitsDistillation",
         {"temperature": 2.0, "loss": [["KLDivergence", {}], "categorical_crossentropy"]},
         two_t, two_s)
    case("logits_two_outputs_one_skipped", "LogitsDistillation",
         {"temperature": 3.0, "loss": [None, ["KLDivergence", {}]]}, two_t, two_s)
    case("logits_dict_outputs", "LogitsDistillation",
         {"temperature": 2.5, "loss": {"a": "mse", "b": ["KLDivergence", {}]}},
         {"a": two_t[0], "b": two_t[1]}, {"a": two_s[0], "b": two_s[1]})

    feat_t = f32(rng.normal(0, 1, (5, 7)))
    feat_s = f32(rng.normal(0, 1, (5, 7)))
    for tag, loss in (("mse", "mse"), ("mae", "mae"), ("cosine", "cosine_similarity"),
                      ("huber", "huber"), ("log_cosh", "log_cosh"),
                      ("MeanSquaredError", ["MeanSquaredError", {}]),
                      ("CosineSimilarity_axis0", ["CosineSimilarity", {"axis": 0}])):
        case(f"feature_{tag}", "FeatureDistillation", {"loss": loss}, feat_t, feat_s)
    maps_t = f32(rng.normal(0, 1, (3, 4, 4, 2)))
    maps_s = f32(rng.normal(0, 1, (3, 4, 4, 2)))
    case("feature_maps_mse", "FeatureDistillation", {"loss": "mse"}, maps_t, maps_s)
    case("feature_two_outputs_one_skipped", "FeatureDistillation",
         {"loss": ["mse", None]}, [feat_t, two_t[0]], [feat_s, two_s[0]])
    case("feature_two_outputs", "FeatureDistillation",
         {"loss": ["cosine_similarity", "mae"]}, [feat_t, two_t[0]], [feat_s, two_s[0]])


def _models(rng):
    """A fixed-weight teacher (5 -> 6 -> 10 -> 4) and student (5 -> 6 -> 4), functional."""
    def build(name, widths):
        inputs = keras.Input((5,), name=f"{name}_in")
        x = inputs
        arrays = {}
        for i, (width, layer_name) in enumerate(widths):
            last = i == len(widths) - 1
            layer = keras.layers.Dense(width, activation=None if last else "relu",
                                       name=layer_name)
            x = layer(x)
            kernel = f32(rng.normal(0, 0.6, layer.kernel.shape))
            bias = f32(rng.normal(0, 0.1, layer.bias.shape))
            layer.set_weights([kernel, bias])
            arrays[f"{name}_{layer_name}_kernel"] = kernel
            arrays[f"{name}_{layer_name}_bias"] = bias
        return keras.Model(inputs, x, name=name), arrays

    teacher, t_arrays = build("teacher", [(6, "hidden"), (10, "wide"), (4, "logits")])
    student, s_arrays = build("student", [(6, "hidden"), (4, "logits")])
    return teacher, student, {**t_arrays, **s_arrays}


def _distiller_cases(g, rng):
    from keras.distillation import Distiller

    x = f32(rng.normal(0, 1, (12, 5)))
    y = rng.integers(0, 4, 12).astype(np.int32)
    configs = {
        "logits_and_features": {
            "distillation_losses": [["LogitsDistillation",
                                     {"temperature": 2.0, "loss": ["KLDivergence", {}]}],
                                    ["FeatureDistillation",
                                     {"loss": "mse", "teacher_layer_name": "hidden",
                                      "student_layer_name": "hidden"}]],
            "distillation_loss_weights": [0.7, 0.3], "student_loss_weight": 0.4,
            "metrics": ["accuracy"]},
        "default_logits": {
            "distillation_losses": ["LogitsDistillation", {}],
            "distillation_loss_weights": None, "student_loss_weight": 0.5, "metrics": None},
        "distillation_only": {
            "distillation_losses": [["LogitsDistillation",
                                     {"temperature": 3.0, "loss": ["KLDivergence", {}]}]],
            "distillation_loss_weights": None, "student_loss_weight": 0.0, "metrics": None},
        "labels_only": {
            "distillation_losses": ["FeatureDistillation", {"loss": "mse"}],
            "distillation_loss_weights": None, "student_loss_weight": 1.0,
            "metrics": ["accuracy"]},
    }

    def make_loss(spec):
        cls, cfg = spec
        cfg = dict(cfg)
        if "loss" in cfg:
            cfg["loss"] = _loss_spec(cfg["loss"])
        return getattr(keras.distillation, cls)(**cfg)

    for name, config in configs.items():
        teacher, student, arrays = _models(np.random.default_rng(SEED + 1))
        specs = config["distillation_losses"]
        losses = ([make_loss(s) for s in specs] if isinstance(specs[0], list)
                  else make_loss(specs))
        distiller = Distiller(teacher, student, losses,
                              distillation_loss_weights=config["distillation_loss_weights"],
                              student_loss_weight=config["student_loss_weight"])
        distiller.compile(optimizer=keras.optimizers.SGD(0.1),
                          loss="sparse_categorical_crossentropy", metrics=config["metrics"])
        arrays = dict(arrays, x=x, y=y)
        evaluated = distiller.evaluate(x, y, batch_size=12, verbose=0, return_dict=True)
        stepped = distiller.train_on_batch(x, y, return_dict=True)
        arrays.update({f"student_after_step_{i}": w
                       for i, w in enumerate(student.get_weights())})
        history = distiller.fit(x, y, batch_size=5, epochs=2, shuffle=False, verbose=0).history
        arrays.update({f"student_after_fit_{i}": w for i, w in enumerate(student.get_weights())})
        arrays.update({f"teacher_after_fit_{i}": w for i, w in enumerate(teacher.get_weights())})
        arrays["predict"] = distiller.predict(x, verbose=0)
        g.add(f"distiller_{name}", "Distiller", "keras.distillation", config, arrays,
              kind="distiller", evaluate={k: float(v) for k, v in evaluated.items()},
              train_on_batch={k: float(v) for k, v in stepped.items()},
              history={k: [float(v) for v in vs] for k, vs in history.items()},
              metrics_names=[m.name for m in distiller.metrics],
              optimizer={"class": "SGD", "learning_rate": 0.1},
              fit={"batch_size": 5, "epochs": 2, "shuffle": False},
              distiller_config_keys=sorted(distiller.get_config()))


def make_distillation():
    g = Golden(
        "distillation",
        seed=SEED,
        description=(
            "kind 'loss': loss = keras.distillation.<class>(**config).compute_loss(teacher, "
            "student) with the outputs teacher_<i> / student_<i> (one tensor, a list or a "
            "dict, see 'structure'); a loss given as [ClassName, kwargs] is "
            "keras.losses.ClassName(**kwargs); grad_<i> = d loss / d student_<i> (jax.grad).  "
            "kind 'distiller': functional teacher 5->6(relu, 'hidden')->10(relu, 'wide')->"
            "4('logits') and student 5->6(relu, 'hidden')->4('logits') with the stored "
            "weights; Distiller(teacher, student, losses, ...).compile(SGD(0.1), "
            "'sparse_categorical_crossentropy', metrics); then evaluate(x, y, batch_size=12), "
            "train_on_batch(x, y) (student weights after it), fit(batch_size=5, epochs=2, "
            "shuffle=False) (history, weights after it), predict(x)."
        ),
    )
    rng = np.random.default_rng(SEED)
    _loss_cases(g, rng)
    _distiller_cases(g, rng)
    g.write()


if __name__ == "__main__":
    make_distillation()
