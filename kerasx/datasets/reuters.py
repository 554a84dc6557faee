"""Reuters newswires: 11,228 newswires as word-index sequences, labeled by topic (46)."""

import json

from kerasx.backends import host, host_datasets
from kerasx.datasets import _word_sequences as words
from kerasx.datasets._files import ORIGIN, fetch

FILE_HASH = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
WORD_INDEX_HASH = "4d44cc38712099c9e383dc6e5f11a921"
LABEL_NAMES = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply",
    "coffee", "sugar", "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas",
    "cpi", "money-fx", "interest", "gnp", "meal-feed", "alum", "oilseed", "gold", "tin",
    "strategic-metal", "livestock", "retail", "ipi", "iron-steel", "rubber", "heat", "jobs",
    "lei", "bop", "zinc", "orange", "pet-chem", "dlr", "gas", "silver", "wpi", "hog", "lead")


def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2,
              seed=113, start_char=1, oov_char=2, index_from=3):
    """`(x_train, y_train), (x_test, y_test)`: object arrays of newswires (lists of word
    indices) and int topic labels, split after a shuffle with `seed`.

    Args:
        path: the file name in the cache (`~/.keras/datasets/`).
        num_words, skip_top, maxlen, seed, start_char, oov_char, index_from: as in
            `imdb.load_data`.
        test_split: the fraction of the newswires in the test part.
    """
    arrays = host_datasets.load_npz(fetch(path, ORIGIN + "reuters.npz", FILE_HASH))
    (order,) = host_datasets.shuffled_orders(seed, len(arrays["x"]))
    xs = words.offset(host.take_rows(arrays["x"], order), start_char, index_from)
    labels = host.take_rows(arrays["y"], order)
    if maxlen:
        xs, labels = words.drop_long(maxlen, xs, labels)
    xs = words.limit_vocabulary(xs, num_words, skip_top, oov_char)
    cut = int(len(xs) * (1 - test_split))
    return ((host_datasets.object_array(xs[:cut]), host_datasets.to_array(labels[:cut])),
            (host_datasets.object_array(xs[cut:]), host_datasets.to_array(labels[cut:])))


def get_word_index(path="reuters_word_index.json"):
    """The dict of word -> index (shift by `index_from` to read `load_data`'s sequences)."""
    with open(fetch(path, ORIGIN + "reuters_word_index.json", WORD_INDEX_HASH)) as f:
        return json.load(f)


def get_label_names():
    """The 46 topic names, indexed by label."""
    return LABEL_NAMES
