"""TensorBoard event files, written without TensorFlow.

An event file is a sequence of TFRecords (`length`, its masked CRC-32C, the
payload, the payload's masked CRC-32C), each payload one serialized `Event`
protocol buffer: the first holds the file version, the others a wall time, a
step and a `Summary` of tagged scalars or histograms. The few protobuf fields
needed are encoded here by hand; TensorBoard reads the files as its own.
"""

import os
import socket
import struct
import time

_CRC_TABLE = []
for _byte in range(256):
    _crc = _byte
    for _ in range(8):
        _crc = (_crc >> 1) ^ 0x82F63B78 if _crc & 1 else _crc >> 1  # Castagnoli, reflected
    _CRC_TABLE.append(_crc)


def crc32c(data):
    """The CRC-32C (Castagnoli) checksum of `data`."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _masked_crc(data):
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def tf_record(payload):
    """`payload` framed as one TFRecord."""
    length = struct.pack("<Q", len(payload))
    return (length + struct.pack("<I", _masked_crc(length)) + payload
            + struct.pack("<I", _masked_crc(payload)))


# -- protocol buffer fields --------------------------------------------------------------
def _varint(n):
    out = bytearray()
    while True:
        bits, n = n & 0x7F, n >> 7
        out.append(bits | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _key(field, wire_type):
    return _varint(field << 3 | wire_type)


def _bytes_field(field, data):
    return _key(field, 2) + _varint(len(data)) + data


def _double_field(field, value):
    return _key(field, 1) + struct.pack("<d", value)


def _packed_doubles(field, values):
    return _bytes_field(field, b"".join(struct.pack("<d", v) for v in values))


def scalar_value(tag, value):
    """A `Summary.Value` holding one float (`simple_value`)."""
    return _bytes_field(1, tag.encode()) + _key(2, 5) + struct.pack("<f", float(value))


def histogram_value(tag, minimum, maximum, count, total, sum_squares, limits, counts):
    """A `Summary.Value` holding a `HistogramProto`: `counts[i]` values at most
    `limits[i]` (and above `limits[i - 1]`)."""
    histogram = (_double_field(1, minimum) + _double_field(2, maximum)
                 + _double_field(3, count) + _double_field(4, total)
                 + _double_field(5, sum_squares) + _packed_doubles(6, limits)
                 + _packed_doubles(7, counts))
    return _bytes_field(1, tag.encode()) + _bytes_field(5, histogram)


def event(step, values=(), file_version=None, wall_time=None):
    """A serialized `Event`: a step and a `Summary` of `values`, or the file version."""
    out = _double_field(1, time.time() if wall_time is None else wall_time)
    out += _key(2, 0) + _varint(int(step) & 0xFFFFFFFFFFFFFFFF)
    if file_version is not None:
        out += _bytes_field(3, file_version.encode())
    if values:
        out += _bytes_field(5, b"".join(_bytes_field(1, v) for v in values))
    return out


class EventFileWriter:
    """Appends events to a new `events.out.tfevents.*` file in `directory`."""

    _opened = 0

    def __init__(self, directory):
        os.makedirs(directory, exist_ok=True)
        EventFileWriter._opened += 1
        name = (f"events.out.tfevents.{int(time.time())}.{socket.gethostname()}."
                f"{os.getpid()}.{EventFileWriter._opened}.v2")
        self.path = os.path.join(directory, name)
        self._file = open(self.path, "wb")
        self._file.write(tf_record(event(0, file_version="brain.Event:2")))

    def add(self, step, values):
        """Writes one event of Summary `values` at `step`."""
        if values:
            self._file.write(tf_record(event(step, values)))

    def flush(self):
        self._file.flush()

    def close(self):
        if not self._file.closed:
            self._file.close()
