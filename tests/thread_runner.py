"""Running test code in several threads at once."""

import threading
import warnings


def in_threads(*targets):
    """Runs each target in its own thread, started together; returns their results.
    A thread's error is raised here, and any warning fails the test."""
    barrier = threading.Barrier(len(targets))
    results, errors = [None] * len(targets), []

    def run(i):
        try:
            barrier.wait()
            results[i] = targets[i]()
        except BaseException as error:  # reported in the main thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(targets))]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    if errors:
        raise errors[0]
    assert [str(w.message) for w in caught] == []
    return results
