"""Judge-side helpers of the HW2 checks: values the judge derives from the data sets it preloaded.

The data sets (``tasks.<t>.data`` and ``profiles.<p>.data`` in ``course.yml``) are loaded and checksummed by the
judge before the first worker starts (:func:`autograder.data.registry.preload`); checks read them with
``ctx.data(name)`` and these helpers only transform what they are given, so no data file is read while
submissions run. Held-out labels stay in the grader process, never sent to a worker.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from autograder.checks import Context
from autograder.data import Splits


def penguin_features(df: pd.DataFrame, columns: pd.Index | None = None) -> tuple[pd.DataFrame, pd.Series]:
    """The judge's own feature table (complete rows, one-hot island and sex), optionally aligned to
    ``columns`` so that held-out rows have exactly the training columns."""
    complete = df.dropna().drop(columns=["year"])
    X = pd.get_dummies(complete.drop(columns=["species"]), columns=["island", "sex"], dtype=float)
    if columns is not None:
        X = X.reindex(columns=columns, fill_value=0.0)
    return X.reset_index(drop=True), complete["species"].reset_index(drop=True)


def sweep_subset(ctx: Context, data: Splits) -> tuple[np.ndarray, np.ndarray]:
    """A grader-chosen subset of the training rows of ``data`` (``params.sweep_train_rows`` of them), small enough to
    sweep quickly."""
    train = data.train
    rows = np.sort(np.random.default_rng(ctx.seed).choice(len(train.y), ctx.param("sweep_train_rows"), replace=False))
    return train.X[rows], train.y[rows]
