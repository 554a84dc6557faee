"""Golden values of what a user feeds a model: `keras.utils` data functions and the input
kinds of `fit` / `evaluate` / `predict`.

Each case is a recipe of `fuzz_data_recipe.draw_case(seed, kind)` run by Keras:
`pad_sequences` (ragged int / float / vector / string sequences, every padding, truncating,
`maxlen`, `value` and dtype), `to_categorical`, `normalize`, `split_dataset` (arrays,
tuples and lists; sizes as counts or fractions; seeded shuffles),
`timeseries_dataset_from_array` (strides, sampling rates, start / end indices, targets,
batch sizes), `image_dataset_from_directory` / `text_dataset_from_directory` /
`audio_dataset_from_directory` on small trees the recipe writes (class names, label modes,
label lists, splits and subsets, seeds, colour modes, sizes, interpolations, cropping and
padding to the aspect ratio, nested and linked folders, both of Keras's formats), and small
models trained on arrays, lists / dicts of arrays, Python generators and `PyDataset`s
(validation data of each kind, `validation_split`, sample and class weights,
`initial_epoch`, `steps_per_epoch`). Keras's results, in the structure `skeleton`
(`training_recipe.flatten_results`). Keras's dataset utilities need TensorFlow for
`tf.data`, so this file runs in an environment with tensorflow-cpu (and grain for the
"grain" format), on the JAX backend::

    python3 -m venv /tmp/tfvenv
    /tmp/tfvenv/bin/pip install tensorflow-cpu keras==3.15.1 jax==0.10.2 pillow grain
    cd tests/golden
    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /tmp/tfvenv/bin/python family_fuzz_data.py
"""

import os
import tempfile

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import keras  # noqa: E402
from fuzz_data_recipe import draw_case, run_case  # noqa: E402
from make_golden import Golden  # noqa: E402
from training_recipe import flatten_results  # noqa: E402

SEED_START = 5000
CASES_PER_KIND = {"pad_sequences": 14, "to_categorical": 6, "normalize": 6,
                  "split_dataset": 8, "timeseries": 10, "image_dir": 16, "text_dir": 8,
                  "audio_dir": 8, "fit": 20}


def make_fuzz_data():
    g = Golden(
        "fuzz_data",
        seed=SEED_START,
        description=(
            "config: a case of fuzz_data_recipe.draw_case(seed, kind) (its kind, seed and "
            "config); arrays: Keras's results of fuzz_data_recipe.run_case, named by their "
            "path in 'skeleton' (training_recipe.flatten_results)."
        ),
    )
    seed = SEED_START
    for kind, count in CASES_PER_KIND.items():
        for _ in range(count):
            seed += 1
            case = draw_case(seed, kind)
            keras.utils.set_random_seed(0)
            with tempfile.TemporaryDirectory() as root:
                results = run_case(keras, case, root)
            skeleton, arrays = flatten_results(results)
            g.add(f"{kind}_{seed}", "run_case", "fuzz_data_recipe", case, arrays,
                  skeleton=skeleton)
    g.write()


if __name__ == "__main__":
    make_fuzz_data()
