"""Values to hash buckets as TensorFlow's `strings.to_hash_bucket_fast` (FarmHash
Fingerprint64) and `to_hash_bucket_strong` (keyed SipHash-2-4) compute them."""

from kerasx.layers.preprocessing._farmhash import fingerprint64
from kerasx.layers.preprocessing._siphash import siphash24


def normalize_salt(salt, caller):
    """`None`, or the salt as the two-integer key list Keras keeps in the config."""
    if salt is None:
        return None
    if isinstance(salt, (tuple, list)) and len(salt) == 2 and all(
            isinstance(s, int) and not isinstance(s, bool) for s in salt):
        return [int(s) for s in salt]
    if isinstance(salt, int) and not isinstance(salt, bool):
        return [salt, salt]
    raise ValueError(f"{caller}: salt must be an integer or a tuple of 2 integers (the "
                     f"SipHash key); as a tuple it can only be a tuple of size 2, received "
                     f"salt={salt!r}.")


def hash_text(value):
    """The text TensorFlow hashes for `value`: strings as they are, integers (and
    floats, truncated as a cast to int64 does) in decimal."""
    if isinstance(value, str):
        return value
    return str(int(value))


def hash_buckets(values, num_buckets, salt=None):
    """The bucket in `[0, num_buckets)` of each value of the list `values`."""
    if salt is None:
        def bucket(v):
            return fingerprint64(hash_text(v).encode("utf-8", "surrogateescape")) % num_buckets
    else:
        def bucket(v):
            return siphash24(salt[0], salt[1], hash_text(v).encode("utf-8", "surrogateescape")) % num_buckets
    # categorical data repeats its values; each distinct one is hashed once
    known = {}
    out = []
    for v in values:
        b = known.get(v)
        if b is None:
            b = known[v] = bucket(v)
        out.append(b)
    return out
