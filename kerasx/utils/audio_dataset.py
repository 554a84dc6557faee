"""`audio_dataset_from_directory`: a `PyDataset` of the `.wav` files of a
class-per-subdirectory tree (read with the standard library's `wave`)."""

import sys
import wave

from kerasx.utils.directory_index import check_label_arguments
from kerasx.utils.file_dataset import datasets_from_directory

ALLOWED_FORMATS = (".wav",)


def audio_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                 class_names=None, batch_size=32, sampling_rate=None,
                                 output_sequence_length=None, ragged=False, shuffle=True,
                                 seed=None, validation_split=None, subset=None,
                                 follow_links=False, verbose=True):
    """A dataset of the PCM `.wav` files under `directory`, as `float32` audio in [-1, 1).

    Classes, labels, shuffling and the split follow `image_dataset_from_directory`.
    A clip has shape `(samples, channels)`; 8-bit samples are scaled by
    `(x - 128) / 128` and 16-, 24- and 32-bit ones by `x / 2**(bits - 1)`.

    Args:
        batch_size: clips per batch, or None for single clips.
        sampling_rate: the sampling rate every file must have (a positive
            integer). Keras resamples with `tensorflow-io`; kerasx does not
            resample and rejects a file recorded at another rate.
        output_sequence_length: cut or zero-pad every clip to this many
            samples. When None, the clips of a batch are zero-padded at their
            end to the longest of them (Keras's `padded_batch`).
        ragged: keep each clip's length: a batch of audio is then a list of
            `(samples_i, channels)` arrays (kerasx has no ragged tensors), for
            iterating over the dataset; `fit` cannot take such batches.
            Cannot be combined with `output_sequence_length`.

    Returns:
        A `PyDataset` of audio batches of shape `(batch, samples, channels)`,
        or `(audio, labels)` batches, with `class_names` and `file_paths`; with
        `subset="both"`, the pair `(training, validation)`.
    """
    check_label_arguments("audio", labels, label_mode, class_names)
    if ragged and output_sequence_length is not None:
        raise ValueError("Cannot set both `ragged` and `output_sequence_length`")
    if sampling_rate is not None:
        if isinstance(sampling_rate, bool) or not isinstance(sampling_rate, int):
            raise ValueError("`sampling_rate` should have an integer value. "
                             f"Received: sampling_rate={sampling_rate}")
        if sampling_rate <= 0:
            raise ValueError("`sampling_rate` should be higher than 0. "
                             f"Received: sampling_rate={sampling_rate}")
    if output_sequence_length is not None and (
            isinstance(output_sequence_length, bool) or not isinstance(output_sequence_length, int)
            or output_sequence_length < 1):
        raise ValueError("`output_sequence_length` must be None or a positive integer, "
                         f"received output_sequence_length={output_sequence_length!r}.")
    reader = AudioReader(sampling_rate, output_sequence_length, ragged)
    return datasets_from_directory("audio", directory, labels, label_mode, class_names,
                                   batch_size, shuffle, seed, validation_split, subset,
                                   follow_links, verbose, ALLOWED_FORMATS, reader)


class AudioReader:
    """Reads WAV files as one `float32` host batch (or a list of clips when ragged)."""

    def __init__(self, sampling_rate, output_sequence_length, ragged):
        self.sampling_rate = sampling_rate
        self.output_sequence_length = output_sequence_length
        self.ragged = ragged

    def __call__(self, paths):
        from kerasx.backends.host import full

        clips = [self.read(path) for path in paths]
        if self.ragged:
            return clips
        length = max(len(clip) for clip in clips)
        channels = {clip.shape[1] for clip in clips}
        if len(channels) > 1:
            raise ValueError(f"The WAV files {paths} have different numbers of channels "
                             f"({sorted(channels)}) and cannot share a batch. Convert them to "
                             "one channel count, or use batch_size=None or ragged=True.")
        batch = full((len(clips), length, channels.pop()), 0.0, "float32")
        for row, clip in zip(batch, clips):
            row[:len(clip)] = clip
        return batch

    def read(self, path):
        from kerasx.backends.host import full

        try:
            with wave.open(path, "rb") as wav:
                rate, channels, width = (wav.getframerate(), wav.getnchannels(),
                                         wav.getsampwidth())
                raw = wav.readframes(wav.getnframes())
        except (wave.Error, EOFError) as e:
            raise ValueError(f"Could not read {path!r} as a PCM WAV file ({e}). kerasx reads "
                             "8-, 16-, 24- and 32-bit integer PCM; convert other encodings "
                             "(e.g. float WAV) first.") from None
        if self.sampling_rate is not None and rate != self.sampling_rate:
            raise ValueError(f"{path!r} is sampled at {rate} Hz, not sampling_rate="
                             f"{self.sampling_rate}. kerasx does not resample audio: resample "
                             "the files beforehand, or pass sampling_rate=None.")
        clip = pcm_to_float(raw, width).reshape(-1, channels)
        n = self.output_sequence_length
        if n is None:
            return clip
        if len(clip) >= n:
            return clip[:n]
        padded = full((n, channels), 0.0, "float32")
        padded[:len(clip)] = clip
        return padded


def pcm_to_float(raw, width):
    """Little-endian integer PCM bytes of `width` bytes per sample as `float32` in [-1, 1)."""
    from kerasx.backends.host import to_host

    if width == 1:
        return (to_host(memoryview(raw).cast("B"), dtype="float32") - 128.0) / 128.0
    if width == 3:
        b = to_host(memoryview(raw).cast("B"), dtype="int32").reshape(-1, 3)
        value = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        value = value - ((value >> 23) & 1) * (1 << 24)
        return value.astype("float32") / float(1 << 23)
    if width not in (2, 4):
        raise ValueError(f"Unsupported WAV sample width of {width} bytes; kerasx reads 1 to 4.")
    samples = to_host(memoryview(raw).cast("h" if width == 2 else "i"))
    if sys.byteorder == "big":
        samples = samples.byteswap()
    return samples.astype("float32") / float(1 << (8 * width - 1))
