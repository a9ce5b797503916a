"""Judge-side data for the HW2 checks, loaded once per grading run with the profile's settings.

Held-out labels are read here, in the grader process, and never sent to a worker.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from autograder.checks import Context
from autograder.data import Splits, image_splits, load_image, load_mnist, load_penguins, load_temperature_splits, penguin_split


def temperature(ctx: Context) -> Splits:
    return ctx.memo("temperature", lambda: load_temperature_splits(**ctx.data_settings("temperature")))


def mnist(ctx: Context) -> Splits:
    return ctx.memo("mnist", lambda: load_mnist(**ctx.data_settings("mnist")))


def image(ctx: Context) -> Splits:
    settings = ctx.data_settings("image")
    return ctx.memo("image", lambda: image_splits(load_image(**settings)))


def penguin_frames(ctx: Context) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Raw (train, held-out) penguin rows, missing values included."""
    return ctx.memo("penguins", lambda: penguin_split(load_penguins(), **ctx.data_settings("penguins")))


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
