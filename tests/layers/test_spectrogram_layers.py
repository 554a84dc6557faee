"""STFTSpectrogram, MelSpectrogram and the STFT initializer: Keras golden values (kernels,
outputs, gradients), NumPy FFT and SciPy window references, finite-difference gradients,
trainable kernels, shapes, configs, weight-file layouts and errors."""

import warnings

import numpy as np
import pytest

import kerasx
from kerasx import initializers, layers, ops
from kerasx.backends import current
from kerasx.testing import OpCase
from tests.golden.loader import case_ids, load_case, load_cases
from tests.interop.specs import LAYER_SPECS, build_spec_model, h5_layout, spec_data
from tests.sampled_gradcheck import check_op_case


def to_numpy(x):
    return current().to_numpy(getattr(x, "value", x))


def dev(x):
    return current().asarray(x)


CASES = load_cases("layers_more")
STFT_GOLDEN = [c for c in CASES if c["kind"] == "stft"]
INIT_GOLDEN = [c for c in CASES if c["kind"] == "initializer"]
MEL_GOLDEN = [c for c in CASES if c["kind"] == "mel"]


def gradient(layer, x, proj):
    x = kerasx.Variable(dev(x))
    with kerasx.GradientTape() as tape:
        loss = ops.sum(layer(x) * dev(proj))
    return to_numpy(tape.gradient(loss, x))


# -- STFTSpectrogram and its initializer against Keras ---------------------------------------
@pytest.mark.parametrize("case", STFT_GOLDEN, ids=case_ids(STFT_GOLDEN))
def test_stft_spectrogram_matches_keras_golden(case):
    a = case["arrays"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an fft_length that is not a power of two
        layer = layers.STFTSpectrogram(**case["config"])
    y = to_numpy(layer(dev(a["x"])))
    assert [w.path for w in layer.weights] == case["weight_names"]
    for i, w in enumerate(layer.weights):
        np.testing.assert_allclose(to_numpy(w), a[f"w{i}"], rtol=1e-5, atol=2e-6)
    assert y.shape == a["y"].shape
    expected = a["y"]
    if case["config"].get("mode") == "angle":
        # -pi and pi are one angle; the first and last bins' imaginary parts are 0 up to
        # rounding (sin(0), sin(pi t)), so their angle is the sign of that rounding
        bins = case["arrays"]["w0"].shape[-1]
        y, expected = (v.reshape(v.shape[:-1] + (-1, bins))[..., 1:-1] for v in (y, expected))
        y = expected + np.angle(np.exp(1j * (y - expected)))
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=5e-5)
    if "proj" in a:
        np.testing.assert_allclose(gradient(layer, a["x"], a["proj"]), a["dx"], rtol=1e-3,
                                   atol=1e-4)
    config = layer.get_config()
    for key, value in case["keras_config"].items():
        if key not in ("name", "dtype", "trainable"):
            assert config[key] == value, key


@pytest.mark.parametrize("case", INIT_GOLDEN, ids=case_ids(INIT_GOLDEN))
def test_stft_initializer_matches_keras_golden(case):
    value = initializers.STFT(**case["config"])(tuple(case["shape"]))
    np.testing.assert_allclose(to_numpy(value), case["arrays"]["value"], rtol=1e-5, atol=1e-6)


def test_initializer_names_and_serialization():
    assert initializers.STFT is initializers.STFTInitializer is initializers.stft
    for name in ("stft", "STFT", "STFTInitializer"):
        assert isinstance(initializers.get(name), initializers.STFT)
    init = initializers.STFT("imag", [0.5, 1.0, 0.5], "spectrum", True)
    again = initializers.deserialize(initializers.serialize(init))
    np.testing.assert_array_equal(to_numpy(again((3, 1, 2))), to_numpy(init((3, 1, 2))))
    assert initializers.serialize(init)["class_name"] == "STFT"


def test_named_windows_match_scipy():
    signal = pytest.importorskip("scipy.signal")
    from kerasx.initializers.stft_initializer import window_names, window_values

    for name in window_names():
        for length in (1, 2, 7, 8):
            for periodic in (False, True):
                np.testing.assert_allclose(window_values(name, length, periodic),
                                           signal.get_window(name, length, fftbins=periodic),
                                           atol=1e-12, err_msg=f"{name} {length} {periodic}")


# -- STFTSpectrogram against NumPy's FFT ------------------------------------------------------
def test_stft_mode_is_the_windowed_fft_of_each_frame():
    kerasx.config.set_floatx("float64")
    r = np.random.default_rng(1)
    x = r.normal(size=(2, 50, 3))
    layer = layers.STFTSpectrogram(mode="stft", frame_length=12, frame_step=5, fft_length=16,
                                   window="hamming", scaling="spectrum")
    y = to_numpy(layer(dev(x)))
    window = 0.54 - 0.46 * np.cos(2 * np.pi * np.arange(12) / 11)
    starts = range(0, 50 - 12 + 1, 5)
    frames = np.stack([x[:, s:s + 12, :] for s in starts], axis=1)  # (2, F, 12, 3)
    spectrum = np.fft.rfft(frames * window[:, None] / window.sum(), n=16, axis=2)
    expected = np.concatenate([spectrum.real, spectrum.imag], axis=2)  # (2, F, 18, 3)
    expected = np.transpose(expected.reshape(2, len(starts), 2, 9, 3), (0, 1, 4, 2, 3))
    # channels_last, not expanded: the bins of channel 0 first, then channel 1, ...
    np.testing.assert_allclose(y, expected.reshape(2, len(starts), 3 * 18), atol=1e-12)


