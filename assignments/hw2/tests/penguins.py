# Public checks for hw2 part 3 (penguins.py). Run them from the assignment folder with
#     otter check penguins.py -q penguins
# or, in the notebook, with grader.check("penguins"). They use a few hand-made penguins and are quick hints, not
# your grade: the hidden grader scores your rules and classifier on held-out penguins.
#
# Each case imports penguins.py afresh from disk, so it always checks the file as you last saved it. A case stops
# at its first failed assertion, whose message says what was expected.
import importlib
import warnings

import numpy as np
import pandas as pd
from otter.test_files import test_case

OK_FORMAT = False

name = "penguins"


def _raw_penguins() -> pd.DataFrame:
    """Hand-made rows in the raw format of load_data(): typical birds of each species (Gentoo on Biscoe, Chinstrap
    on Dream, Adelie on all three islands), plus one row whose measurements are missing (as in the real table)."""
    return pd.DataFrame({
        "species": ["Adelie", "Gentoo", "Chinstrap", "Adelie", "Adelie", "Gentoo"],
        "island": ["Torgersen", "Biscoe", "Dream", "Torgersen", "Biscoe", "Biscoe"],
        "bill_length_mm": [39.1, 45.6, 46.6, np.nan, 37.8, 49.5],
        "bill_depth_mm": [18.7, 14.2, 17.6, np.nan, 18.3, 15.7],
        "flipper_length_mm": [181.0, 213.0, 192.0, np.nan, 190.0, 222.0],
        "body_mass_g": [3750.0, 4700.0, 3530.0, np.nan, 3500.0, 5500.0],
        "sex": ["male", "female", "female", np.nan, "female", "male"],
        "year": [2007, 2008, 2008, 2007, 2008, 2009],
    })


def _features() -> pd.DataFrame:
    """The same penguins as features, the way prepare_features returns them (the row with missing values dropped,
    the index kept, island and sex one-hot encoded as float columns), so that the checks of is_gentoo,
    is_gentoo_without_flipper and make_classifier do not depend on your prepare_features."""
    return pd.DataFrame({
        "bill_length_mm": [39.1, 45.6, 46.6, 37.8, 49.5],
        "bill_depth_mm": [18.7, 14.2, 17.6, 18.3, 15.7],
        "flipper_length_mm": [181.0, 213.0, 192.0, 190.0, 222.0],
        "body_mass_g": [3750.0, 4700.0, 3530.0, 3500.0, 5500.0],
        "island_Biscoe": [0.0, 1.0, 0.0, 1.0, 1.0],
        "island_Dream": [0.0, 0.0, 1.0, 0.0, 0.0],
        "island_Torgersen": [1.0, 0.0, 0.0, 0.0, 0.0],
        "sex_female": [0.0, 1.0, 1.0, 1.0, 0.0],
        "sex_male": [1.0, 0.0, 0.0, 0.0, 1.0],
    }, index=[0, 1, 2, 4, 5])


