# Public checks for hw2 part 3 (penguins.py). Run them from the assignment folder with
#     otter check penguins.py -q penguins
# or, in the notebook, with grader.check("penguins"). They use a few hand-made penguins and are quick hints, not
# your grade: the hidden grader scores your rules and classifier on held-out penguins.
OK_FORMAT = True


def _fail_fast(code):
    """Stop a case at its first broken step: mark every example that expects no output ``FAIL_FAST``.

    Those are the set-up steps (imports, calls whose results the next lines check); once one fails, the rest of
    the case could only report NameErrors. Examples with an expected output are checks, and all of them run.
    """
    lines, out, i = code.split("\n"), [], 0
    while i < len(lines):
        if not lines[i].startswith(">>> "):
            out.append(lines[i])
            i += 1
            continue
        j = i + 1
        while j < len(lines) and lines[j].startswith("..."):
            j += 1
        expects_output = j < len(lines) and lines[j].strip() != "" and not lines[j].startswith(">>>")
        is_step = not expects_output and not lines[i][4:].lstrip().startswith("#") and "doctest:" not in lines[i]
        out.append(lines[i] + "  # doctest: +FAIL_FAST" if is_step else lines[i])
        out.extend(lines[i + 1 : j])
        i = j
    return "\n".join(out)


# Hand-made rows in the raw format of load_data(): typical birds of each species (Gentoo on Biscoe, Chinstrap on
# Dream, Adelie on all three islands), plus one row whose measurements are missing (as in the real table).
_SETUP = r"""
>>> import importlib
>>> import numpy as np
>>> import pandas as pd
>>> import penguins
>>> penguins = importlib.reload(penguins)  # always test the file as it is on disk now
>>> _hw2_raw = pd.DataFrame({
...     "species": ["Adelie", "Gentoo", "Chinstrap", "Adelie", "Adelie", "Gentoo"],
...     "island": ["Torgersen", "Biscoe", "Dream", "Torgersen", "Biscoe", "Biscoe"],
...     "bill_length_mm": [39.1, 45.6, 46.6, np.nan, 37.8, 49.5],
...     "bill_depth_mm": [18.7, 14.2, 17.6, np.nan, 18.3, 15.7],
...     "flipper_length_mm": [181.0, 213.0, 192.0, np.nan, 190.0, 222.0],
...     "body_mass_g": [3750.0, 4700.0, 3530.0, np.nan, 3500.0, 5500.0],
...     "sex": ["male", "female", "female", np.nan, "female", "male"],
...     "year": [2007, 2008, 2008, 2007, 2008, 2009],
... })
"""

# The same penguins as features, the way prepare_features returns them (the row with missing values dropped, the
# index kept, island and sex one-hot encoded as float columns), so that the checks of is_gentoo,
# is_gentoo_without_flipper and make_classifier do not depend on your prepare_features.
_FEATURES = r"""
>>> _hw2_X = pd.DataFrame({
...     "bill_length_mm": [39.1, 45.6, 46.6, 37.8, 49.5],
...     "bill_depth_mm": [18.7, 14.2, 17.6, 18.3, 15.7],
...     "flipper_length_mm": [181.0, 213.0, 192.0, 190.0, 222.0],
...     "body_mass_g": [3750.0, 4700.0, 3530.0, 3500.0, 5500.0],
...     "island_Biscoe": [0.0, 1.0, 0.0, 1.0, 1.0],
...     "island_Dream": [0.0, 0.0, 1.0, 0.0, 0.0],
...     "island_Torgersen": [1.0, 0.0, 0.0, 0.0, 0.0],
...     "sex_female": [0.0, 1.0, 1.0, 1.0, 0.0],
...     "sex_male": [1.0, 0.0, 0.0, 0.0, 1.0],
... }, index=[0, 1, 2, 4, 5])
"""

