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
    # BEGIN SOLUTION
    # STUB: penguins.prepare_features: drop the rows with any missing value (df.dropna()) and the 'year' column, one-hot
    # STUB: encode with pd.get_dummies(..., columns=['island', 'sex'], dtype=float), and return (X = every column but
    # STUB: 'species', y = the 'species' column).
    df = df.dropna().drop(columns=["year"])
    X = pd.get_dummies(df.drop(columns=["species"]), columns=["island", "sex"], dtype=float)
    return X, df["species"]
    # END SOLUTION


def is_gentoo(X: pd.DataFrame) -> np.ndarray:
    """Say for every row of ``X`` (from :func:`prepare_features`) whether the penguin is a Gentoo.

    A hand-copied depth-2 decision tree, no fitted model: Gentoos have long flippers and shallow bills.
    Returns a numpy bool array with one entry per row.
    """
    # BEGIN SOLUTION
    # STUB: penguins.is_gentoo: in a notebook, fit DecisionTreeClassifier(max_depth=2, random_state=0) on X, y =
    # STUB: prepare_features(load_data()) with target (y == 'Gentoo') and print it with sklearn.tree.export_text; then
    # STUB: hard-code its thresholds here as comparisons on columns of X such as X['flipper_length_mm'] and
    # STUB: X['bill_depth_mm'] (np.where helps; no fitted model) and return a numpy bool array.
    # Read off DecisionTreeClassifier(max_depth=2, random_state=0) fitted on all 333 complete rows of
    # prepare_features(load_data()) with target species == "Gentoo" (sklearn.tree.export_text shows it):
    #   flipper_length_mm >  206.5: Gentoo iff bill_depth_mm <= 17.65  (118 Gentoo, 7 others)
    #   flipper_length_mm <= 206.5: Gentoo iff bill_depth_mm <= 14.95  (1 Gentoo, 207 others)
    # It classifies every one of those rows correctly.
    long_flippers = X["flipper_length_mm"].to_numpy() > 206.5
    bill_depth = X["bill_depth_mm"].to_numpy()
    return np.where(long_flippers, bill_depth <= 17.65, bill_depth <= 14.95)
    # END SOLUTION


def is_gentoo_without_flipper(X: pd.DataFrame) -> np.ndarray:
    """Like :func:`is_gentoo`, but never looks at ``flipper_length_mm`` (``X`` may lack that column).

    Returns a numpy bool array with one entry per row.
    """
    # BEGIN SOLUTION
    # STUB: penguins.is_gentoo_without_flipper: as for is_gentoo, fit a depth-2 tree on the features without the
    # STUB: 'flipper_length_mm' column, read off its thresholds (e.g. on bill_depth_mm and body_mass_g) and hard-code
    # STUB: them here; never read X['flipper_length_mm']. Return a numpy bool array.
    # The same kind of tree, fitted without the flipper column: Gentoos have shallow bills and are heavy.
    #   bill_depth_mm <= 16.45: Gentoo iff body_mass_g > 3750  (111 Gentoo, 7 others)
    #   bill_depth_mm >  16.45: Gentoo iff body_mass_g > 5025  (8 Gentoo, 207 others)
    # It also classifies all 333 complete rows correctly.
    shallow_bill = X["bill_depth_mm"].to_numpy() <= 16.45
    body_mass = X["body_mass_g"].to_numpy()
    return np.where(shallow_bill, body_mass > 3750, body_mass > 5025)
    # END SOLUTION


def make_classifier() -> BaseEstimator:
    """Return an unfitted scikit-learn classifier for the three species, to fit on :func:`prepare_features`.

    Standardising the features and fitting a multinomial logistic regression is enough: the species are
    almost linearly separable in these measurements (about 99% 5-fold cross-validated accuracy).
    """
    # BEGIN SOLUTION
    # STUB: penguins.make_classifier: compare a few scikit-learn classifiers with 5-fold cross_val_score on
    # STUB: prepare_features(load_data()) and return the best one unfitted (for instance make_pipeline(StandardScaler(),
    # STUB: LogisticRegression(max_iter=1000))).
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    # END SOLUTION
