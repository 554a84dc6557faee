"""IMDB movie reviews: 25,000 training and 25,000 test reviews as word-index sequences,
labeled by sentiment (1 positive, 0 negative)."""

import json

from kerasx.backends import host, host_datasets
from kerasx.datasets import _word_sequences as words
from kerasx.datasets._files import ORIGIN, fetch

FILE_HASH = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
WORD_INDEX_HASH = "bfafd718b763782e994055a2d397834f"


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113,
              start_char=1, oov_char=2, index_from=3, **kwargs):
    """`(x_train, y_train), (x_test, y_test)`: object arrays of reviews (lists of word
    indices, by decreasing frequency) and int labels.

    Args:
        path: the file name in the cache (`~/.keras/datasets/`).
        num_words: keep the words of index below `num_words` (after `index_from`);
            the others become `oov_char`. None: the whole vocabulary.
        skip_top: the most frequent indices below it become `oov_char` too.
        maxlen: drop the reviews of `maxlen` words or more (`start_char` included).
        seed: the seed of the shuffle (train and test shuffled in turn).
        start_char: the index put at the start of each review (None: none).
        oov_char: the index of out-of-vocabulary words (None: drop them).
        index_from: the offset added to every word index.
        **kwargs: accepted and ignored, as in Keras.
    """
    arrays = host_datasets.load_npz(fetch(path, ORIGIN + "imdb.npz", FILE_HASH))
    x_train, x_test = arrays["x_train"], arrays["x_test"]
    train_order, test_order = host_datasets.shuffled_orders(seed, len(x_train), len(x_test))
    x_train = words.offset(host.take_rows(x_train, train_order), start_char, index_from)
    x_test = words.offset(host.take_rows(x_test, test_order), start_char, index_from)
    y_train = host.take_rows(arrays["y_train"], train_order)
    y_test = host.take_rows(arrays["y_test"], test_order)
    if maxlen:
        x_train, y_train = words.drop_long(maxlen, x_train, y_train)
        x_test, y_test = words.drop_long(maxlen, x_test, y_test)
        if not x_train or not x_test:
            raise ValueError(f"After filtering for sequences shorter than maxlen={maxlen}, no "
                             "sequence was kept. Increase maxlen.")
    xs = words.limit_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    cut = len(x_train)
    return ((host_datasets.object_array(xs[:cut]), host_datasets.to_array(y_train)),
            (host_datasets.object_array(xs[cut:]), host_datasets.to_array(y_test)))


def get_word_index(path="imdb_word_index.json"):
    """The dict of word -> index (1 for the most frequent word; shift by `index_from`
    to read `load_data`'s sequences)."""
    with open(fetch(path, ORIGIN + "imdb_word_index.json", WORD_INDEX_HASH)) as f:
        return json.load(f)
