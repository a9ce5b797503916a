"""hw2 part 1: bias and variance of tree models, on next-day temperature forecasting.

We predict tomorrow's mean temperature in Cleveland from the last five days in 24 cities, with three kinds of
tree model, and watch how the maximum depth trades bias against variance:

* a single decision tree: shallow trees underfit (high bias); deep trees memorise the training days (high
  variance), so their training error goes to zero while the validation error climbs back up;
* a random forest: averaging 100 deep trees fitted on bootstrap samples cancels much of their variance, so
  deeper is (almost) never worse;
* gradient boosting: each small tree corrects the errors of the ones before it, which removes bias, so
  shallow trees suffice and deep ones overfit.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike
from sklearn.base import RegressorMixin
from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
from sklearn.tree import DecisionTreeRegressor

if TYPE_CHECKING:
    from autograder.data import Splits

#: The model kinds :func:`make_model` knows.
KINDS = ("tree", "forest", "boosting")


def load_data() -> Splits:
    """Return the temperature data set: a ``Splits`` with ``train``, ``val`` and ``test`` parts.

    Each part has ``X`` (one row per day: the previous 5 days' mean temperatures of 24 cities, 120 columns,
    degrees F) and ``y`` (that day's mean temperature in Cleveland). ``feature_names`` names the columns.
    """
    from autograder.data import load_temperature_splits

    return load_temperature_splits()


def rmse(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Root-mean-squared error between two equally long sequences of numbers, as a Python float."""
    # BEGIN SOLUTION
    # STUB: trees.rmse: return the root-mean-squared error sqrt(mean((y_true - y_pred)**2)) as a Python float (convert
    # STUB: both inputs with np.asarray first).
    errors = np.asarray(y_true, dtype=np.float64) - np.asarray(y_pred, dtype=np.float64)
    return float(np.sqrt(np.mean(errors**2)))
    # END SOLUTION


def make_model(kind: str, depth: int, seed: int = 0) -> RegressorMixin:
    """Return an unfitted scikit-learn regressor of the given kind, with ``max_depth=depth``.

    Args:
        kind: ``"tree"`` (one DecisionTreeRegressor), ``"forest"`` (RandomForestRegressor with 100 trees) or
            ``"boosting"`` (GradientBoostingRegressor with its defaults: 100 trees, learning rate 0.1).
        depth: the maximum depth of every tree in the model.
        seed: ``random_state`` of the model, so that results are reproducible.

    Raises:
        ValueError: ``kind`` is not one of :data:`KINDS`.
    """
    if kind == "tree":
        return DecisionTreeRegressor(max_depth=depth, random_state=seed)
    if kind == "forest":
        return RandomForestRegressor(n_estimators=100, max_depth=depth, random_state=seed, n_jobs=-1)
    if kind == "boosting":
        return GradientBoostingRegressor(max_depth=depth, random_state=seed)
    raise ValueError(f"unknown model kind {kind!r}; expected one of {KINDS}")


def depth_sweep(
    kind: str,
    depths: Sequence[int],
    X_train: ArrayLike,
    y_train: ArrayLike,
    X_val: ArrayLike,
    y_val: ArrayLike,
    seed: int = 0,
) -> dict[str, list[float]]:
    """Fit one model of ``kind`` per maximum depth and measure its training and validation RMSE.

    Args:
        kind: a model kind accepted by :func:`make_model`.
        depths: the maximum depths to try, in order.
        X_train, y_train: the data every model is fitted on.
        X_val, y_val: the data the validation error is measured on.
        seed: passed to :func:`make_model`.

    Returns:
        ``{"train_rmse": [...], "val_rmse": [...]}``: two lists of Python floats, one entry per depth, in the
        order of ``depths``.
    """
    # BEGIN SOLUTION
    # STUB: trees.depth_sweep: for each depth in depths (in order), fit make_model(kind, depth, seed) on (X_train,
    # STUB: y_train), then append its rmse on the training data to result['train_rmse'] and its rmse on (X_val, y_val)
    # STUB: to result['val_rmse']; return {'train_rmse': [...], 'val_rmse': [...]} (lists of Python floats).
    result: dict[str, list[float]] = {"train_rmse": [], "val_rmse": []}
    for depth in depths:
        model = make_model(kind, depth, seed).fit(X_train, y_train)
        result["train_rmse"].append(rmse(y_train, model.predict(X_train)))
        result["val_rmse"].append(rmse(y_val, model.predict(X_val)))
    return result
    # END SOLUTION


def best_depths(sweeps: Mapping[str, Mapping[str, Sequence[float]]], depths: Sequence[int]) -> dict[str, int]:
    """Pick, for every model kind, the depth with the lowest validation RMSE.

    Args:
        sweeps: maps a model kind to the result of :func:`depth_sweep` for that kind.
        depths: the depths the sweeps were run over (the same list for every kind).

    Returns:
        ``{kind: best_depth}``, where ``best_depth`` is taken from ``depths``. On a tie the first (shallowest
        in a sweep over increasing depths) wins.
    """
    # BEGIN SOLUTION
    # STUB: trees.best_depths: for each kind in sweeps, find the index of the smallest value in sweeps[kind]['val_rmse']
    # STUB: (np.argmin) and return {kind: depths[that index]}.
    depths = list(depths)
    return {kind: depths[int(np.argmin(sweep["val_rmse"]))] for kind, sweep in sweeps.items()}
    # END SOLUTION


def plot_depth_errors(
    depths: Sequence[int], sweeps: Mapping[str, Mapping[str, Sequence[float]]], path: str | os.PathLike[str]
) -> None:
    """Plot training (dashed) and validation (solid) RMSE against depth for every model kind; save to ``path``.

    ``sweeps`` maps a model kind to a :func:`depth_sweep` result. The x axis is logarithmic (base 2). The figure
    is drawn without pyplot, so this works on machines without a display and leaves no figure open.
    """
    fig = Figure(figsize=(7, 4.5))
    ax = fig.subplots()
    for i, (kind, sweep) in enumerate(sweeps.items()):
        color = f"C{i}"
        ax.plot(depths, sweep["train_rmse"], linestyle="--", marker="o", color=color, label=f"{kind} (train)")
        ax.plot(depths, sweep["val_rmse"], linestyle="-", marker="o", color=color, label=f"{kind} (validation)")
    ax.set_xscale("log", base=2)
    ax.set_xticks(list(depths), [str(d) for d in depths])
    ax.set_xlabel("maximum depth")
    ax.set_ylabel("RMSE (degrees F)")
    ax.set_title("Next-day temperature in Cleveland: error vs. tree depth")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
