# Public checks for hw2 part 3 (penguins.py). Run them from the assignment folder with
#     otter check penguins.py -q penguins
# or, in the notebook, with grader.check("penguins"). They use a few hand-made penguins and are quick hints, not
# your grade: the hidden grader scores your rules and classifier on held-out penguins.
OK_FORMAT = True

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
                    "code": _SETUP
                    + r"""
>>> _hw2_before = _hw2_raw.copy()
>>> _hw2_X, _hw2_y = penguins.prepare_features(_hw2_raw)
>>> type(_hw2_X).__name__, type(_hw2_y).__name__
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
>>> _hw2_raw.equals(_hw2_before)  # the input frame is left unchanged
True
""",
                },
                {
                    "name": "penguins: is_gentoo",
                    "hidden": False,
                    "locked": False,
                    "failure_message": (
                        "is_gentoo(X) takes the X of prepare_features and must return one bool per row, True for the "
                        "Gentoo penguins. (This check uses your prepare_features too.)"
                    ),
                    "code": _SETUP
                    + r"""
>>> _hw2_X, _hw2_y = penguins.prepare_features(_hw2_raw)
>>> _hw2_pred = np.asarray(penguins.is_gentoo(_hw2_X))
>>> str(_hw2_pred.dtype), _hw2_pred.shape
('bool', (5,))
>>> _hw2_pred.tolist()  # rows 2 and 5 are the (very typical) Gentoo penguins
[False, True, False, False, True]
""",
                },
                {
                    "name": "penguins: is_gentoo_without_flipper",
                    "hidden": False,
                    "locked": False,
                    "failure_message": (
                        "is_gentoo_without_flipper(X) must return one bool per row, True for Gentoo penguins, without "
                        "using flipper_length_mm: here that column is scrambled and the answer must not change."
                    ),
                    "code": _SETUP
                    + r"""
>>> _hw2_X, _hw2_y = penguins.prepare_features(_hw2_raw)
>>> _hw2_pred = np.asarray(penguins.is_gentoo_without_flipper(_hw2_X))
>>> str(_hw2_pred.dtype), _hw2_pred.shape
('bool', (5,))
>>> _hw2_pred.tolist()
[False, True, False, False, True]
>>> _hw2_scrambled = _hw2_X.copy()
>>> _hw2_scrambled["flipper_length_mm"] = [230.0, 175.0, 230.0, 230.0, 175.0]  # Gentoo-like flippers swapped
>>> np.asarray(penguins.is_gentoo_without_flipper(_hw2_scrambled)).tolist()
[False, True, False, False, True]
""",
                },
                {
                    "name": "penguins: make_classifier",
                    "hidden": False,
                    "locked": False,
                    "failure_message": (
                        "make_classifier() must return a new, unfitted scikit-learn classifier (an estimator or a "
                        "Pipeline) that can be fitted on the X, y of prepare_features."
                    ),
                    "code": _SETUP
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
>>> # 45 made-up penguins around the species averages, 15 per species
>>> _hw2_rng = np.random.default_rng(0)
>>> _hw2_means = {"Adelie": (38.8, 18.3, 190.0, 3700.0), "Chinstrap": (48.8, 18.4, 196.0, 3730.0), "Gentoo": (47.5, 15.0, 217.0, 5080.0)}
>>> _hw2_islands = {"Adelie": ["Torgersen", "Biscoe", "Dream"] * 5, "Chinstrap": ["Dream"] * 15, "Gentoo": ["Biscoe"] * 15}
>>> _hw2_many = pd.DataFrame([
...     {"species": s, "island": _hw2_islands[s][i],
...      "bill_length_mm": m[0] + _hw2_rng.normal(0, 1.5), "bill_depth_mm": m[1] + _hw2_rng.normal(0, 0.5),
...      "flipper_length_mm": m[2] + _hw2_rng.normal(0, 4.0), "body_mass_g": m[3] + _hw2_rng.normal(0, 200.0),
...      "sex": ["female", "male"][i % 2], "year": 2008}
...     for s, m in _hw2_means.items() for i in range(15)
... ])
>>> _hw2_X, _hw2_y = penguins.prepare_features(_hw2_many)
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")
...     _hw2_fitted = _hw2_clf.fit(_hw2_X, _hw2_y)
...     _hw2_pred = np.asarray(_hw2_clf.predict(_hw2_X))
>>> len(_hw2_pred), sorted(set(_hw2_pred.tolist()) - {"Adelie", "Chinstrap", "Gentoo"})  # one species name per row
(45, [])
>>> float(np.mean(_hw2_pred == _hw2_y.to_numpy())) >= 0.8  # training accuracy on well-separated species
True
""",
                },
            ],
        }
    ],
}