test = {
    "name": "penguins",
    "points": None,
    "suites": [
        {
            "type": "doctest",
            "scored": True,
            "setup": "",
            "teardown": "",
            "cases": [
                {
                    "name": "penguins: prepare_features",
                    "hidden": False,
                    "locked": False,
                    "failure_message": (
                        "prepare_features(df) must drop the rows with missing values, drop 'year', one-hot encode "
                        "'island' and 'sex', and return (X, y): an all-numeric DataFrame and the species as a Series."
                    ),
                    "code": _fail_fast(
                        _SETUP
                        + r"""
>>> _hw2_before = _hw2_raw.copy()
>>> _hw2_X, _hw2_y = penguins.prepare_features(_hw2_raw)
>>> type(_hw2_X).__name__, type(_hw2_y).__name__  # doctest: +FAIL_FAST
('DataFrame', 'Series')
>>> len(_hw2_X), len(_hw2_y)  # the row with missing values is gone
(5, 5)
>>> list(_hw2_y)
['Adelie', 'Gentoo', 'Chinstrap', 'Adelie', 'Gentoo']
>>> sorted(c for c in ("year", "species", "island", "sex") if c in _hw2_X.columns)  # columns that should not be in X
[]
>>> sorted(c for c in ("bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g") if c not in _hw2_X.columns)  # measurements missing from X
[]
>>> any(str(c).startswith("island_") for c in _hw2_X.columns), any(str(c).startswith("sex_") for c in _hw2_X.columns)  # one-hot columns
(True, True)
>>> [str(c) for c in _hw2_X.columns if not pd.api.types.is_numeric_dtype(_hw2_X[c])]  # non-numeric columns
[]
>>> _hw2_X["bill_depth_mm"].tolist()  # measurements are kept as they are
[18.7, 14.2, 17.6, 18.3, 15.7]
>>> [int(_hw2_X[[c for c in _hw2_X.columns if str(c).startswith(p)]].sum(axis=1).eq(1).sum()) for p in ("island_", "sex_")]  # rows with exactly one island and one sex
[5, 5]
>>> _hw2_raw.equals(_hw2_before)  # the input frame is left unchanged
True
"""),
                },
                {
                    "name": "penguins: is_gentoo",
                    "hidden": False,
                    "locked": False,
                    "failure_message": (
                        "is_gentoo(X) takes features like those of prepare_features and must return a numpy bool "
                        "array, one entry per row, True for the Gentoo penguins."
                    ),
                    "code": _fail_fast(
                        _SETUP
                        + _FEATURES
                        + r"""
>>> _hw2_pred = np.asarray(penguins.is_gentoo(_hw2_X))
>>> str(_hw2_pred.dtype), _hw2_pred.shape
('bool', (5,))
>>> _hw2_pred.tolist()  # rows 2 and 5 are the (very typical) Gentoo penguins
[False, True, False, False, True]
"""),
                },
                {
                    "name": "penguins: is_gentoo_without_flipper",
                    "hidden": False,
                    "locked": False,
                    "failure_message": (
                        "is_gentoo_without_flipper(X) must return one bool per row, True for Gentoo penguins, without "
                        "reading flipper_length_mm: the answer must not change when that column is scrambled or missing."
                    ),
                    "code": _fail_fast(
                        _SETUP
                        + _FEATURES
                        + r"""
>>> _hw2_pred = np.asarray(penguins.is_gentoo_without_flipper(_hw2_X))
>>> str(_hw2_pred.dtype), _hw2_pred.shape
('bool', (5,))
>>> _hw2_pred.tolist()
[False, True, False, False, True]
>>> _hw2_scrambled = _hw2_X.copy()
>>> _hw2_scrambled["flipper_length_mm"] = [230.0, 175.0, 230.0, 230.0, 175.0]  # Gentoo-like flippers swapped
>>> np.asarray(penguins.is_gentoo_without_flipper(_hw2_scrambled)).tolist()
[False, True, False, False, True]
>>> np.asarray(penguins.is_gentoo_without_flipper(_hw2_X.drop(columns=["flipper_length_mm"]))).tolist()  # no flipper column at all
[False, True, False, False, True]
"""),
                },
                {
                    "name": "penguins: make_classifier",
                    "hidden": False,
                    "locked": False,
                    "failure_message": (
                        "make_classifier() must return a new, unfitted scikit-learn classifier (an estimator or a "
                        "Pipeline) that can be fitted on features like those of prepare_features."
                    ),
                    "code": _fail_fast(
                        _SETUP
                        + r"""
>>> import warnings
>>> from sklearn.base import clone
>>> from sklearn.exceptions import NotFittedError
>>> from sklearn.utils.validation import check_is_fitted
>>> _hw2_clf = penguins.make_classifier()
>>> callable(getattr(_hw2_clf, "fit", None)), callable(getattr(_hw2_clf, "predict", None))
(True, True)
>>> try:
...     check_is_fitted(_hw2_clf)
...     print("already fitted: return a new, unfitted estimator")
... except NotFittedError:
...     print("unfitted")
unfitted
>>> _hw2_clf = clone(_hw2_clf)  # a proper scikit-learn estimator can be cloned
>>> # 45 made-up penguins around the species averages, 15 per species, as features
>>> _hw2_rng = np.random.default_rng(0)
>>> _hw2_means = {"Adelie": (38.8, 18.3, 190.0, 3700.0), "Chinstrap": (48.8, 18.4, 196.0, 3730.0), "Gentoo": (47.5, 15.0, 217.0, 5080.0)}
>>> _hw2_islands = {"Adelie": ["Torgersen", "Biscoe", "Dream"] * 5, "Chinstrap": ["Dream"] * 15, "Gentoo": ["Biscoe"] * 15}
>>> _hw2_rows = [(s, i) for s in _hw2_means for i in range(15)]
>>> _hw2_X = pd.DataFrame({
...     "bill_length_mm": [_hw2_means[s][0] + _hw2_rng.normal(0, 1.5) for s, i in _hw2_rows],
...     "bill_depth_mm": [_hw2_means[s][1] + _hw2_rng.normal(0, 0.5) for s, i in _hw2_rows],
...     "flipper_length_mm": [_hw2_means[s][2] + _hw2_rng.normal(0, 4.0) for s, i in _hw2_rows],
...     "body_mass_g": [_hw2_means[s][3] + _hw2_rng.normal(0, 200.0) for s, i in _hw2_rows],
...     **{f"island_{isl}": [float(_hw2_islands[s][i] == isl) for s, i in _hw2_rows] for isl in ("Biscoe", "Dream", "Torgersen")},
...     **{f"sex_{sx}": [float(["female", "male"][i % 2] == sx) for s, i in _hw2_rows] for sx in ("female", "male")},
... })
>>> _hw2_y = pd.Series([s for s, i in _hw2_rows], name="species")
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")
...     _hw2_fitted = _hw2_clf.fit(_hw2_X, _hw2_y)
...     _hw2_pred = np.asarray(_hw2_clf.predict(_hw2_X))
>>> len(_hw2_pred), sorted(set(_hw2_pred.tolist()) - {"Adelie", "Chinstrap", "Gentoo"})  # one species name per row
(45, [])
>>> float(np.mean(_hw2_pred == _hw2_y.to_numpy())) >= 0.8  # training accuracy on well-separated species
True
"""),
                },
            ],
        }
    ],
}
