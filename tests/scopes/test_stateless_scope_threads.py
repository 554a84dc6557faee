"""A `StatelessScope` belongs to the thread that opened it."""

import threading

import numpy as np

import kerasx as keras
from kerasx.scopes import in_stateless_scope


def test_another_thread_reads_and_assigns_the_variable_itself():
    v = keras.Variable(np.array([1.0, 2.0], dtype="float32"))
    opened, done = threading.Barrier(2), threading.Barrier(2)
    seen = {}

    def scoped():
        with keras.StatelessScope([(v, np.array([7.0, 7.0], dtype="float32"))]) as scope:
            opened.wait()
            done.wait()
            seen["inside"] = keras.ops.convert_to_numpy(v.value).tolist()
            v.assign(np.array([8.0, 8.0], dtype="float32"))
        seen["scope"] = keras.ops.convert_to_numpy(scope.get_current_value(v)).tolist()

    def plain():
        opened.wait()
        seen["other"] = keras.ops.convert_to_numpy(v.value).tolist()
        seen["other_in_scope"] = in_stateless_scope()
        v.assign_add(np.array([1.0, 1.0], dtype="float32"))
        done.wait()

    threads = [threading.Thread(target=f) for f in (scoped, plain)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen["other"] == [1.0, 2.0] and seen["other_in_scope"] is False       # not the scope's value
    assert seen["inside"] == [7.0, 7.0]      # the other thread's assignment did not reach it
    assert seen["scope"] == [8.0, 8.0]
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(v.value), [2.0, 3.0])
