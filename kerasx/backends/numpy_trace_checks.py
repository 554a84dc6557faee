"""Where a recorded step's checks fall against the changes it makes.

A replay checks what it reads from the data and what kernels recorded as one call
return (`GuardFailed`), wherever the eager step met them; some come after the step
changed variables (a batch normalization assigns its moving statistics in the
forward pass, before the backward pass's kernels). Before compiling, the recorder
moves each Python call that may change state (an optimizer's update) after the
checks that follow it when nothing in between touches what the call reads or writes
(`checks_first`), and tells the caller what a replay has still changed before its
last check (`changes_before_last_check`), to be given back when a check fails.

A line is `(source, reads, writes, pure)`; `effects` maps `id(line)` to what the line
changes besides its `writes`: `(holder, attribute, in_place)` for a holder's array
replaced (or written in place), and `PythonCall`s.
"""


class PythonCall:
    """What a Python call recorded in a step (an optimizer's update, a random draw) may
    change: the `holders` (constant names) it is given and the recorded arrays that
    share memory with theirs (`names`), besides anything of its own."""

    __slots__ = ("holders", "names", "draw")

    def __init__(self, holders, names, draw=False):
        self.holders, self.names, self.draw = frozenset(holders), frozenset(names), draw


def checks_first(lines, checks, effects, holder_name, variable_names, reads_of):
    """`lines` with each Python call that may change state (an optimizer's update)
    and comes before the last check moved just after it, where nothing in between
    touches what the call reads or writes: a replay failing a check then has not
    made the call, whose changes would be costly to save (every variable).

    `checks`: the ids of the lines that may raise `GuardFailed`; `holder_name(holder)`:
    a holder's constant name; `variable_names`: the names holding variables' arrays;
    `reads_of`: name of a holder's array read -> the holder's constant name."""
    found = [i for i, line in enumerate(lines) if id(line) in checks]
    if not found:
        return lines
    last = found[-1]
    moved = set()
    for i in range(last - 1, -1, -1):
        changes = effects.get(id(lines[i]), ())
        if changes and all(type(e) is PythonCall and not e.draw for e in changes) \
                and all(_apart(lines[i], changes, line, effects, holder_name, variable_names,
                               reads_of)
                        for line in lines[i + 1:last + 1] if id(line) not in moved):
            moved.add(id(lines[i]))
    if not moved:
        return lines
    return ([line for line in lines[:last + 1] if id(line) not in moved]
            + [line for line in lines[:last] if id(line) in moved] + lines[last + 1:])


def _apart(call, changes, line, effects, holder_name, variable_names, reads_of):
    """Whether `line` may run before the Python `call` (whose `changes` are
    `PythonCall`s) without either seeing the other's work."""
    _, call_reads, call_writes, _ = call
    _, reads, writes, pure = line
    holders = set().union(*(e.holders for e in changes))
    touched = set(call_writes).union(*(e.names for e in changes))
    for e in effects.get(id(line), ()):
        if type(e) is PythonCall or holder_name(e[0]) in holders:
            return False
    if not touched.isdisjoint(reads) or not touched.isdisjoint(writes):
        return False
    if not pure and not call_reads.isdisjoint(writes):
        return False  # it writes into what the call reads
    # a holder's array read after the call, which may have changed it
    return not any(w in variable_names and (w not in reads_of or reads_of[w] in holders)
                   for w in writes)


def changes_before_last_check(lines, checks, effects):
    """What the step changes before its last check, or None: `(changes, by_calls)`,
    `changes` the `(holder, attribute, in_place)` of each holder's array replaced or
    written in place, `by_calls` whether a Python call other than a random draw (an
    optimizer's update) comes before it."""
    found = [i for i, line in enumerate(lines) if id(line) in checks]
    if not found:
        return None
    changes, by_calls = {}, False
    for line in lines[:found[-1]]:
        for e in effects.get(id(line), ()):
            if type(e) is PythonCall:
                by_calls = by_calls or not e.draw
                continue
            holder, attribute, in_place = e
            known = changes.get((id(holder), attribute))
            changes[(id(holder), attribute)] = (holder, attribute,
                                                in_place or known is not None and known[2])
    if not changes and not by_calls:
        return None
    return tuple(changes.values()), by_calls
