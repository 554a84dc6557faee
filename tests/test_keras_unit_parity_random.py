"""`kerasx.random` behaviours checked against Keras 3.15.1's random unit tests and
against Keras itself (values in comments were computed with Keras 3.15.1)."""

import numpy as np
import pytest

import kerasx as keras
from kerasx import ops, random


def host(x):
    return np.asarray(ops.convert_to_numpy(x))


@pytest.mark.parametrize("name, call", [
    ("uniform", lambda: random.uniform((3, 4), minval=0, maxval=10, dtype="int64")),
    ("normal", lambda: random.normal((2,), dtype="int32")),
    ("truncated_normal", lambda: random.truncated_normal((2,), dtype="int32")),
    ("gamma", lambda: random.gamma((2,), 1.0, dtype="int32")),
    ("beta", lambda: random.beta((2,), 1.0, 1.0, dtype="int32")),
    ("binomial", lambda: random.binomial((2,), 3, 0.5, dtype="int32")),
])
def test_float_draws_refuse_int_dtypes_with_keras_wording(name, call):
    # Keras 3.15.1's random_test: "`keras.random.uniform` requires a floating point `dtype`."
    with pytest.raises(ValueError, match=rf"`keras\.random\.{name}` requires a floating point "
                                         r"`dtype`\. Received: dtype=int"):
        call()


def test_randint_refuses_float_dtype_with_keras_wording():
    # Keras 3.15.1: "`keras.random.randint` requires an integer `dtype`. Received: dtype=float32"
    with pytest.raises(ValueError, match=r"requires an integer `dtype`\. Received: dtype=float64"):
        random.randint((3, 4), minval=0, maxval=10, dtype="float64")


@pytest.mark.parametrize("seed", ["invalid_seed", 1.5])
def test_bad_seed_of_a_draw_has_keras_wording(seed):
    # Keras 3.15.1: "Argument `seed` must be either an integer or an instance of
    # `SeedGenerator`. Received: seed=x (of type <class 'str'>)"
    with pytest.raises(ValueError, match=r"Argument `seed` must be either an integer or an "
                                         r"instance of `SeedGenerator`\. Received: seed="):
        random.normal((2,), seed=seed)


def test_bad_seed_of_a_seed_generator_has_keras_wording():
    # Keras 3.15.1's seed_generator_test matches "Argument `seed` must be an integer"
    with pytest.raises(ValueError, match=r"Argument `seed` must be an integer\. "
                                         r"Received: seed=invalid_seed"):
        random.SeedGenerator(seed="invalid_seed")


@pytest.mark.parametrize("logits", [np.ones((5,)), np.ones((5, 5, 5))])
def test_categorical_logits_rank_error_has_keras_wording(logits):
    with pytest.raises(ValueError, match=r"`logits` should be a 2-D tensor with shape "
                                         r"\[batch_size, num_classes\]"):
        random.categorical(logits, 5)


@pytest.mark.parametrize("draw", [
    lambda s: random.normal(s, seed=1), lambda s: random.uniform(s, seed=1),
    lambda s: random.truncated_normal(s, seed=1), lambda s: random.randint(s, 0, 4, seed=1),
])
def test_an_int_shape_is_a_vector(draw):
    # Keras 3.15.1: keras.random.normal(3).shape == (3,)
    assert tuple(draw(3).shape) == (3,)


def test_normal_broadcasts_array_mean_and_stddev():
    mean = np.array([0.0, 10.0, -5.0])
    stddev = np.array([1.0, 2.0, 0.5])
    values = random.normal((20000, 3), mean=mean, stddev=stddev, seed=1)
    assert values.dtype == "float32" and tuple(values.shape) == (20000, 3)
    drawn = host(values)
    np.testing.assert_allclose(drawn.mean(axis=0), mean, atol=0.05)
    np.testing.assert_allclose(drawn.std(axis=0), stddev, rtol=0.03)


def test_truncated_normal_broadcasts_array_mean():
    mean = np.array([0.0, 10.0])
    drawn = host(random.truncated_normal((20000, 2), mean=mean, stddev=2.0, seed=1))
    assert np.all(np.abs(drawn - mean) <= 4.0)
    np.testing.assert_allclose(drawn.mean(axis=0), mean, atol=0.06)


def test_uniform_broadcasts_array_bounds():
    low, high = np.array([0.0, 10.0]), np.array([1.0, 12.0])
    drawn = host(random.uniform((20000, 2), minval=low, maxval=high, seed=1))
    assert np.all(drawn >= low) and np.all(drawn < high)
    np.testing.assert_allclose(drawn.mean(axis=0), (low + high) / 2, atol=0.03)


def test_array_parameters_follow_the_seed():
    a = random.normal((4, 2), mean=np.array([1.0, 2.0]), seed=3)
    b = random.normal((4, 2), mean=np.array([1.0, 2.0]), seed=3)
    np.testing.assert_array_equal(host(a), host(b))


def test_seed_generator_serializes_under_keras_random():
    generator = random.SeedGenerator(seed=42, name="sg")
    serialized = keras.saving.serialize_keras_object(generator)
    # Keras 3.15.1: {'module': 'keras.random', 'class_name': 'SeedGenerator',
    #                'config': {'seed': 42, 'name': 'sg'}, 'registered_name': None}
    assert serialized["module"] == "keras.random"
    assert serialized["class_name"] == "SeedGenerator"
    assert serialized["config"] == {"seed": 42, "name": "sg"}
    revived = keras.saving.deserialize_keras_object(serialized)
    assert isinstance(revived, random.SeedGenerator)
    assert revived.get_config() == generator.get_config()
    np.testing.assert_array_equal(host(random.uniform((3,), seed=revived)),
                                  host(random.uniform((3,), seed=random.SeedGenerator(42))))


def test_seed_generator_from_a_keras_config():
    config = {"module": "keras.random", "class_name": "SeedGenerator",
              "config": {"seed": 7, "name": "g"}, "registered_name": None}
    revived = keras.saving.deserialize_keras_object(config)
    assert isinstance(revived, random.SeedGenerator)
    assert revived.get_config() == {"seed": 7, "name": "g"}