@test_case(
    name="penguins: prepare_features",
    points=1,
    hidden=False,
    failure_message=(
        "prepare_features(df) must drop the rows with missing values, drop 'year', one-hot encode "
        "'island' and 'sex', and return (X, y): an all-numeric DataFrame and the species as a Series."
    ),
)
def test_prepare_features() -> None:
    penguins = importlib.reload(importlib.import_module("penguins"))  # always test the file as it is on disk now
    raw = _raw_penguins()
    before = raw.copy()
    X, y = penguins.prepare_features(raw)
    types = (type(X).__name__, type(y).__name__)
    assert types == ("DataFrame", "Series"), f"expected (DataFrame, Series), got {types}"
    assert (len(X), len(y)) == (5, 5), f"the row with missing values must be gone: got {len(X)} and {len(y)} rows"
    assert list(y) == ["Adelie", "Gentoo", "Chinstrap", "Adelie", "Gentoo"], f"y is {list(y)}, not the species"
    extra = sorted(c for c in ("year", "species", "island", "sex") if c in X.columns)
    assert not extra, f"columns that should not be in X: {extra}"
    absent = sorted(c for c in ("bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g")
                    if c not in X.columns)
    assert not absent, f"measurements missing from X: {absent}"
    for prefix in ("island_", "sex_"):
        assert any(str(c).startswith(prefix) for c in X.columns), f"no one-hot column {prefix}... in X"
    text = [str(c) for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    assert not text, f"non-numeric columns: {text}"
    assert X["bill_depth_mm"].tolist() == [18.7, 14.2, 17.6, 18.3, 15.7], "measurements must be kept as they are"
    for prefix in ("island_", "sex_"):
        ones = int(X[[c for c in X.columns if str(c).startswith(prefix)]].sum(axis=1).eq(1).sum())
        assert ones == 5, f"every row must have exactly one {prefix}... column set to 1; {ones} of 5 do"
    assert raw.equals(before), "the input frame must be left unchanged"


@test_case(
    name="penguins: is_gentoo",
    points=1,
    hidden=False,
    failure_message=(
        "is_gentoo(X) takes features like those of prepare_features and must return a numpy bool "
        "array, one entry per row, True for the Gentoo penguins."
    ),
)
def test_is_gentoo() -> None:
    penguins = importlib.reload(importlib.import_module("penguins"))
    pred = np.asarray(penguins.is_gentoo(_features()))
    assert (str(pred.dtype), pred.shape) == ("bool", (5,)), (
        f"expected a bool array of shape (5,), got {pred.dtype} of shape {pred.shape}")
    assert pred.tolist() == [False, True, False, False, True], (
        f"got {pred.tolist()}; rows 2 and 5 are the (very typical) Gentoo penguins")


@test_case(
    name="penguins: is_gentoo_without_flipper",
    points=1,
    hidden=False,
    failure_message=(
        "is_gentoo_without_flipper(X) must return one bool per row, True for Gentoo penguins, without "
        "reading flipper_length_mm: the answer must not change when that column is scrambled or missing."
    ),
)
def test_is_gentoo_without_flipper() -> None:
    penguins = importlib.reload(importlib.import_module("penguins"))
    X = _features()
    expected = [False, True, False, False, True]
    pred = np.asarray(penguins.is_gentoo_without_flipper(X))
    assert (str(pred.dtype), pred.shape) == ("bool", (5,)), (
        f"expected a bool array of shape (5,), got {pred.dtype} of shape {pred.shape}")
    assert pred.tolist() == expected, f"got {pred.tolist()}; rows 2 and 5 are the Gentoo penguins"
    scrambled = X.copy()
    scrambled["flipper_length_mm"] = [230.0, 175.0, 230.0, 230.0, 175.0]  # Gentoo-like flippers swapped
    got = np.asarray(penguins.is_gentoo_without_flipper(scrambled)).tolist()
    assert got == expected, f"with the flipper lengths swapped around the answer changed to {got}"
    got = np.asarray(penguins.is_gentoo_without_flipper(X.drop(columns=["flipper_length_mm"]))).tolist()
    assert got == expected, f"without a flipper_length_mm column the answer changed to {got}"


@test_case(
    name="penguins: make_classifier",
    points=1,
    hidden=False,
    failure_message=(
        "make_classifier() must return a new, unfitted scikit-learn classifier (an estimator or a "
        "Pipeline) that can be fitted on features like those of prepare_features."
    ),
)
def test_make_classifier() -> None:
    from sklearn.base import clone
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    penguins = importlib.reload(importlib.import_module("penguins"))
    clf = penguins.make_classifier()
    assert callable(getattr(clf, "fit", None)) and callable(getattr(clf, "predict", None)), (
        f"make_classifier() returned a {type(clf).__name__}, which has no fit and predict methods")
    try:
        check_is_fitted(clf)
    except NotFittedError:
        pass
    else:
        raise AssertionError("already fitted: return a new, unfitted estimator")
    clf = clone(clf)  # a proper scikit-learn estimator can be cloned
    # 45 made-up penguins around the species averages, 15 per species, as features
    rng = np.random.default_rng(0)
    means = {"Adelie": (38.8, 18.3, 190.0, 3700.0), "Chinstrap": (48.8, 18.4, 196.0, 3730.0),
             "Gentoo": (47.5, 15.0, 217.0, 5080.0)}
    islands = {"Adelie": ["Torgersen", "Biscoe", "Dream"] * 5, "Chinstrap": ["Dream"] * 15, "Gentoo": ["Biscoe"] * 15}
    rows = [(s, i) for s in means for i in range(15)]
    X = pd.DataFrame({
        "bill_length_mm": [means[s][0] + rng.normal(0, 1.5) for s, i in rows],
        "bill_depth_mm": [means[s][1] + rng.normal(0, 0.5) for s, i in rows],
        "flipper_length_mm": [means[s][2] + rng.normal(0, 4.0) for s, i in rows],
        "body_mass_g": [means[s][3] + rng.normal(0, 200.0) for s, i in rows],
        **{f"island_{isl}": [float(islands[s][i] == isl) for s, i in rows] for isl in ("Biscoe", "Dream", "Torgersen")},
        **{f"sex_{sx}": [float(["female", "male"][i % 2] == sx) for s, i in rows] for sx in ("female", "male")},
    })
    y = pd.Series([s for s, i in rows], name="species")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y)
        pred = np.asarray(clf.predict(X))
    unknown = sorted(set(pred.tolist()) - {"Adelie", "Chinstrap", "Gentoo"})
    assert len(pred) == 45 and not unknown, (
        f"expected one species name per row (45), got {len(pred)} predictions, unknown labels {unknown}")
    accuracy = float(np.mean(pred == y.to_numpy()))
    assert accuracy >= 0.8, f"training accuracy {accuracy:.2f} on well-separated species; expected at least 0.8"
