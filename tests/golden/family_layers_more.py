"""Golden values of Keras 3's GroupQueryAttention, SpectralNormalization,
ReversibleEmbedding, STFTSpectrogram, MelSpectrogram, the STFT initializer and the ops
cdist, view_as_complex and view_as_real.

Run from this folder::

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python family_layers_more.py
"""

import os
import sys
import tempfile

import numpy as np

import keras
from make_golden import HERE, Golden, f32, to_np


def make_layers_more():
    g = Golden(
        "layers_more",
        seed=53,
        description=(
            "kind 'gqa': layer = keras.layers.GroupQueryAttention(**config), built with "
            "layer.build(query.shape, value.shape, key.shape or None), set_weights(w0...); "
            "y (and scores) = layer(**{arg: arrays[name] for arg, name in "
            "tensor_args.items()}, **call_kwargs); dq / dv = jax gradients of sum(y * proj) "
            "with respect to the query / value tensor (cases with proj).  kind 'spectral': "
            "SpectralNormalization(<wrapped>(**wrapped_config), power_iterations) called on "
            "x, set_weights(w0...) (kernel, vector_u, bias); y_infer = layer(x); y_train = "
            "layer(x, training=True), then kernel_1 / u_1 (the stored kernel and vector_u); "
            "y_train_2 = a second training call, kernel_2 / u_2; y_after = layer(x) "
            "(Embedding cases: the kernels and vectors only, Keras casts the output to the "
            "integer input dtype).  kind 'reversible': ReversibleEmbedding(**config), "
            "set_weights(w0...), y = layer(ids), y_reverse = layer(h, reverse=True), dh = "
            "jax gradient of sum(y_reverse * proj) with respect to h.  kind 'stft': "
            "STFTSpectrogram(**config) built on x, its initial weights w0 (w1), y = layer(x), "
            "dx = jax gradient of sum(y * proj) (cases with proj).  kind 'initializer': "
            "keras.initializers.STFT(**config)(shape).  kind 'mel': MelSpectrogram(**config), "
            "y = layer(x), dx as above.  kind 'op': keras.ops.<class>(*args) with args = "
            "arrays x (y); out, and dx / dy = jax gradients of sum(out * proj).  kind 'layout': "
            "the HDF5 layout (save_weights after one fit step) of the model of "
            "tests/interop/specs.py spec `spec`.  kind 'saved_model': the trained model in "
            "layers_more_model.keras (ReversibleEmbedding -> GroupQueryAttention -> reverse "
            "projection), its predictions on x and after one more "
            "train_on_batch(step_x, step_y)."
        ),
    )
    import jax
    import jax.numpy as jnp

    rng = np.random.default_rng(53)

    def rnd(*shape, scale=1.0):
        return f32(rng.normal(0, scale, shape))

    # -- GroupQueryAttention ------------------------------------------------------------
    q, v, v8, k3 = rnd(2, 4, 6), rnd(2, 5, 6), rnd(2, 5, 8), rnd(2, 5, 3)
    vmask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
    qmask = np.array([[1, 1, 0, 0], [1, 1, 1, 1]], bool)
    amask = rng.uniform(size=(2, 4, 5)) > 0.3
    amask[:, :, 0] = True
    full_rows = amask.copy()
    amask[0, 2, :] = False  # a query position that may attend to nothing
    tensors_all = {"q": q, "v": v, "v8": v8, "k3": k3, "vmask": vmask, "qmask": qmask,
                   "amask": amask, "amask_full": full_rows, "amask2d": full_rows[1]}
    gqa = [
        ("GQA_self", {"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2},
         {"query": "q", "value": "q"}, {}, True),
        ("GQA_multi_query_scores", {"head_dim": 2, "num_query_heads": 4,
                                    "num_key_value_heads": 1},
         {"query": "q", "value": "v"}, {"return_attention_scores": True}, False),
        ("GQA_key_value_dims", {"head_dim": 3, "num_query_heads": 2, "num_key_value_heads": 2},
         {"query": "q", "value": "v8", "key": "k3"}, {"return_attention_scores": True}, False),
        ("GQA_value_mask_causal", {"head_dim": 3, "num_query_heads": 4,
                                   "num_key_value_heads": 2},
         {"query": "q", "value": "v", "value_mask": "vmask"},
         {"use_causal_mask": True, "return_attention_scores": True}, False),
        ("GQA_attention_mask_empty_row", {"head_dim": 3, "num_query_heads": 6,
                                          "num_key_value_heads": 3},
         {"query": "q", "value": "v", "attention_mask": "amask"},
         {"return_attention_scores": True}, False),
        ("GQA_query_and_key_masks", {"head_dim": 2, "num_query_heads": 4,
                                     "num_key_value_heads": 2},
         {"query": "q", "value": "v", "key": "v", "query_mask": "qmask", "key_mask": "vmask"},
         {"return_attention_scores": True}, False),
        ("GQA_gate_sliding_no_bias", {"head_dim": 3, "num_query_heads": 4,
                                      "num_key_value_heads": 2, "use_gate": True,
                                      "sliding_window": 2, "use_bias": False},
         {"query": "q", "value": "q"}, {"use_causal_mask": True,
                                        "return_attention_scores": True}, False),
        ("GQA_fused_attention_mask", {"head_dim": 3, "num_query_heads": 4,
                                      "num_key_value_heads": 2},
         {"query": "q", "value": "v", "attention_mask": "amask_full"}, {}, True),
        ("GQA_fused_causal_2d_mask", {"head_dim": 2, "num_query_heads": 2,
                                      "num_key_value_heads": 1},
         {"query": "q", "value": "v", "attention_mask": "amask2d"},
         {"use_causal_mask": True}, True),
        ("GQA_fused_causal_only", {"head_dim": 2, "num_query_heads": 4,
                                   "num_key_value_heads": 2},
         {"query": "q", "value": "q"}, {"use_causal_mask": True}, True),
    ]
    for name, cfg, tensor_args, call_kwargs, with_grad in gqa:
        keras.backend.clear_session()
        layer = keras.layers.GroupQueryAttention(**cfg)
        tensors = {a: tensors_all[n] for a, n in tensor_args.items()}
        layer.build(tensors["query"].shape, tensors["value"].shape,
                    tensors["key"].shape if "key" in tensors else None)
        weights = [f32(rng.normal(0, 0.5, w.shape)) for w in layer.get_weights()]
        layer.set_weights(weights)
        out = layer(**tensors, **call_kwargs)
        outs = out if isinstance(out, (list, tuple)) else [out]
        arrays = {n: tensors_all[n] for n in tensor_args.values()}
        arrays.update({f"w{i}": w for i, w in enumerate(weights)})
        arrays["y"] = to_np(outs[0])
        if len(outs) > 1:
            arrays["scores"] = to_np(outs[1])
        if with_grad:
            proj = rnd(*arrays["y"].shape)

            def total(qq, vv):
                others = {a: t for a, t in tensors.items() if a not in ("query", "value")}
                value = qq if tensor_args["value"] == tensor_args["query"] else vv
                return jnp.sum(layer(query=qq, value=value, **others, **call_kwargs) * proj)

            dq, dv = jax.grad(total, argnums=(0, 1))(jnp.asarray(tensors["query"]),
                                                     jnp.asarray(tensors["value"]))
            arrays.update(proj=proj, dq=to_np(dq))
            if tensor_args["value"] != tensor_args["query"]:
                arrays["dv"] = to_np(dv)
        g.add(name, "GroupQueryAttention", "keras.layers", cfg, arrays, kind="gqa",
              tensor_args=tensor_args, call_kwargs=call_kwargs, n_weights=len(weights),
              weight_names=[w.path for w in layer.weights], keras_config=layer.get_config())

    # -- SpectralNormalization ----------------------------------------------------------
    spectral = [
        ("SN_dense", "Dense", {"units": 3}, 1, rnd(2, 4)),
        ("SN_dense_3_iterations", "Dense", {"units": 5, "use_bias": False}, 3, rnd(3, 2, 4)),
        ("SN_conv2d", "Conv2D", {"filters": 2, "kernel_size": 2}, 2, rnd(1, 5, 5, 3)),
        ("SN_embedding", "Embedding", {"input_dim": 6, "output_dim": 3}, 1,
         np.array([[1, 2, 5], [0, 3, 3]], np.int32)),
    ]
    for name, wrapped, wcfg, iterations, x in spectral:
        keras.backend.clear_session()
        layer = keras.layers.SpectralNormalization(getattr(keras.layers, wrapped)(**wcfg),
                                                   power_iterations=iterations)
        layer(x)
        weights = [f32(rng.normal(0, 0.7, w.shape)) for w in layer.get_weights()]
        layer.set_weights(weights)
        arrays = {"x": x, **{f"w{i}": w for i, w in enumerate(weights)}}
        floating = x.dtype.kind == "f"
        if floating:
            arrays["y_infer"] = to_np(layer(x))
        y_train = layer(x, training=True)
        arrays.update(kernel_1=to_np(layer.kernel), u_1=to_np(layer.vector_u))
        y_train_2 = layer(x, training=True)
        arrays.update(kernel_2=to_np(layer.kernel), u_2=to_np(layer.vector_u))
        if floating:
            arrays.update(y_train=to_np(y_train), y_train_2=to_np(y_train_2),
                          y_after=to_np(layer(x)))
        g.add(name, "SpectralNormalization", "keras.layers",
              {"power_iterations": iterations}, arrays, kind="spectral", wrapped=wrapped,
              wrapped_config=wcfg, n_weights=len(weights),
              weight_names=[w.path for w in layer.weights], keras_config=layer.get_config())

    # -- ReversibleEmbedding ------------------------------------------------------------
    ids = np.array([[3, 5, 2, 0, 0], [1, 4, 4, 6, 0]], np.int32)
    reversible = [
        ("RE_tied", {"input_dim": 8, "output_dim": 4}),
        ("RE_untied_mask_zero", {"input_dim": 8, "output_dim": 4, "tie_weights": False,
                                 "mask_zero": True}),
        ("RE_soft_cap", {"input_dim": 8, "output_dim": 4, "logit_soft_cap": 1.5}),
        ("RE_untied_soft_cap_reverse_dtype", {"input_dim": 8, "output_dim": 3,
                                              "tie_weights": False, "logit_soft_cap": 3.0,
                                              "reverse_dtype": "float32"}),
    ]
    for name, cfg in reversible:
        keras.backend.clear_session()
        layer = keras.layers.ReversibleEmbedding(**cfg)
        layer.build()
        weights = [f32(rng.normal(0, 1.0, w.shape)) for w in layer.get_weights()]
        layer.set_weights(weights)
        h = rnd(2, 5, cfg["output_dim"], scale=1.5)
        y_reverse = layer(h, reverse=True)
        proj = rnd(*y_reverse.shape)
        dh = jax.grad(lambda hh: jnp.sum(layer(hh, reverse=True) * proj))(jnp.asarray(h))
        g.add(name, "ReversibleEmbedding", "keras.layers", cfg, {
            "ids": ids, "h": h, "proj": proj, **{f"w{i}": w for i, w in enumerate(weights)},
            "y": to_np(layer(ids)), "y_reverse": to_np(y_reverse), "dh": to_np(dh)},
            kind="reversible", n_weights=len(weights),
            weight_names=[w.path for w in layer.weights], keras_config=layer.get_config())

    # -- STFTSpectrogram and the STFT initializer ----------------------------------------
    signal, signal_cf = rnd(2, 40, 2), rnd(2, 2, 40)
    window12 = f32(rng.uniform(0.2, 1.0, 12))
    stft_cases = [
        ("STFT_log", {"frame_length": 16, "frame_step": 4, "fft_length": 32}, signal, True),
        ("STFT_magnitude_same_hamming_periodic_spectrum",
         {"mode": "magnitude", "frame_length": 12, "frame_step": 5, "padding": "same",
          "window": "hamming", "periodic": True, "scaling": "spectrum", "expand_dims": True},
         signal, True),
        ("STFT_psd_no_window", {"mode": "psd", "frame_length": 8, "frame_step": 3,
                                "window": None, "scaling": None}, signal, True),
        ("STFT_real_channels_first_blackman",
         {"mode": "real", "frame_length": 12, "frame_step": 6, "window": "blackman",
          "data_format": "channels_first"}, signal_cf, False),
        ("STFT_imag_array_window", {"mode": "imag", "frame_length": 12, "frame_step": 4,
                                    "window": window12.tolist()}, signal, False),
        ("STFT_angle_odd_fft_bartlett", {"mode": "angle", "frame_length": 10, "frame_step": 3,
                                         "fft_length": 15, "window": "bartlett"},
         signal, False),
        ("STFT_stft_channels_first_expand_triang",
         {"mode": "stft", "frame_length": 8, "frame_step": 4, "window": "triang",
          "data_format": "channels_first", "expand_dims": True, "padding": "same"},
         signal_cf, True),
        ("STFT_log_default_step", {"frame_length": 16}, signal, False),
    ]
    for name, cfg, x, with_grad in stft_cases:
        keras.backend.clear_session()
        layer = keras.layers.STFTSpectrogram(**cfg)
        y = layer(x)
        arrays = {"x": x, "y": to_np(y),
                  **{f"w{i}": to_np(w) for i, w in enumerate(layer.weights)}}
        if with_grad:
            proj = rnd(*y.shape)
            dx = jax.grad(lambda xx: jnp.sum(layer(xx) * proj))(jnp.asarray(x))
            arrays.update(proj=proj, dx=to_np(dx))
        g.add(name, "STFTSpectrogram", "keras.layers", cfg, arrays, kind="stft",
              n_weights=len(layer.weights), weight_names=[w.path for w in layer.weights],
              keras_config=layer.get_config())

    for name, cfg, shape in [
            ("STFTInit_real_hann", {"side": "real"}, (8, 1, 5)),
            ("STFTInit_imag_hamming_periodic_spectrum",
             {"side": "imag", "window": "hamming", "periodic": True, "scaling": "spectrum"},
             (7, 1, 6)),
            ("STFTInit_real_no_window", {"side": "real", "window": None, "scaling": None},
             (6, 1, 4)),
            ("STFTInit_imag_flattop_no_scaling", {"side": "imag", "window": "flattop",
                                                  "scaling": None}, (9, 1, 5))]:
        value = keras.initializers.STFT(**cfg)(shape)
        g.add(name, "STFT", "keras.initializers", cfg, {"value": to_np(value)},
              kind="initializer", shape=list(shape))

    # -- MelSpectrogram -----------------------------------------------------------------
    audio, audio1 = rnd(2, 300), rnd(300)
    mel_cases = [
        ("Mel_db", {"fft_length": 64, "sequence_stride": 16, "num_mel_bins": 8,
                    "sampling_rate": 8000}, audio, False),
        ("Mel_magnitude_hamming", {"fft_length": 64, "sequence_stride": 20,
                                   "sequence_length": 48, "window": "hamming",
                                   "num_mel_bins": 6, "sampling_rate": 8000, "min_freq": 100.0,
                                   "max_freq": 3000.0, "power_to_db": False, "mag_exp": 1.0},
         audio, True),
        ("Mel_1d_top_db_ref_power", {"fft_length": 32, "sequence_stride": 10,
                                     "num_mel_bins": 5, "sampling_rate": 4000, "top_db": 20.0,
                                     "ref_power": 2.0}, audio1, False),
        ("Mel_power_no_window", {"fft_length": 32, "sequence_stride": 16, "window": None,
                                 "num_mel_bins": 4, "sampling_rate": 6000,
                                 "power_to_db": False}, audio, True),
    ]
    for name, cfg, x, with_grad in mel_cases:
        keras.backend.clear_session()
        layer = keras.layers.MelSpectrogram(**cfg)
        y = layer(x)
        arrays = {"x": x, "y": to_np(y)}
        if with_grad:
            proj = rnd(*y.shape)
            dx = jax.grad(lambda xx: jnp.sum(layer(xx) * proj))(jnp.asarray(x))
            arrays.update(proj=proj, dx=to_np(dx))
        g.add(name, "MelSpectrogram", "keras.layers", cfg, arrays, kind="mel",
              keras_config=layer.get_config())

    # -- ops ----------------------------------------------------------------------------
    def op_case(name, op, *args, grad=True):
        out = getattr(keras.ops, op)(*args)
        arrays = {"x": args[0], "out": to_np(out)}
        if len(args) > 1:
            arrays["y"] = args[1]
        if grad:
            proj = rnd(*out.shape)
            grads = jax.grad(lambda *a: jnp.sum(getattr(keras.ops, op)(*a) * proj),
                             argnums=tuple(range(len(args))))(*[jnp.asarray(a) for a in args])
            arrays["proj"] = proj
            arrays.update({f"d{k}": to_np(d) for k, d in zip("xy", grads)})
        g.add(name, op, "keras.ops", {}, arrays, kind="op")

    op_case("cdist_2d", "cdist", rnd(3, 4), rnd(5, 4))
    op_case("cdist_batch_broadcast", "cdist", rnd(2, 3, 4), rnd(1, 5, 4))
    op_case("cdist_int", "cdist", rng.integers(-3, 4, (3, 2)).astype(np.int32),
            rng.integers(-3, 4, (4, 2)).astype(np.int32), grad=False)
    op_case("view_as_complex", "view_as_complex", rnd(3, 4, 2), grad=False)
    op_case("view_as_real", "view_as_real",
            (rnd(2, 3) + 1j * rnd(2, 3)).astype(np.complex64), grad=False)

    # -- weight-file layouts of the interop specs, and a model Keras trained and saved ---
    sys.path.insert(0, os.path.join(HERE, os.pardir, "interop"))
    from specs import LAYER_SPECS, build_spec_model, h5_layout, spec_data

    for name in ("group_query_attention", "spectral_normalization", "reversible_embedding",
                 "stft_spectrogram", "mel_spectrogram"):
        keras.backend.clear_session()
        model = build_spec_model(keras, name)
        model.compile(optimizer="adam", loss="mse")
        xs, y = spec_data(name, LAYER_SPECS[name][1])
        model.fit(xs if len(xs) > 1 else xs[0], y, batch_size=8, epochs=1, verbose=0)
        path = os.path.join(tempfile.mkdtemp(), "m.weights.h5")
        model.save_weights(path)
        g.add(f"layout_{name}", LAYER_SPECS[name][0]["class_name"], "keras.layers",
              LAYER_SPECS[name][0]["kwargs"], {}, kind="layout", spec=name,
              layout=h5_layout(path))

    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    inp = keras.Input((6,), dtype="int32")
    embedding = keras.layers.ReversibleEmbedding(12, 8, logit_soft_cap=5.0)
    h = embedding(inp)
    h = keras.layers.GroupQueryAttention(head_dim=4, num_query_heads=4,
                                         num_key_value_heads=2)(h, h, use_causal_mask=True)
    out = embedding(h, reverse=True)
    model = keras.Model(inp, out, name="layers_more_model")
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x = rng.integers(0, 12, size=(32, 6)).astype(np.int32)
    y = np.roll(x, -1, axis=1)
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    model.save(os.path.join(HERE, "layers_more_model.keras"))
    model = keras.models.load_model(os.path.join(HERE, "layers_more_model.keras"))
    pred = to_np(model.predict(x[:4], verbose=0))
    model.train_on_batch(x[8:16], y[8:16])
    g.add("saved_model", "Functional", "keras", {}, {
        "x": x[:4], "pred": pred, "step_x": x[8:16], "step_y": y[8:16],
        "after_step": to_np(model.predict(x[:4], verbose=0))},
        kind="saved_model", file="layers_more_model.keras")
    g.write()


if __name__ == "__main__":
    make_layers_more()
