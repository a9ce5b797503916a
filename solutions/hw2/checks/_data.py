"""Judge-side data for the HW2 checks: the data sets the judge preloaded, and values derived from them.

The data sets (``profiles.<p>.data`` in ``course.yml``) are loaded and checksummed by the judge before the first
worker starts (:func:`autograder.data.registry.preload`); these helpers only read them with ``ctx.data``, so no
data file is read while submissions run. Held-out labels stay in the grader process, never sent to a worker.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from autograder.checks import Context
from autograder.data import PenguinTables, Splits


def temperature(ctx: Context) -> Splits:
    return ctx.data("temperature")


def mnist(ctx: Context) -> Splits:
    return ctx.data("mnist")


def image(ctx: Context) -> Splits:
    return ctx.data("image")


def penguins(ctx: Context) -> PenguinTables:
    return ctx.data("penguins")


def penguin_raw(ctx: Context) -> pd.DataFrame:
    """The raw penguin table (a fresh copy), missing values included."""
    return penguins(ctx).raw


def penguin_frames(ctx: Context) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Raw (train, held-out) penguin rows (fresh copies), missing values included."""
    tables = penguins(ctx)
    return tables.train, tables.held_out


def penguin_features(df: pd.DataFrame, columns: pd.Index | None = None) -> tuple[pd.DataFrame, pd.Series]:
    """The judge's own feature table (complete rows, one-hot island and sex), optionally aligned to
    ``columns`` so that held-out rows have exactly the training columns."""
    complete = df.dropna().drop(columns=["year"])
    X = pd.get_dummies(complete.drop(columns=["species"]), columns=["island", "sex"], dtype=float)
    if columns is not None:
        X = X.reindex(columns=columns, fill_value=0.0)
    return X.reset_index(drop=True), complete["species"].reset_index(drop=True)


def sweep_subset(ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    """A grader-chosen subset of the temperature training rows, small enough to sweep quickly."""
    train = temperature(ctx).train
    rows = np.sort(np.random.default_rng(ctx.seed).choice(len(train.y), ctx.param("sweep_train_rows"), replace=False))
    return train.X[rows], train.y[rows]
