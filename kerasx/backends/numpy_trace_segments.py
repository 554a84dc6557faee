"""Replaying the independent segments of a recorded step on two threads at once.

A step split in segments (`Recorder.segment(k)`: the two halves of a batch going
through the model and its gradient, `kerasx.trainers.split_step`) is laid out as

    prelude  (the batch, the variables' arrays, every segment's random draws)
    segment 0 and segment 1, each a nested function, run at the same time
    the rest (the halves' gradients added, the optimizer, the metrics)

when each segment reads only the prelude and its own arrays and writes only its own
arrays: no Python call other than a kernel's or a random draw, no variable changed.
Draws move to the prelude, made in the recorded order before the segments start, so
the random generator is used as by the eager step (and by one thread). A segment's
arrays that the rest reads come out as the enclosing function's names (`nonlocal`);
its other arrays are deleted inside it after their last read, as the eager step frees
them. Where the layout does not hold, the segments run one after the other in the
recorded order, with the same results.
"""

_CONSTANT = "_c"  # the prefix of the names of a recording's constants


def layout(lines, tags, params):
    """`(groups, exported)`: each line's group (`"pre"`, a segment index or `"rest"`),
    the lines reordered so that the prelude comes first, and per segment the names
    it hands the rest; or `(None, reason)` when the segments cannot run at once."""
    first = next((i for i, line in enumerate(lines) if id(line) in tags), None)
    if first is None:
        return None, "no segment was recorded"
    last = max(i for i, line in enumerate(lines) if id(line) in tags)
    owner = {name: "pre" for name in params}  # name -> group that made it
    prelude, segments, rest = list(lines[:first]), {}, list(lines[last + 1:])
    for line in lines[:first]:
        for name in line[2]:
            owner.setdefault(name, "pre")
    for line in lines[first:last + 1]:
        source, reads, writes, _ = line
        tag = tags.get(id(line))
        group, kind = tag if tag is not None else (None, None)
        from_prelude = all(_available(name, owner, "pre") for name in reads)
        if group is None or kind == "draw" or _holder_read(line):
            if not from_prelude:
                what = "a random draw" if kind == "draw" else "work between the segments"
                return None, f"{what} reads a segment's arrays"
            if any(name in owner for name in writes):
                return None, "work between the segments writes an existing array"
            prelude.append(line)
            for name in writes:
                owner[name] = "pre"
            continue
        if kind == "call":
            return None, f"a segment makes a Python call ({source})"
        for name in reads:
            if not _available(name, owner, group):
                return None, "a segment reads another segment's arrays"
        for name in writes:
            if owner.setdefault(name, group) != group:
                return None, "a segment writes an array made outside it"
        segments.setdefault(group, []).append(line)
    if sorted(segments) != list(range(len(segments))) or len(segments) != 2:
        return None, f"{len(segments)} segments were recorded, not 2"
    made = {name: group for name, group in owner.items() if group != "pre"}
    exported = [sorted({name for line in rest for name in line[1] if made.get(name) == k})
                for k in range(2)]
    groups = ["pre"] * len(prelude) + [0] * len(segments[0]) + [1] * len(segments[1]) \
        + ["rest"] * len(rest)
    return (prelude + segments[0] + segments[1] + rest, groups), exported


def _available(name, owner, group):
    return name.startswith(_CONSTANT) or owner.get(name) in ("pre", group)


def _holder_read(line):
    """A line reading a variable's array into the recording (`r5 = _c3._value`)."""
    source, reads, writes, pure = line
    return pure and not reads and len(writes) == 1 and source.startswith(
        f"{writes[0]} = {_CONSTANT}") and "(" not in source


def source(groups, lines, exported, params, deletions, quiet):
    """The body lines of the replay function (without its `def`) for laid-out lines:
    the segments as nested functions run by `_segments(_s0, _s1)`."""
    segment_lines = [[line for line, g in zip(lines, groups) if g == k] for k in range(2)]
    outer = [line for line, g in zip(lines, groups) if g == "pre"]
    reads = set()
    for k in range(2):
        made = {name for line in segment_lines[k] for name in line[2]}
        reads |= {name for line in segment_lines[k] for name in line[1] if name not in made}
    handed = [name for names in exported for name in names]
    block = ("<segments>", frozenset(reads), tuple(handed), False)
    outer.append(block)
    outer += [line for line, g in zip(lines, groups) if g == "rest"]
    body = []
    if handed:  # bound here first, so that the nested functions can set them
        body.append(" = ".join(handed) + " = None")
    for text in deletions(outer, set(params)):
        if text != "<segments>":
            body.append(text)
            continue
        for k in range(2):
            body += _segment_function(k, segment_lines[k], exported[k], deletions, quiet)
        body.append("_segments(_s0, _s1)")
    return body


def _segment_function(k, lines, exported, deletions, quiet):
    own = {name for line in lines for name in line[2]} - set(exported)
    inner = deletions(lines, set(), only=own)
    if quiet:
        inner = ["with _errstate(all='ignore'):"] + ["    " + text for text in inner]
    head = [f"def _s{k}():"]
    if exported:
        head.append("    nonlocal " + ", ".join(exported))
    return head + ["    " + text for text in inner or ["pass"]]
