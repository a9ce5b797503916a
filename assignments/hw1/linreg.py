"""hw1 part 2: linear regression by gradient descent, on tomorrow's temperature in Cleveland.

The data is HW2's: one row per day, the mean temperatures of 24 US cities over the previous 5 days (120
columns, degrees F), and the target is the next day's mean temperature in Cleveland. A linear model predicts
``X @ w + b`` and we want the ``w, b`` with the smallest mean squared error (MSE) on the training days.

That problem has a closed-form answer (least squares, ``np.linalg.lstsq``), which makes it the perfect place to
check that gradient descent works: it should get (almost) the same validation error. Two lessons on the way:

* *mini-batch SGD*: each step uses the gradient on a small random batch of rows, a noisy but cheap estimate of
  the full gradient; one *epoch* is one pass over the shuffled training rows;
* *standardising* the features (subtracting each column's mean and dividing by its standard deviation) before
  descending. Raw temperatures are around 50 with 120 correlated columns, so the loss is a long, narrow valley
  whose steepest direction is thousands of times steeper than its flattest: any learning rate small enough not
  to diverge crawls along the valley floor. On standardised features one learning rate suits every direction
  far better. The fitted weights are converted back so that they act on the raw features.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    from autograder.data import Splits


def load_data() -> Splits:
    """Return the temperature data set: a ``Splits`` with ``train``, ``val`` and ``test`` parts.

    Each part has ``X`` (one row per day: the previous 5 days' mean temperatures of 24 cities, 120 columns,
    degrees F) and ``y`` (that day's mean temperature in Cleveland). ``feature_names`` names the columns.
    """
    from autograder.data import load_temperature_splits

    return load_temperature_splits()


def rmse(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Root-mean-squared error between two equally long sequences of numbers, as a Python float."""
    errors = np.asarray(y_true, dtype=np.float64) - np.asarray(y_pred, dtype=np.float64)
    return float(np.sqrt(np.mean(errors**2)))


def mse_loss_and_grads(w: ArrayLike, b: float, X: ArrayLike, y: ArrayLike) -> tuple[float, np.ndarray, float]:
    """The mean squared error of the linear model ``X @ w + b`` on ``(X, y)``, and its gradients.

    Args:
        w: weights, shape ``(d,)``.
        b: the bias (intercept), a number.
        X: inputs, shape ``(n, d)``.
        y: targets, shape ``(n,)``.

    Returns:
        ``(loss, dw, db)``: ``loss = mean((X @ w + b - y) ** 2)`` as a Python float, its gradient with respect
        to ``w`` (a float64 array of shape ``(d,)``) and with respect to ``b`` (a Python float).
    """
    raise NotImplementedError(
        "linreg.mse_loss_and_grads: compute the residuals X @ w + b - y, then the MSE and its gradients "
        "(chain rule: d(r**2) = 2 r dr)"
    )


def fit_linear_gd(
    X: ArrayLike, y: ArrayLike, *, lr: float, epochs: int, batch_size: int, seed: int = 0
) -> tuple[np.ndarray, float, list[float]]:
    """Fit a linear model to ``(X, y)`` with mini-batch stochastic gradient descent on the MSE.

    The features are standardised inside this function (each column to mean 0 and standard deviation 1, a
    constant column left as it is); descent starts from ``w = 0, b = 0`` in that space. The weights returned act
    on the *raw* features: ``X @ w + b`` predicts ``y``.

    Args:
        X: training inputs, shape ``(n, d)``.
        y: training targets, shape ``(n,)``.
        lr: learning rate.
        epochs: number of passes over the training rows, each in a new random order.
        batch_size: rows per gradient step (the last batch of an epoch may be smaller).
        seed: seeds ``np.random.default_rng``, which shuffles the rows.

    Returns:
        ``(w, b, history)``: ``w`` a float64 array of shape ``(d,)``, ``b`` a Python float, and ``history`` the
        training RMSE of the model after each epoch (a list of ``epochs`` Python floats).
    """
    raise NotImplementedError(
        "linreg.fit_linear_gd: standardise X, run mini-batch SGD with mse_loss_and_grads, record the training "
        "RMSE after every epoch, and convert w, b back so that they act on the raw features"
    )
