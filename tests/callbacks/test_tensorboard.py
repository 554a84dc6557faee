"""`TensorBoard`: event files read back by an independent decoder (TFRecord framing with
CRC-32C checks, protocol buffer fields), Keras's tags and steps, histograms, errors."""

import glob
import os
import struct

import numpy as np
import pytest

import kerasx as keras
from kerasx.utils.event_files import crc32c


def _crc32c_bitwise(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 * (crc & 1))
    return crc ^ 0xFFFFFFFF


def _unmask(masked):
    rotated = (masked - 0xA282EAD8) & 0xFFFFFFFF
    return ((rotated << 15) | (rotated >> 17)) & 0xFFFFFFFF


def _records(path):
    data = open(path, "rb").read()
    at, out = 0, []
    while at < len(data):
        header = data[at:at + 8]
        (length,) = struct.unpack("<Q", header)
        assert _unmask(struct.unpack("<I", data[at + 8:at + 12])[0]) == _crc32c_bitwise(header)
        payload = data[at + 12:at + 12 + length]
        (crc,) = struct.unpack("<I", data[at + 12 + length:at + 16 + length])
        assert _unmask(crc) == _crc32c_bitwise(payload)
        out.append(payload)
        at += 16 + length
    return out


def _fields(buf):
    """{field number: [values]} of one protobuf message (varints, doubles, floats, bytes)."""
    at, out = 0, {}
    while at < len(buf):
        key, at = _read_varint(buf, at)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, at = _read_varint(buf, at)
        elif wire == 1:
            value, at = struct.unpack("<d", buf[at:at + 8])[0], at + 8
        elif wire == 5:
            value, at = struct.unpack("<f", buf[at:at + 4])[0], at + 4
        else:
            size, at = _read_varint(buf, at)
            value, at = buf[at:at + size], at + size
        out.setdefault(field, []).append(value)
    return out


def _read_varint(buf, at):
    shift = value = 0
    while True:
        byte = buf[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, at


def _events(directory):
    (path,) = glob.glob(os.path.join(directory, "events.out.tfevents.*"))
    records = [_fields(r) for r in _records(path)]
    assert records[0][3] == [b"brain.Event:2"]
    scalars, histograms = {}, {}
    for event in records[1:]:
        step = event[2][0]
        for value in _fields(event[5][0])[1]:
            fields = _fields(value)
            tag = fields[1][0].decode()
            if 2 in fields:
                scalars.setdefault(tag, []).append((step, fields[2][0]))
            else:
                histograms.setdefault(tag, []).append((step, _fields(fields[5][0])))
    return scalars, histograms


def _fit(tmp_path, **kwargs):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(keras.optimizers.SGD(0.05), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((48, 4)).astype("float32"), rng.integers(0, 3, 48)
    board = keras.callbacks.TensorBoard(tmp_path / "logs", **kwargs)
    history = model.fit(x, y, epochs=3, batch_size=12, validation_split=0.25, verbose=0,
                        callbacks=[board])
    return model, history.history


def test_crc32c_matches_the_standard_check_value():
    assert crc32c(b"123456789") == 0xE3069283 == _crc32c_bitwise(b"123456789")


def test_epoch_values_go_to_train_and_validation_under_kerass_tags(tmp_path):
    model, history = _fit(tmp_path)
    train, _ = _events(tmp_path / "logs" / "train")
    validation, _ = _events(tmp_path / "logs" / "validation")
    assert set(train) == {"epoch_loss", "epoch_accuracy", "epoch_learning_rate"}
    for name in ("loss", "accuracy"):
        assert [s for s, _ in train[f"epoch_{name}"]] == [0, 1, 2]
        np.testing.assert_allclose([v for _, v in train[f"epoch_{name}"]], history[name],
                                   rtol=1e-6)
        np.testing.assert_allclose([v for _, v in validation[f"epoch_{name}"]],
                                   history[f"val_{name}"], rtol=1e-6)
    np.testing.assert_allclose([v for _, v in train["epoch_learning_rate"]], [0.05] * 3)
    # after each evaluation, at the optimizer's iteration count (3 batches per epoch)
    assert [s for s, _ in validation["evaluation_loss_vs_iterations"]] == [3, 6, 9]


def test_batch_values_every_update_freq_batches_and_steps_per_second(tmp_path):
    _fit(tmp_path, update_freq=2, write_steps_per_second=True)
    train, _ = _events(tmp_path / "logs" / "train")
    assert [s for s, _ in train["batch_loss"]] == [2, 4, 6, 8]
    assert all(v > 0 for _, v in train["batch_steps_per_second"])
    assert len(train["epoch_steps_per_second"]) == 3


def test_weight_histograms_every_histogram_freq_epochs(tmp_path):
    model, _ = _fit(tmp_path, histogram_freq=2)
    _, histograms = _events(tmp_path / "logs" / "train")
    kernel = model.layers[0].kernel
    tag = f"{kernel.path}/histogram"
    assert sorted(histograms) == sorted(f"{w.path}/histogram" for w in model.weights)
    (step, fields), (later, _) = histograms[tag]
    assert (step, later) == (0, 2)
    minimum, maximum, count = fields[1][0], fields[2][0], fields[3][0]
    assert count == 20 and minimum < maximum
    counts = struct.unpack(f"<{len(fields[7][0]) // 8}d", fields[7][0])
    limits = struct.unpack(f"<{len(fields[6][0]) // 8}d", fields[6][0])
    assert sum(counts) == 20 and len(limits) == len(counts) == 30 and limits[-1] == maximum


def test_embeddings_freq_saves_weights_and_bad_arguments_are_refused(tmp_path):
    model, _ = _fit(tmp_path, embeddings_freq=2)
    saved = sorted(os.listdir(tmp_path / "logs" / "train"))
    assert "keras_embedding.ckpt-0.weights.h5" in saved
    assert "keras_embedding.ckpt-2.weights.h5" in saved
    for kwargs, match in (({"update_freq": "step"}, "update_freq"),
                          ({"histogram_freq": -1}, "histogram_freq"),
                          ({"write_images": True}, "write_images")):
        with pytest.raises(ValueError, match=match):
            keras.callbacks.TensorBoard(tmp_path, **kwargs)
    with pytest.warns(UserWarning, match="profile_batch"):
        keras.callbacks.TensorBoard(tmp_path, profile_batch=3)
