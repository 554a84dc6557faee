"""`audio_dataset_from_directory`: WAV decoding (8/16/24/32-bit, channels), padding and
output_sequence_length, ragged batches, sampling_rate checks, training, and errors."""

import wave

import numpy as np
import pytest

import kerasx as keras


def _wav(path, samples, rate=8000, width=2):
    """Writes integer PCM `samples` of shape (frames, channels)."""
    samples = np.asarray(samples, np.int64)
    if width == 1:
        raw = samples.astype(np.uint8).tobytes()
    elif width == 3:
        raw = b"".join(int(v).to_bytes(3, "little", signed=True) for v in samples.reshape(-1))
    else:
        raw = samples.astype(f"<i{width}").tobytes()
    with wave.open(str(path), "wb") as f:
        f.setnchannels(samples.shape[1])
        f.setsampwidth(width)
        f.setframerate(rate)
        f.writeframes(raw)


def _tree(root, lengths=(("no", (5, 3)), ("yes", (4, 6, 2)))):
    for label, sizes in lengths:
        (root / label).mkdir()
        for i, n in enumerate(sizes):
            _wav(root / label / f"{i}.wav", (np.arange(n) + 1)[:, None] * 1000 * (i + 1))
    return str(root)


def _load(root, **kwargs):
    kwargs.setdefault("verbose", False)
    return keras.utils.audio_dataset_from_directory(root, **kwargs)


def test_batches_are_padded_to_their_longest_clip(tmp_path, capsys):
    root = _tree(tmp_path)
    ds = keras.utils.audio_dataset_from_directory(root, shuffle=False, batch_size=3)
    assert capsys.readouterr().out == "Found 5 files belonging to 2 classes.\n"
    (audio, labels), (audio2, labels2) = list(ds)
    assert audio.shape == (3, 5, 1) and audio.dtype == np.float32
    assert audio2.shape == (2, 6, 1)
    assert labels.tolist() == [0, 0, 1] and labels2.tolist() == [1, 1]
    np.testing.assert_allclose(audio[0, :, 0], np.arange(1, 6) * 1000 / 32768)
    np.testing.assert_allclose(audio[1, :, 0], [2000 / 32768, 4000 / 32768, 6000 / 32768, 0, 0])
    assert not audio2[1, 2:].any()
    assert ds.class_names == ["no", "yes"]


def test_output_sequence_length_cuts_and_pads(tmp_path):
    ds = _load(_tree(tmp_path), shuffle=False, batch_size=5, output_sequence_length=4)
    audio, _ = ds[0]
    assert audio.shape == (5, 4, 1)
    np.testing.assert_allclose(audio[0, :, 0], np.arange(1, 5) * 1000 / 32768)
    np.testing.assert_allclose(audio[1, :, 0], [2000 / 32768, 4000 / 32768, 6000 / 32768, 0])


def test_ragged_batches_keep_each_clip_length(tmp_path):
    ds = _load(_tree(tmp_path), shuffle=False, batch_size=5, ragged=True)
    audio, labels = ds[0]
    assert isinstance(audio, list) and [len(a) for a in audio] == [5, 3, 4, 6, 2]
    assert labels.tolist() == [0, 0, 1, 1, 1]
    single, label = _load(str(tmp_path), shuffle=False, batch_size=None)[3]
    assert single.shape == (6, 1) and int(label) == 1


@pytest.mark.parametrize("width, values, expected", [
    (1, [0, 64, 128, 255], [-1.0, -0.5, 0.0, 127 / 128]),
    (2, [-32768, -16384, 0, 32767], [-1.0, -0.5, 0.0, 32767 / 32768]),
    (3, [-(1 << 23), -(1 << 22), 1, (1 << 23) - 1], [-1.0, -0.5, 2.0 ** -23, 1 - 2.0 ** -23]),
    (4, [-(1 << 31), 1 << 30, 0, 1 << 29], [-1.0, 0.5, 0.0, 0.25]),
])
def test_sample_widths_scale_to_the_unit_range(tmp_path, width, values, expected):
    (tmp_path / "a").mkdir()
    _wav(tmp_path / "a" / "x.wav", np.asarray(values)[:, None], width=width)
    audio = _load(str(tmp_path), labels=None, shuffle=False, batch_size=None)[0]
    np.testing.assert_allclose(audio[:, 0], expected, rtol=1e-6)


def test_stereo_and_the_sampling_rate_check(tmp_path):
    (tmp_path / "a").mkdir()
    _wav(tmp_path / "a" / "x.wav", [[1000, -1000], [2000, -2000], [3000, -3000]], rate=16000)
    audio = _load(str(tmp_path), labels=None, batch_size=2, seed=1, sampling_rate=16000)[0]
    assert audio.shape == (1, 3, 2)
    np.testing.assert_allclose(audio[0, :, 1], -audio[0, :, 0])
    with pytest.raises(ValueError, match="sampled at 16000 Hz, not sampling_rate=8000"):
        _load(str(tmp_path), labels=None, sampling_rate=8000)[0]


def test_a_model_trains_on_the_clips(tmp_path):
    root = _tree(tmp_path)
    train, val = _load(root, validation_split=0.4, subset="both", seed=3, batch_size=2,
                       output_sequence_length=6)
    assert len(train.file_paths) == 3 and len(val.file_paths) == 2
    model = keras.Sequential([keras.Input((6, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history = model.fit(train, validation_data=val, epochs=2, verbose=0).history
    assert len(history["val_loss"]) == 2


@pytest.mark.parametrize("kwargs, message", [
    ({"ragged": True, "output_sequence_length": 3}, "Cannot set both `ragged`"),
    ({"sampling_rate": 8000.0}, "`sampling_rate` should have an integer value"),
    ({"sampling_rate": 0}, "`sampling_rate` should be higher than 0"),
    ({"output_sequence_length": 0}, "`output_sequence_length` must be None or a positive"),
    ({"labels": 3}, "number of audio files"),
])
def test_bad_arguments_are_rejected(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        _load(_tree(tmp_path), **kwargs)


def test_files_that_are_not_pcm_wav_are_reported(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.wav").write_bytes(b"RIFF....WAVEjunk")
    with pytest.raises(ValueError, match="as a PCM WAV file"):
        _load(str(tmp_path), labels=None)[0]
