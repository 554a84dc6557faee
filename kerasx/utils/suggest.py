"""Error messages for unknown names, with a "did you mean" suggestion."""

import difflib


def unknown_identifier(kind, name, known):
    """A ValueError naming `name`, the closest known names, and the full list."""
    close = difflib.get_close_matches(str(name), list(known), n=3, cutoff=0.6)
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return ValueError(
        f"Unknown {kind}: {name!r}.{hint} Known {kind} names: {sorted(known)}. "
        f"You can also pass {'an' if kind[0] in 'aeiou' else 'a'} {kind} object or a callable."
    )
