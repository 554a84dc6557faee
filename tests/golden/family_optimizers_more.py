"""Golden values of Keras 3's Muon, ScheduleFreeAdamW and MultiOptimizer.

Run from this folder::

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python family_optimizers_more.py
"""

import os

import numpy as np

import keras
from make_golden import HERE, Golden, build_obj, f32, obj_ref, to_np

# (name, shape): a tall and a wide 2-D kernel, a bias, an embedding-like table, a scalar
VARIABLES = [("kernel", (4, 3)), ("wide_kernel", (2, 5)), ("bias", (3,)),
             ("token_embedding", (5, 2)), ("scale", ())]
NSTEP = 4


def _state(opt):
    """Every optimizer variable after the last step: paths and values."""
    return [v.path for v in opt.variables], [to_np(v.value) for v in opt.variables]


def make_optimizers_more():
    g = Golden(
        "optimizers_more",
        seed=48,
        description=(
            "kind 'steps': keras.Variables named after 'variable_names' start at init<i>; "
            "opt = keras.optimizers.<Class>(**config) (kind 'steps') or "
            "keras.optimizers.deserialize(keras_serialized) (MultiOptimizer); with "
            "'exclude_from_weight_decay' opt.exclude_from_weight_decay(var_names=...); for "
            "step in range(n_steps): learning_rate[step] = opt.learning_rate (when it has one), "
            "opt.apply_gradients(zip(grad<i>[step], variables)); w<i>[step] = value after "
            "the step.  state<j> = opt.variables[j] after the last step, with path "
            "state_names[j].  kind 'fit': a Sequential model named 'net' (Dense 'hidden' then "
            "Dense 'output_dense', weights set from kernel0/bias0/kernel1/bias1) compiled with "
            "loss 'mse' and keras.optimizers.deserialize(keras_serialized), fit(x, y, "
            "batch_size=8, epochs=2, shuffle=False); weights after fit in final<k>, optimizer "
            "state in state<j>, per-epoch losses in loss, predict(x) in pred; the model is "
            "then saved as optimizers_more_<case name>.keras, trained one more step with "
            "train_on_batch(x[:8], y[:8]) and predict(x) is after_step."
        ),
    )
    rng = np.random.default_rng(48)
    inits = [f32(rng.normal(0, 1, shape)) for _, shape in VARIABLES]
    grads = [f32(rng.normal(0, 1, (NSTEP,) + shape)) for _, shape in VARIABLES]
    names = [name for name, _ in VARIABLES]
    exp_decay = obj_ref("keras.optimizers.schedules", "ExponentialDecay",
                        {"initial_learning_rate": 0.05, "decay_steps": 2, "decay_rate": 0.5})

    def run(name, cls, config, make, exclude=None):
        opt = make()
        if exclude:
            opt.exclude_from_weight_decay(var_names=exclude)
        variables = [keras.Variable(w, name=n) for w, n in zip(inits, names)]
        ws = [[] for _ in variables]
        lrs = []
        for step in range(NSTEP):
            if cls != "MultiOptimizer":
                lrs.append(float(to_np(opt.learning_rate)))
            opt.apply_gradients([(gr[step], v) for gr, v in zip(grads, variables)])
            for w, v in zip(ws, variables):
                w.append(to_np(v.value))
        state_names, state = _state(opt)
        arrays = {f"init{i}": w for i, w in enumerate(inits)}
        arrays.update({f"grad{i}": gr for i, gr in enumerate(grads)})
        arrays.update({f"w{i}": np.stack(w) for i, w in enumerate(ws)})
        arrays.update({f"state{j}": s for j, s in enumerate(state)})
        if lrs:
            arrays["learning_rate"] = f32(lrs)
        g.add(name, cls, "keras.optimizers", config, arrays, kind="steps", n_steps=NSTEP,
              variable_names=names, state_names=state_names,
              exclude_from_weight_decay=exclude, iterations_after=int(to_np(opt.iterations)),
              keras_config=opt.get_config(), keras_serialized=keras.optimizers.serialize(opt))

    def case(name, cls, config, exclude=None):
        run(name, cls, config,
            lambda: getattr(keras.optimizers, cls)(**build_obj(config)), exclude)

    case("Muon_lr", "Muon", {"learning_rate": 0.05})
    case("Muon_no_nesterov_no_rms", "Muon",
         {"learning_rate": 0.05, "nesterov": False, "rms_rate": None, "ns_steps": 3,
          "momentum": 0.9, "weight_decay": None, "adam_weight_decay": None})
    case("Muon_exclude_layers", "Muon",
         {"learning_rate": 0.05, "exclude_layers": ["wide"], "exclude_embeddings": False,
          "adam_lr_ratio": 0.1, "adam_beta_1": 0.8, "adam_beta_2": 0.9, "epsilon": 1e-3})
    case("Muon_schedule_weight_decay", "Muon",
         {"learning_rate": exp_decay, "weight_decay": 0.3, "adam_weight_decay": 0.1})
    case("Muon_exclude_from_weight_decay", "Muon",
         {"learning_rate": 0.05, "weight_decay": 0.3, "adam_weight_decay": 0.2},
         exclude=["bias", "wide"])
    case("Muon_coefficients_global_clipnorm", "Muon",
         {"learning_rate": 0.05, "muon_a": 2.0, "muon_b": -1.5, "muon_c": 0.5, "ns_steps": 7,
          "global_clipnorm": 1.0})
    case("Muon_gradient_accumulation", "Muon",
         {"learning_rate": 0.05, "gradient_accumulation_steps": 2})
    case("ScheduleFreeAdamW", "ScheduleFreeAdamW", {"learning_rate": 0.05})
    case("ScheduleFreeAdamW_ema", "ScheduleFreeAdamW",
         {"learning_rate": 0.05, "use_ema": True, "ema_momentum": 0.5,
          "ema_overwrite_frequency": 3})
    case("ScheduleFreeAdamW_gradient_accumulation", "ScheduleFreeAdamW",
         {"learning_rate": 0.05, "gradient_accumulation_steps": 2, "warmup_steps": 2})
    case("ScheduleFreeAdamW_warmup", "ScheduleFreeAdamW",
         {"learning_rate": 0.05, "warmup_steps": 3})
    case("ScheduleFreeAdamW_betas_weight_decay", "ScheduleFreeAdamW",
         {"learning_rate": 0.05, "beta_1": 0.5, "beta_2": 0.9, "epsilon": 1e-3,
          "weight_decay": 0.2})
    case("ScheduleFreeAdamW_schedule_clipnorm", "ScheduleFreeAdamW",
         {"learning_rate": exp_decay, "clipnorm": 0.5})

    O = keras.optimizers

    def multi(name, make):
        opt = make()
        run(name, "MultiOptimizer", O.serialize(opt), make)

    multi("MultiOptimizer_map", lambda: O.MultiOptimizer(O.OptimizerMap(
        O.SGD(0.1, momentum=0.9), {".*kernel": O.Adam(0.01), "bias": O.Lion(0.02)})))
    multi("MultiOptimizer_muon_adamw", lambda: O.MultiOptimizer(O.OptimizerMap(
        O.AdamW(0.01, weight_decay=0.1),
        {"kernel": O.Muon(0.05), "wide_kernel": O.ScheduleFreeAdamW(0.05)})))

    # -- through fit ---------------------------------------------------------------------
    x = f32(rng.normal(0, 1, (16, 4)))
    y = f32(rng.normal(0, 1, (16, 2)))
    weights = [f32(rng.normal(0, 0.5, s)) for s in [(4, 3), (3,), (3, 2), (2,)]]

    def fit_case(name, cls, make):
        keras.utils.clear_session()
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="hidden"),
                                  keras.layers.Dense(2, name="output_dense")], name="net")
        model.set_weights(weights)
        opt = make()
        model.compile(optimizer=opt, loss="mse")
        history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
        state_names, state = _state(opt)
        arrays = {"x": x, "y": y, "loss": f32(history.history["loss"])}
        arrays.update({f"weights{k}": w for k, w in enumerate(weights)})
        arrays.update({f"final{k}": w for k, w in enumerate(model.get_weights())})
        arrays.update({f"state{j}": s for j, s in enumerate(state)})
        iterations = int(to_np(opt.iterations))
        model.save(os.path.join(HERE, f"optimizers_more_{name}.keras"))
        arrays["pred"] = to_np(model.predict(x, verbose=0))
        model.train_on_batch(x[:8], y[:8])
        arrays["after_step"] = to_np(model.predict(x, verbose=0))
        g.add(name, cls, "keras.optimizers", O.serialize(opt), arrays, kind="fit",
              state_names=state_names, keras_serialized=O.serialize(opt),
              iterations_after=iterations)

    fit_case("fit_Muon", "Muon", lambda: O.Muon(0.05, exclude_layers=["output_dense"]))
    fit_case("fit_ScheduleFreeAdamW", "ScheduleFreeAdamW",
             lambda: O.ScheduleFreeAdamW(0.05, warmup_steps=2))
    fit_case("fit_MultiOptimizer", "MultiOptimizer", lambda: O.MultiOptimizer(O.OptimizerMap(
        O.SGD(0.1), {".*hidden/.*": O.Muon(0.05)})))
    g.write()


if __name__ == "__main__":
    make_optimizers_more()
