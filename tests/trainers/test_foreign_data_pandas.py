"""pandas `DataFrame` and `Series` as fit / evaluate / predict data."""

import numpy as np
import pytest

from kerasx.trainers import data_adapter
from tests.trainers.helpers import classifier, copy_weights, make_data

pd = pytest.importorskip("pandas")


def test_a_frame_and_a_series_train_exactly_like_their_arrays():
    x, y = make_data(n=32)
    frame = pd.DataFrame(x.astype("float64"), columns=list("abcd"), index=np.arange(100, 132))
    base = classifier()
    want = copy_weights(base, classifier()).fit(x, y, batch_size=8, epochs=2, verbose=0,
                                                shuffle=False, validation_split=0.25)
    model = copy_weights(base, classifier())
    got = model.fit(frame, pd.Series(y), batch_size=8, epochs=2, verbose=0, shuffle=False,
                    validation_split=0.25)
    assert got.history == want.history
    np.testing.assert_array_equal(model.predict(frame, verbose=0), model.predict(x, verbose=0))


def test_column_types_become_one_array_type():
    floats = pd.DataFrame({"a": [1.5, 2.5], "b": [1, 2], "c": [True, False]})
    ints = pd.DataFrame({"b": [1, 2], "c": [True, False]})
    out = data_adapter.standardize(floats, "x")
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[1.5, 1, 1], [2.5, 2, 0]])
    assert data_adapter.standardize(ints, "x").dtype == np.int64
    assert data_adapter.standardize(pd.Series([1, 2]), "y").dtype == np.int64


def test_text_is_kept_for_string_layers_and_refused_elsewhere():
    text = data_adapter.standardize(pd.Series(["a cat", "a dog"]), "x")
    assert text.dtype.kind == "U" and list(text) == ["a cat", "a dog"]
    frame = pd.DataFrame({"size": [1.0, 2.0], "colour": ["red", "blue"],
                          "kind": pd.Categorical(["u", "v"])})
    with pytest.raises(TypeError, match=r"`x` is a pandas DataFrame with non-numeric columns "
                                        r"'colour' \((str|object)\), 'kind' \(category\).*cat.codes"):
        data_adapter.standardize(frame, "x")
    with pytest.raises(TypeError, match=r"`y` is a pandas Series with non-numeric dtype"):
        data_adapter.standardize(pd.Series(["a", "b"]), "y")


def test_missing_values_in_a_nullable_column_are_a_clear_error():
    """pandas 3 reads pd.NA as NaN (then the NaN check names it), older pandas as objects."""
    frame = pd.DataFrame({"n": pd.array([1, None, 3, 4], dtype="Int64")})
    model = classifier(features=1)
    with pytest.raises((TypeError, ValueError), match=r"missing values \(pd.NA\).*fillna|"
                                                      r"`x` contains NaN or inf"):
        model.fit(frame, np.zeros(4, "int64"), verbose=0)
