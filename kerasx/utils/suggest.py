"""Error messages for unknown names, with a "did you mean" suggestion."""

import difflib


def did_you_mean(name, known, n=3, cutoff=0.6):
    """`" Did you mean 'a' or 'b'?"` with the (at most `n`) known names closest to `name`,
    `""` when none is close enough or `name` is itself known."""
    known = list(known)
    close = difflib.get_close_matches(str(name), known, n=n, cutoff=cutoff)
    if name in close:
        return ""
    # names differing only in case come first ("ReLU" -> 'relu'), even when difflib misses them
    same_letters = [k for k in known if k.lower() == str(name).lower()]
    close = (same_letters + [c for c in close if c not in same_letters])[:n]
    if not close:
        return ""
    return f" Did you mean {' or '.join(repr(c) for c in close)}?"


def unknown_identifier(kind, name, known):
    """A ValueError naming `name`, the closest known names, and the full list."""
    hint = did_you_mean(name, known)
    return ValueError(
        f"Unknown {kind}: {name!r}.{hint} Known {kind} names: {sorted(known)}. "
        f"You can also pass {'an' if kind[0] in 'aeiou' else 'a'} {kind} object or a callable."
    )
