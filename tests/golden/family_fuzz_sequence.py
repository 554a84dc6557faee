"""Golden values of the `fuzz_sequence` family: seeded random sequence models.

Each case is a functional model drawn from a small grammar (Embedding with and
without ``mask_zero``, Masking, SimpleRNN / LSTM / GRU with their options and
initial states, stacked cells, Bidirectional, TimeDistributed, causal and dilated
Conv1D, attention layers with masks, LayerNormalization, global pooling,
ConvLSTM1D / 2D) with random weights. Keras gives: the model's JSON config, its
symbolic output shapes and ``count_params``, the outputs and their masks for the
stored inputs, and the losses and weights after two ``train_on_batch`` steps with
SGD and with Adam.

Run from this folder (see README.md)::

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python family_fuzz_sequence.py

``FUZZ_SEQUENCE_CASES`` / ``FUZZ_SEQUENCE_SEED`` / ``FUZZ_SEQUENCE_OUT`` draw more
cases into another folder (the same grammar, for wider sweeps).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import make_golden  # noqa: E402
from make_golden import Golden, f32, keras, np, to_np  # noqa: E402
from keras.src import backend as keras_backend  # noqa: E402

L = keras.layers
RNN_KINDS = ("SimpleRNN", "LSTM", "GRU")
ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")
RECURRENT_ACTIVATIONS = ("sigmoid", "hard_sigmoid", "tanh")


class Draw:
    """Random choices of one case, with a readable trail of what was drawn."""

    def __init__(self, rng):
        self.rng = rng
        self.trail = []

    def pick(self, options):
        return options[int(self.rng.integers(len(options)))]

    def coin(self, p=0.5):
        return bool(self.rng.random() < p)

    def note(self, text):
        self.trail.append(text)


def rnn_layer(d, kind=None, units=None, **forced):
    kind = kind or d.pick(RNN_KINDS)
    units = units or int(d.rng.integers(2, 5))
    kw = dict(
        units=units,
        return_sequences=d.coin(0.6),
        return_state=d.coin(0.25),
        go_backwards=d.coin(0.3),
        unroll=d.coin(0.3),
        use_bias=d.coin(0.8),
        activation=d.pick(ACTIVATIONS),
    )
    if kind != "SimpleRNN":
        kw["recurrent_activation"] = d.pick(RECURRENT_ACTIVATIONS)
    if kind == "GRU":
        kw["reset_after"] = d.coin()
    kw.update(forced)
    d.note(f"{kind}({kw})")
    return getattr(L, kind)(**kw), kind, kw


def rnn_outputs(out, kw):
    """The sequence/last output and the states of an RNN call."""
    if kw["return_state"]:
        return out[0], list(out[1:])
    return out, []


def cell(d, kind, units):
    kw = dict(units=units, activation=d.pick(ACTIVATIONS), use_bias=d.coin(0.8))
    if kind != "SimpleRNN":
        kw["recurrent_activation"] = d.pick(RECURRENT_ACTIVATIONS)
    if kind == "GRU":
        kw["reset_after"] = d.coin()
    return getattr(L, kind + "Cell")(**kw)


def sequence_block(d, x, time_steps, extra_inputs, feeds):
    """One random layer on a (batch, time, features) tensor; returns (tensor, is_sequence)."""
    choice = d.pick(("rnn", "rnn", "rnn_init", "bidirectional", "stacked", "time_dense",
                     "conv1d", "layer_norm", "dense", "mha", "attention", "additive",
                     "cross_mha", "residual", "concat", "bidirectional_init", "zero_output",
                     "no_mask_layer"))
    if choice == "residual":
        units = x.shape[-1]
        inner = d.pick(("dense", "rnn", "time_dense"))
        if inner == "rnn":
            layer, _, kw = rnn_layer(d, units=units, return_sequences=True, return_state=False)
            branch = layer(x)
        elif inner == "dense":
            branch = L.Dense(units)(x)
        else:
            branch = L.TimeDistributed(L.Dense(units))(x)
        merge = d.pick(("Add", "Multiply", "Average", "Maximum"))
        d.note(f"residual {merge}(x, {inner})")
        return getattr(L, merge)()([x, branch]), True, []
    if choice == "concat":
        layer, _, kw = rnn_layer(d, return_sequences=True, return_state=False)
        d.note("Concatenate([x, rnn(x)])")
        return L.Concatenate()([x, layer(x)]), True, []
    if choice == "bidirectional_init":
        kind = d.pick(RNN_KINDS)
        units = int(d.rng.integers(2, 4))
        first, _, kw1 = rnn_layer(d, kind, units, return_sequences=True, return_state=True,
                                  go_backwards=False)
        y, states = rnn_outputs(L.Bidirectional(first, merge_mode="sum")(x), kw1)
        second, _, kw2 = rnn_layer(d, kind, units, go_backwards=False, return_state=False)
        d.note("Bidirectional initial_state from a Bidirectional's states")
        z = L.Bidirectional(second, merge_mode=d.pick(("concat", "ave")))(y, initial_state=states)
        return z, kw2["return_sequences"], []
    if choice == "zero_output":
        kind = d.pick(RNN_KINDS)
        kw = dict(return_sequences=True, zero_output_for_mask=d.coin(),
                  go_backwards=d.coin(), unroll=d.coin())
        d.note(f"RNN({kind}Cell, {kw})")
        return L.RNN(cell(d, kind, int(d.rng.integers(2, 4))), **kw)(x), True, []
    if choice == "no_mask_layer":
        name = d.pick(("ZeroPadding1D", "Cropping1D", "SpatialDropout1D", "Dropout",
                       "Activation", "UpSampling1D"))
        d.note(name)
        if name == "ZeroPadding1D":
            return L.ZeroPadding1D((0, 1))(x), True, []
        if name == "Cropping1D" and time_steps > 2:
            return L.Cropping1D((1, 0))(x), True, []
        if name in ("SpatialDropout1D", "Dropout"):
            return getattr(L, name)(0.0)(x), True, []
        if name == "UpSampling1D":
            return L.UpSampling1D(1)(x), True, []
        return L.Activation("tanh")(x), True, []
    if choice == "rnn":
        layer, _, kw = rnn_layer(d)
        y, states = rnn_outputs(layer(x), kw)
        return y, kw["return_sequences"], states
    if choice == "rnn_init":
        kind = d.pick(RNN_KINDS)
        units = int(d.rng.integers(2, 4))
        first, _, kw1 = rnn_layer(d, kind, units, return_sequences=True, return_state=True)
        y, states = rnn_outputs(first(x), kw1)
        second, _, kw2 = rnn_layer(d, kind, units)
        d.note("initial_state from the previous layer")
        z, states2 = rnn_outputs(second(y, initial_state=states), kw2)
        return z, kw2["return_sequences"], states2
    if choice == "bidirectional":
        kind = d.pick(RNN_KINDS)
        forward, _, kw = rnn_layer(d, kind, go_backwards=False)
        merge_mode = d.pick(("concat", "sum", "mul", "ave", None))
        backward = None
        if d.coin(0.35):
            backward, _, _ = rnn_layer(
                d, d.pick(RNN_KINDS), kw["units"], go_backwards=True,
                return_sequences=kw["return_sequences"], return_state=kw["return_state"])
        d.note(f"Bidirectional(merge_mode={merge_mode}, backward_layer={backward is not None})")
        layer = L.Bidirectional(forward, merge_mode=merge_mode, backward_layer=backward)
        out = layer(x)
        if not isinstance(out, (list, tuple)):
            return out, kw["return_sequences"], []
        if merge_mode is None:
            seqs, states = list(out[:2]), list(out[2:])
            y = L.Concatenate()(seqs) if d.coin() else seqs[0]
            return y, kw["return_sequences"], states
        if kw["return_state"]:
            return out[0], kw["return_sequences"], list(out[1:])
        return out, kw["return_sequences"], []
    if choice == "stacked":
        kinds = [d.pick(RNN_KINDS) for _ in range(int(d.rng.integers(2, 4)))]
        cells = [cell(d, k, int(d.rng.integers(2, 4))) for k in kinds]
        wrap = d.coin()
        kw = dict(return_sequences=d.coin(0.6), go_backwards=d.coin(0.3),
                  unroll=d.coin(0.3), return_state=False)
        d.note(f"RNN({'StackedRNNCells' if wrap else 'list'}{kinds}, {kw})")
        layer = L.RNN(L.StackedRNNCells(cells) if wrap else cells, **kw)
        return layer(x), kw["return_sequences"], []
    if choice == "time_dense":
        d.note("TimeDistributed(Dense)")
        return L.TimeDistributed(L.Dense(int(d.rng.integers(2, 5)),
                                         activation=d.pick(ACTIVATIONS)))(x), True, []
    if choice == "conv1d":
        padding = d.pick(("causal", "same", "valid"))
        dilation = int(d.pick((1, 2)))
        kernel = int(d.pick((1, 2, 3)))
        if padding == "valid" and (kernel - 1) * dilation >= time_steps:
            padding = "causal"
        d.note(f"Conv1D(kernel={kernel}, padding={padding}, dilation={dilation})")
        return L.Conv1D(int(d.rng.integers(2, 5)), kernel, padding=padding,
                        dilation_rate=dilation)(x), True, []
    if choice == "layer_norm":
        d.note("LayerNormalization")
        return L.LayerNormalization()(x), True, []
    if choice == "dense":
        d.note("Dense on 3D")
        return L.Dense(int(d.rng.integers(2, 5)), activation=d.pick(ACTIVATIONS))(x), True, []
    causal = d.coin()
    if choice == "mha":
        with_mask = d.coin(0.3)
        d.note(f"MultiHeadAttention self(causal={causal}, attention_mask={with_mask})")
        mha = L.MultiHeadAttention(num_heads=int(d.pick((1, 2))), key_dim=2,
                                   use_bias=d.coin(0.8))
        kwargs = dict(use_causal_mask=causal)
        if with_mask:
            kwargs["attention_mask"] = feeds.setdefault(
                "attention_mask", attention_mask_input(d, extra_inputs, time_steps,
                                                       time_steps))
        return mha(x, x, **kwargs), True, []
    if choice in ("attention", "additive"):
        cls = L.Attention if choice == "attention" else L.AdditiveAttention
        kw = dict(use_scale=d.coin())
        if choice == "attention":
            kw["score_mode"] = d.pick(("dot", "concat"))
        d.note(f"{cls.__name__}({kw}, causal={causal})")
        return cls(**kw)([x, x], use_causal_mask=causal), True, []
    # cross attention: keys / values of another length, maybe masked
    tv = int(d.rng.integers(2, 6))
    value = keras.Input((tv, 3), name=f"value_{len(extra_inputs)}")
    extra_inputs.append(("value", value, tv))
    v = value
    if d.coin():
        v = L.Masking(0.0)(value)
        d.note("cross value Masking")
    d.note(f"cross MultiHeadAttention(Tv={tv})")
    mha = L.MultiHeadAttention(num_heads=2, key_dim=2, value_dim=2)
    return mha(x, v), True, []


def attention_mask_input(d, extra_inputs, tq, tv):
    mask = keras.Input((tq, tv), dtype="int32", name="attention_mask")
    extra_inputs.append(("attention_mask", mask, (tq, tv)))
    return mask


def head(d, x, is_sequence):
    """Close a model: a per-step Dense head or a pooled one."""
    if is_sequence and d.coin(0.5):
        pool = d.pick(("avg", "max", "none"))
        if pool == "avg":
            d.note("GlobalAveragePooling1D")
            x = L.GlobalAveragePooling1D()(x)
        elif pool == "max":
            d.note("GlobalMaxPooling1D")
            x = L.GlobalMaxPooling1D()(x)
        else:
            d.note("Dense per step")
    return L.Dense(int(d.rng.integers(1, 4)))(x)


def sequence_model(d, batch, time_steps):
    """Token or float input, 1-3 sequence blocks, a head; maybe states as outputs."""
    inputs, feeds, extra = {}, {}, []
    if d.coin():
        vocab = 7
        tokens = keras.Input((time_steps,), dtype="int32", name="tokens")
        mask_zero = d.coin(0.7)
        d.note(f"Embedding(mask_zero={mask_zero})")
        x = L.Embedding(vocab, 3, mask_zero=mask_zero)(tokens)
        data = d.rng.integers(1, vocab, (batch, time_steps)).astype(np.int32)
        zero_rows(d, data, time_steps)
        inputs["tokens"] = (tokens, data)
    else:
        features = keras.Input((time_steps, 3), name="features")
        data = f32(d.rng.normal(size=(batch, time_steps, 3)))
        x = features
        if d.coin(0.7):
            d.note("Masking(0.0)")
            x = L.Masking(0.0)(features)
            zero_rows(d, data, time_steps)
        inputs["features"] = (features, data)
    is_sequence, states = True, []
    for _ in range(int(d.rng.integers(1, 4))):
        if not is_sequence:
            break
        x, is_sequence, states = sequence_block(d, x, time_steps, extra, feeds)
    outputs = [head(d, x, is_sequence)]
    if states and d.coin(0.4):
        d.note("states as outputs")
        outputs += states
    for kind, tensor, size in extra:
        if kind == "value":
            value = f32(d.rng.normal(size=(batch, size, 3)))
            if d.coin():
                value[0, -1] = 0.0
            inputs[tensor.name] = (tensor, value)
        else:
            mask = (d.rng.random((batch,) + size) < 0.7).astype(np.int32)
            mask[:, :, 0] = 1
            inputs[tensor.name] = (tensor, mask)
    return inputs, outputs


def zero_rows(d, data, time_steps):
    """Zero timesteps at the end of one row and in the middle of another."""
    data[0, time_steps - 1 - int(d.rng.integers(0, 2)):] = 0
    data[1, time_steps // 2] = 0
    if d.coin(0.2):
        data[2, :] = 0
        d.note("one row fully masked")


def conv_model(d, batch, time_steps):
    """ConvLSTM1D/2D or TimeDistributed(Conv1D) then an RNN."""
    choice = d.pick(("convlstm1d", "convlstm2d", "td_conv1d"))
    if choice == "td_conv1d":
        inp = keras.Input((time_steps, 5, 2), name="frames")
        d.note("TimeDistributed(Conv1D) -> TimeDistributed(Flatten)")
        x = L.TimeDistributed(L.Conv1D(2, 2, padding=d.pick(("valid", "same"))))(inp)
        x = L.TimeDistributed(L.Flatten())(x)
        layer, _, kw = rnn_layer(d)
        x, _ = rnn_outputs(layer(x), kw)
        shape = (batch, time_steps, 5, 2)
        out = head(d, x, kw["return_sequences"])
    else:
        spatial = (5, 2) if choice == "convlstm1d" else (4, 4, 1)
        inp = keras.Input((time_steps,) + spatial, name="frames")
        kw = dict(filters=2, kernel_size=2, padding=d.pick(("valid", "same")),
                  return_sequences=d.coin(), go_backwards=d.coin(0.3),
                  activation=d.pick(("tanh", "relu")), use_bias=d.coin(0.8))
        d.note(f"{choice}({kw})")
        cls = L.ConvLSTM1D if choice == "convlstm1d" else L.ConvLSTM2D
        x = cls(**kw)(inp)
        x = L.Flatten()(x)
        shape = (batch, time_steps) + spatial
        out = L.Dense(2)(x)
    return {"frames": (inp, f32(d.rng.normal(size=shape)))}, [out]


def random_weights(d, model):
    return [f32(d.rng.uniform(-0.6, 0.6, w.shape)) for w in model.get_weights()]


def train_two_steps(model_json, weights, xs, ys, sample_weight, optimizer):
    model = keras.models.model_from_json(model_json)
    model.set_weights(weights)
    model.compile(optimizer=optimizer, loss="mse", metrics=["mae"] * len(ys))
    losses = [np.asarray(model.train_on_batch(xs, ys, sample_weight=sample_weight),
                         dtype=np.float32).reshape(-1) for _ in range(2)]
    return losses, model.get_weights()


def draw_case(rng, index):
    d = Draw(rng)
    keras.utils.set_random_seed(int(rng.integers(2**31)))
    batch, time_steps = 3, int(rng.integers(3, 7))
    if d.coin(0.12):
        inputs, outputs = conv_model(d, batch, time_steps)
    else:
        inputs, outputs = sequence_model(d, batch, time_steps)
    names = list(inputs)
    model = keras.Model([inputs[n][0] for n in names], outputs)
    weights = random_weights(d, model)
    model.set_weights(weights)
    xs = [inputs[n][1] for n in names]
    # One compiled call gives the outputs and their masks (masks are graph nodes in Keras).
    masks = [keras_backend.get_keras_mask(o) for o in model.outputs]
    probe = keras.Model(model.inputs, model.outputs + [m for m in masks if m is not None])
    values = probe.predict_on_batch(xs)
    values = [to_np(v) for v in (values if isinstance(values, list) else [values])]
    arrays = {f"x{i}": x for i, x in enumerate(xs)}
    arrays.update({f"w{i}": w for i, w in enumerate(weights)})
    n_out = len(model.outputs)
    has_mask = [m is not None for m in masks]
    extra = iter(values[n_out:])
    for i in range(n_out):
        arrays[f"y{i}"] = values[i]
        if has_mask[i]:
            arrays[f"mask{i}"] = next(extra)
    ys_pred = model.outputs
    targets = [f32(d.rng.normal(size=np.shape(arrays[f"y{i}"])))
               for i in range(len(ys_pred))]
    arrays.update({f"t{i}": t for i, t in enumerate(targets)})
    model_json = model.to_json()
    optimizers = {"sgd": keras.optimizers.SGD(0.1)}
    if index % 3 == 0:  # Adam's compiled step costs as much again: every third case
        optimizers["adam"] = keras.optimizers.Adam(0.01)
    # Keras 3.15.1 multiplies per-sample weights (batch,) into a per-step loss
    # (batch, time) along the time axis: it fails unless time == batch, where it weights
    # the steps. Masked outputs draw no weights; the others may hit this (see the test).
    sample_weight = (f32(d.rng.uniform(0.2, 2.0, batch))
                     if d.coin(0.4) and len(targets) == 1 and not has_mask[0] else None)
    if sample_weight is not None:
        arrays["sample_weight"] = sample_weight
    for opt_name, opt in optimizers.items():
        losses, trained = train_two_steps(model_json, weights, xs, targets, sample_weight, opt)
        arrays[f"{opt_name}_losses"] = f32(losses)
        arrays.update({f"{opt_name}_w{i}": w for i, w in enumerate(trained)})
    meta = dict(
        recipe=d.trail,
        model_json=model_json,
        optimizers=list(optimizers),
        n_inputs=len(xs),
        n_outputs=len(ys_pred),
        n_weights=len(weights),
        has_mask=has_mask,
        output_shapes=[list(o.shape) for o in model.outputs],
        output_dtypes=[str(o.dtype) for o in model.outputs],
        count_params=int(model.count_params()),
    )
    return f"case_{index:03d}", arrays, meta


def make_fuzz_sequence(n=None, seed=None, out_dir=None):
    n = int(os.environ.get("FUZZ_SEQUENCE_CASES", 18)) if n is None else n
    seed = int(os.environ.get("FUZZ_SEQUENCE_SEED", 2611)) if seed is None else seed
    out_dir = out_dir or os.environ.get("FUZZ_SEQUENCE_OUT")
    g = Golden(
        "fuzz_sequence",
        seed=seed,
        description=(
            "Random functional sequence models (recipe: the layers drawn); model_json is "
            "Keras's to_json(); arrays: inputs x<i>, weights w<i>, outputs y<i> and masks "
            "mask<i> for inputs x (inference), targets t<i>, and for SGD(0.1) / Adam(0.01) "
            "with loss 'mse' the two train_on_batch losses and the weights after them."
        ),
    )
    rng = np.random.default_rng(seed)
    for index in range(n):
        try:
            name, arrays, meta = draw_case(rng, index)
        except Exception as error:  # a combination Keras itself refuses
            print(f"case {index}: Keras refused: {type(error).__name__}: {error}"[:300])
            continue
        finally:
            keras.backend.clear_session()
        g.add(name, "Functional", "keras.models", {}, arrays, **meta)
        if out_dir:  # long sweeps: keep what is drawn so far readable
            make_golden.HERE = out_dir
            g.write()
    g.write()


if __name__ == "__main__":
    make_fuzz_sequence()
