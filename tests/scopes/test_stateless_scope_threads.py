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


def test_another_threads_tape_takes_gradients_of_the_variable_itself():
    # a scope handed a tracked tensor for `v` makes this thread's ops record that tensor;
    # another thread's tape, differentiating through `v` meanwhile, still reaches `v`
    v = keras.Variable(np.array([1.0, 2.0], dtype="float32"))
    opened, done = threading.Barrier(2), threading.Barrier(2)
    grads = {}

    def scoped():
        stand_in = keras.Variable(np.array([3.0, 4.0], dtype="float32"))
        with keras.GradientTape() as tape:
            with keras.StatelessScope([(v, stand_in)]):
                opened.wait()
                loss = keras.ops.sum(v * v)
                done.wait()
        grads["scope"] = keras.ops.convert_to_numpy(tape.gradient(loss, stand_in)).tolist()

    def plain():
        opened.wait()
        with keras.GradientTape() as tape:
            loss = keras.ops.sum(v * 5.0)
        done.wait()
        grads["other"] = keras.ops.convert_to_numpy(tape.gradient(loss, v)).tolist()

    threads = [threading.Thread(target=f) for f in (scoped, plain)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert grads == {"scope": [6.0, 8.0], "other": [5.0, 5.0]}
