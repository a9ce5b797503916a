"""Plain containers for a data set cut into train / validation / held-out test parts.

Every loader in :mod:`autograder.data` that produces arrays returns a :class:`Splits`, so starter code,
reference solutions and the grader all index data the same way::

    splits = load_temperature_splits()
    model.fit(splits.train.X, splits.train.y)
    val_rmse = rmse(model.predict(splits.val.X), splits.val.y)

The *test* part is held out: students tune on ``val`` and the grader scores on ``test``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Split", "Splits"]


@dataclass(frozen=True)
class Split:
    """One part of a data set: inputs ``X`` (one row per example) and targets ``y`` (same number of rows)."""

    X: np.ndarray
    y: np.ndarray

    def __post_init__(self) -> None:
        if len(self.X) != len(self.y):
            raise ValueError(f"X has {len(self.X)} rows but y has {len(self.y)}")

    def __len__(self) -> int:
        return len(self.y)


@dataclass(frozen=True)
class Splits:
    """A data set split three ways.

    Attributes:
        train: what models are fitted on.
        val: what hyper-parameters are chosen on; ``None`` when the data set has no validation part.
        test: the held-out part, used only for the final score.
        feature_names: names of the columns of ``X`` (empty when columns are unnamed, e.g. MNIST pixels).
    """

    train: Split
    val: Split | None
    test: Split
    feature_names: tuple[str, ...] = ()
