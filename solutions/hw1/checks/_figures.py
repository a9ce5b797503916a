"""Per-epoch curves the hw1 checks show with their result (loss and error histories the student's code returned).

Built from values the check already received (declared by ``returns=``, so plain floats, maybe NaN or infinite:
those are drawn as gaps) or the judge computed from the training rows; never from held-out data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from autograder.checks import Curve, Lines

DECADES = 1.0  # a log scale once the positive values span at least this many orders of magnitude


def spans_decades(values: Sequence[float] | np.ndarray, decades: float = DECADES) -> bool:
    """Whether the finite values are all positive and the largest is at least ``10**decades`` times the smallest."""
    array = np.asarray(values, dtype=float).reshape(-1)
    array = array[np.isfinite(array)]
    if array.size == 0 or np.any(array <= 0):
        return False
    return bool(np.log10(array.max() / array.min()) >= decades)


def per_epoch(title: str, histories: Mapping[str, Sequence[float]], *, ylabel: str, caption: str = "",
              levels: Mapping[str, float] | None = None) -> Lines:
    """``histories`` (label: one value per epoch, epoch 1 first) as curves against the epoch, with ``levels``
    (label: a value) drawn as dashed reference lines across them; log scale if the values span orders of magnitude.
    """
    curves = [Curve(label, np.arange(1, len(values) + 1), np.asarray(values, dtype=float))
              for label, values in histories.items()]
    last = max((len(values) for values in histories.values()), default=1)
    curves += [Curve(label, [1, max(last, 2)], [value, value], reference=True)
               for label, value in (levels or {}).items()]
    every = np.concatenate([np.asarray(curve.y, dtype=float).reshape(-1) for curve in curves] or [np.zeros(0)])
    return Lines(title, curves, xlabel="epoch", ylabel=ylabel, log_y=spans_decades(every), caption=caption)
