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


def full_image(data: Splits) -> tuple[np.ndarray, np.ndarray]:
    """Every pixel's coordinates in row-major order (as :func:`~autograder.data.pixel_coords`) and the whole image
    ``(H, W, C)``, put back together from the training and held-out pixels of an image data set."""
    X, y = np.concatenate([data.train.X, data.test.X]), np.concatenate([data.train.y, data.test.y])
    height, width = (len(np.unique(X[:, axis])) for axis in (0, 1))
    rows, cols = (np.rint(X[:, axis] * max(size - 1, 1)).astype(int) for axis, size in ((0, height), (1, width)))
    image = np.zeros((height, width, y.shape[1]), dtype=np.float32)
    image[rows, cols] = y
    return X[np.lexsort((X[:, 1], X[:, 0]))], image  # sorted by row, then column: row-major
