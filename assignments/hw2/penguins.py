"""hw2 part 3: classifying Palmer penguins (Adelie, Chinstrap, Gentoo) from measurements.

Two lessons: a shallow decision tree is a model a person can read, so its rule can be copied out and used
without any fitted model at all; and on a small, clean data set with informative features, a scaled linear
model is already about as good as it gets.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def load_data() -> pd.DataFrame:
    """Return the raw Palmer penguins table (344 rows; some values missing).

    Columns: species, island, bill_length_mm, bill_depth_mm, flipper_length_mm, body_mass_g, sex, year.
    """
    from autograder.data import load_penguins

    return load_penguins()


def prepare_features(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Turn the raw table (or any subset of its rows) into numeric features ``X`` and labels ``y``.

    Drops every row with a missing value, drops the ``year`` column, and one-hot encodes ``island`` and ``sex``
    (one float column per category present in ``df``, named like ``island_Biscoe`` and ``sex_male``). The
    numeric measurements are kept as they are. ``y`` is the ``species`` column; ``X`` and ``y`` keep the row
    index of ``df``.
    """
    raise NotImplementedError(
        "penguins.prepare_features: drop the rows with any missing value (df.dropna()) and the 'year' column, "
        "one-hot encode with pd.get_dummies(..., columns=['island', 'sex'], dtype=float), and return (X = "
        "every column but 'species', y = the 'species' column)."
    )


def is_gentoo(X: pd.DataFrame) -> np.ndarray:
    """Say for every row of ``X`` (from :func:`prepare_features`) whether the penguin is a Gentoo.

    A hand-copied depth-2 decision tree, no fitted model: Gentoos have long flippers and shallow bills.
    Returns a numpy bool array with one entry per row.
    """
    raise NotImplementedError(
        "penguins.is_gentoo: in a notebook, fit DecisionTreeClassifier(max_depth=2, random_state=0) on X, y = "
        "prepare_features(load_data()) with target (y == 'Gentoo') and print it with "
        "sklearn.tree.export_text; then hard-code its thresholds here as comparisons on columns of X such as "
        "X['flipper_length_mm'] and X['bill_depth_mm'] (np.where helps; no fitted model) and return a numpy "
        "bool array."
    )


def is_gentoo_without_flipper(X: pd.DataFrame) -> np.ndarray:
    """Like :func:`is_gentoo`, but never looks at ``flipper_length_mm`` (``X`` may lack that column).

    Returns a numpy bool array with one entry per row.
    """
    raise NotImplementedError(
        "penguins.is_gentoo_without_flipper: as for is_gentoo, fit a depth-2 tree on the features without the "
        "'flipper_length_mm' column, read off its thresholds (e.g. on bill_depth_mm and body_mass_g) and "
        "hard-code them here; never read X['flipper_length_mm']. Return a numpy bool array."
    )


def make_classifier() -> BaseEstimator:
    """Return an unfitted scikit-learn classifier for the three species, to fit on :func:`prepare_features`.

    Standardising the features and fitting a multinomial logistic regression is enough: the species are
    almost linearly separable in these measurements (about 99% 5-fold cross-validated accuracy).
    """
    raise NotImplementedError(
        "penguins.make_classifier: compare a few scikit-learn classifiers with 5-fold cross_val_score on "
        "prepare_features(load_data()) and return the best one unfitted (for instance "
        "make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)))."
    )