def stft_case(mode, **config):
    r = np.random.default_rng(2)
    x = r.normal(size=(2, 20, 2))

    built = {}  # one layer per floatx: the finite differences call `fn` hundreds of times

    def fn(signal, real_kernel, imag_kernel):
        if kerasx.config.floatx() not in built:
            layer = layers.STFTSpectrogram(mode=mode, frame_length=8, frame_step=3, **config)
            layer.build(tuple(signal.shape))
            built[kerasx.config.floatx()] = layer
        layer = built[kerasx.config.floatx()]
        layer._set_untracked("real_kernel", real_kernel)
        layer._set_untracked("imag_kernel", imag_kernel)
        return layer(signal)

    def reference(signal, real_kernel, imag_kernel):
        frames = np.stack([signal[:, s:s + 8] for s in range(0, 13, 3)], axis=1)
        re = np.einsum("bftc,tk->bcfk", frames, real_kernel[:, 0])
        im = np.einsum("bftc,tk->bcfk", frames, imag_kernel[:, 0])
        power = re ** 2 + im ** 2
        out = {"log": np.log(np.sqrt(power)), "psd": power + np.pad(
            power[..., 1:-1], [(0, 0)] * 3 + [(1, 1)]), "angle": np.arctan2(im, re)}[mode]
        return np.transpose(out, (0, 2, 1, 3)).reshape(out.shape[0], out.shape[2], -1)

    kernels = [r.normal(size=(8, 1, 5)) for _ in range(2)]
    return OpCase(mode, fn, reference, [x] + kernels, rtol32=1e-4, atol32=1e-5, grad_rtol=1e-4)


STFT_CASES = [stft_case("log"), stft_case("psd"), stft_case("angle")]


@pytest.mark.parametrize("case", STFT_CASES, ids=[c.name for c in STFT_CASES])
def test_stft_gradients_against_finite_differences(case):
    check_op_case(case)


def test_kernels_train_unless_frozen():
    r = np.random.default_rng(3)
    x = r.normal(size=(16, 32, 1)).astype("float32")
    y = r.normal(size=(16, 1)).astype("float32")
    for trainable in (True, False):
        stft = layers.STFTSpectrogram(mode="magnitude", frame_length=8, frame_step=4,
                                      trainable=trainable)
        model = kerasx.Sequential([kerasx.Input((32, 1)), stft, layers.Flatten(),
                                   layers.Dense(1)])
        model.compile(optimizer="adam", loss="mse")
        before = [to_numpy(w).copy() for w in stft.weights]
        model.fit(x, y, epochs=2, batch_size=8, verbose=0)
        changed = [not np.array_equal(b, to_numpy(w)) for b, w in zip(before, stft.weights)]
        assert changed == [trainable, trainable]


@pytest.mark.parametrize("config", [
    {"padding": "same", "frame_step": 3}, {"expand_dims": True, "mode": "stft"},
    {"data_format": "channels_first", "mode": "real"},
    {"data_format": "channels_first", "expand_dims": True, "mode": "imag"}])
def test_stft_output_shapes(config):
    layer = layers.STFTSpectrogram(frame_length=8, **config)
    shape = (2, 3, 30) if config.get("data_format") == "channels_first" else (2, 30, 3)
    out = layer(dev(np.ones(shape, np.float32)))
    assert tuple(out.shape) == layer.compute_output_shape(shape)
    symbolic = layer(kerasx.Input(shape[1:]))
    assert symbolic.shape == (None,) + tuple(out.shape[1:])


def test_stft_errors():
    with pytest.raises(ValueError, match=r"`frame_step` must be a positive integer not greater "
                                         r"than `frame_length`.*frame_step=9"):
        layers.STFTSpectrogram(frame_length=8, frame_step=9)
    with pytest.raises(ValueError, match=r"`fft_length` must be at least `frame_length`"):
        layers.STFTSpectrogram(frame_length=8, fft_length=4)
    with pytest.raises(ValueError, match=r"`mode` must be one of .*mode='power'"):
        layers.STFTSpectrogram(mode="power")
    with pytest.raises(ValueError, match=r"unknown window 'kaiserr'"):
        layers.STFTSpectrogram(window="kaiserr")
    with pytest.raises(ValueError, match=r"`padding` must be 'valid' or 'same'"):
        layers.STFTSpectrogram(padding="causal")
    with pytest.warns(UserWarning, match=r"power of two.*fft_length=12"):
        layers.STFTSpectrogram(frame_length=8, fft_length=12)
    with pytest.raises(ValueError, match=r"window must have shape \(8,\)"):
        layers.STFTSpectrogram(frame_length=8, window=[1.0, 2.0])(
            dev(np.ones((1, 16, 1), np.float32)))
    with pytest.raises(TypeError, match=r"float16, float32 or float64 signals.*int32"):
        layers.STFTSpectrogram(frame_length=8).call(kerasx.ops.ones((1, 16, 1), "int32"))
    with pytest.raises(ValueError, match=r"`side` must be 'real' or 'imag'"):
        initializers.STFT("both")
    with pytest.raises(ValueError, match=r"windows with parameters such as \('tukey', 0.5\)"):
        layers.STFTSpectrogram(window=("tukey", 0.5))


