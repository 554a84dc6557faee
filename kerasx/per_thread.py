"""Process-wide hooks that each thread sees only its own part of.

`ThreadCounter` is a depth counter read and written as `counter[0]`; `ThreadWatchers`
is a list of callables that an `append` in one thread registers for that thread's
events only. Both cost one test where nothing is open (`if watchers:`), and keep a probe,
a recomputation or a scope running in one thread from changing what other threads do
meanwhile."""

import threading


class ThreadCounter(threading.local):
    """`counter[0]` (`counter[0] += 1`), each thread seeing its own count."""

    value = 0

    def __getitem__(self, index):
        return self.value

    def __setitem__(self, index, value):
        self.value = value


class ThreadWatchers(list):
    """Callables told of events (`tell(subject)`) of the thread that appended them only."""

    def append(self, watcher):
        super().append((threading.get_ident(), watcher))

    def remove(self, watcher):
        super().remove((threading.get_ident(), watcher))

    def tell(self, subject):
        thread = threading.get_ident()
        for owner, watcher in tuple(self):  # a copy: other threads add and remove theirs
            if owner == thread:
                watcher(subject)