# -- MelSpectrogram ---------------------------------------------------------------------------
@pytest.mark.parametrize("case", MEL_GOLDEN, ids=case_ids(MEL_GOLDEN))
def test_mel_spectrogram_matches_keras_golden(case):
    a = case["arrays"]
    layer = layers.MelSpectrogram(**case["config"])
    y = to_numpy(layer(dev(a["x"])))
    assert y.shape == a["y"].shape
    scale = np.abs(a["y"]).max()
    np.testing.assert_allclose(y, a["y"], rtol=1e-4, atol=1e-5 * scale)
    if "proj" in a:
        np.testing.assert_allclose(gradient(layer, a["x"], a["proj"]), a["dx"], rtol=1e-3,
                                   atol=1e-4 * np.abs(a["dx"]).max())
    config = layer.get_config()
    for key, value in case["keras_config"].items():
        if key not in ("name", "dtype", "trainable"):
            assert config[key] == value, key


def mel_case(name, **config):
    r = np.random.default_rng(5)
    settings = {"fft_length": 16, "sequence_stride": 8, "num_mel_bins": 3,
                "sampling_rate": 1000, **config}

    def fn(x):
        return layers.MelSpectrogram(**settings)(x)

    def reference(x):
        n, hop = settings["fft_length"], settings["sequence_stride"]
        padded = np.pad(x, [(0, 0), (n // 2, n // 2)], mode="reflect")
        window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)
        frames = np.stack([padded[:, s:s + n] for s in range(0, padded.shape[1] - n + 1, hop)],
                          axis=1)
        spectrum = np.abs(np.fft.rfft(frames * window, axis=-1)) ** settings.get("mag_exp", 2.0)
        matrix = to_numpy(layers.MelSpectrogram(**settings).linear_to_mel_weight_matrix(
            settings["num_mel_bins"], n // 2 + 1, settings["sampling_rate"], 20.0,
            settings["sampling_rate"] // 2, dtype="float64"))
        mel = spectrum @ matrix
        if settings.get("power_to_db", True):
            mel = 10 * np.log10(np.maximum(mel, 1e-10))
            mel = np.maximum(mel, mel.max() - settings.get("top_db", 80.0))
        return np.swapaxes(mel, -1, -2)

    return OpCase(name, fn, reference, [r.normal(size=(2, 40))], rtol32=1e-4, atol32=1e-4,
                  grad_rtol=1e-4)


MEL_CASES = [mel_case("power", power_to_db=False), mel_case("magnitude_db", mag_exp=1.0),
             mel_case("top_db", top_db=15.0)]


@pytest.mark.parametrize("case", MEL_CASES, ids=[c.name for c in MEL_CASES])
def test_mel_forward_and_gradients_against_numpy(case):
    check_op_case(case)


def test_mel_shapes_symbolic_and_errors():
    layer = layers.MelSpectrogram(fft_length=32, sequence_stride=10, num_mel_bins=5)
    assert tuple(layer(dev(np.ones(95, np.float32))).shape) == (5, 10)
    assert layer.compute_output_shape((3, 95)) == (3, 5, 10)
    signal = kerasx.Input((95,))
    assert kerasx.Model(signal, layer(signal)).output_shape == (None, 5, 10)
    with pytest.raises(ValueError, match=r"`fft_length` must be at least `sequence_length`"):
        layers.MelSpectrogram(fft_length=16, sequence_length=32)
    with pytest.raises(ValueError, match=r"'hann' or 'hamming'.*'blackman'"):
        layers.MelSpectrogram(window="blackman")
    with pytest.raises(ValueError, match=r"signals of shape \(time,\) or \(batch, time\)"):
        layer(dev(np.ones((1, 2, 95), np.float32)))


@pytest.mark.parametrize("name", ["stft_spectrogram", "mel_spectrogram"])
def test_weights_file_layout_matches_keras(name, tmp_path):
    case = load_case("layers_more", f"layout_{name}")
    model = build_spec_model(kerasx, name)
    model.compile(optimizer="adam", loss="mse")
    xs, y = spec_data(name, LAYER_SPECS[name][1])
    model.fit(xs[0], y, batch_size=8, epochs=1, verbose=0)
    model.save_weights(str(tmp_path / "m.weights.h5"))
    ours, theirs = h5_layout(str(tmp_path / "m.weights.h5")), case["layout"]
    assert ours["groups"] == theirs["groups"]
    assert [d[:2] for d in ours["datasets"]] == [d[:2] for d in theirs["datasets"]]
