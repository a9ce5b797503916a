# Public checks for hw1 part 2 (linreg.py). Run them from the assignment folder with
#     otter check linreg.py -q linreg
# or, in the notebook, with grader.check("linreg"). They use a few made-up rows (no temperature download) and are
# quick hints, not your grade: the hidden grader fits the real temperature data and compares with least squares.
#
# Each case imports linreg.py afresh from disk, so it always checks the file as you last saved it. A case stops at
# its first failed assertion, whose message says what was expected.
import importlib
import math

import numpy as np
from otter.test_files import test_case

OK_FORMAT = False

name = "linreg"


def _central_differences(f, x, eps=1e-6):
    """The gradient of the scalar function f at the float64 array x, by central differences (our own)."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        up = f(x)
        x[i] = old - eps
        down = f(x)
        x[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad


@test_case(
    name="linreg: mse_loss_and_grads",
    points=1,
    hidden=False,
    failure_message=(
        "mse_loss_and_grads(w, b, X, y) must return (loss, dw, db): loss = mean((X @ w + b - y) ** 2) as a float, "
        "dw its gradient with respect to w (a float64 array of shape (d,)) and db with respect to b (a float)."
    ),
)
def test_mse_loss_and_grads() -> None:
    linreg = importlib.reload(importlib.import_module("linreg"))  # always test the file as it is on disk now
    # One row, by hand: prediction 1*2 + 2*(-1) + 0.5 = 0.5, target 2.5, residual -2: loss 4, dw = 2 r x, db = 2 r.
    loss, dw, db = linreg.mse_loss_and_grads(np.array([2.0, -1.0]), 0.5, np.array([[1.0, 2.0]]), np.array([2.5]))
    assert isinstance(loss, float), f"the loss must be a Python float, got a {type(loss).__name__}"
    assert math.isclose(loss, 4.0), f"one row with residual -2 has loss 4.0, got {loss!r}"
    assert isinstance(dw, np.ndarray) and dw.shape == (2,), (
        f"dw must be a numpy array of shape (2,) for 2 features, got {type(dw).__name__} of shape {np.shape(dw)}")
    assert np.allclose(dw, [-4.0, -8.0]), (
        f"for one row x = [1, 2] with residual (prediction - target) = -2, dw = 2 * residual * x = [-4, -8], "
        f"got {np.asarray(dw).tolist()}")
    assert isinstance(db, float), f"db must be a Python float, got a {type(db).__name__}"
    assert math.isclose(db, -4.0), f"db = 2 * residual = -4 for that row, got {db!r}"
    # A few random rows: the mean over the rows, checked against central differences of the loss.
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(7, 3)), rng.normal(size=7)
    w, b = rng.normal(size=3), 0.3
    loss, dw, db = linreg.mse_loss_and_grads(w, b, X, y)
    expected = float(np.mean((X @ w + b - y) ** 2))
    assert math.isclose(loss, expected, rel_tol=1e-9), f"the loss on 7 rows should be {expected:.6f}, got {loss!r}"
    want_dw = _central_differences(lambda v: float(np.mean((X @ v + b - y) ** 2)), w)
    assert np.allclose(dw, want_dw, rtol=1e-5, atol=1e-7), (
        f"dw on 7 rows should be {np.round(want_dw, 5).tolist()} (central differences), got "
        f"{np.round(np.asarray(dw), 5).tolist()}: the mean over the rows, 2 / n * X.T @ residuals")
    want_db = float(np.mean(2 * (X @ w + b - y)))
    assert math.isclose(db, want_db, rel_tol=1e-6, abs_tol=1e-9), f"db on 7 rows should be {want_db:.6f}, got {db!r}"


@test_case(
    name="linreg: fit_linear_gd",
    points=1,
    hidden=False,
    failure_message=(
        "fit_linear_gd(X, y, *, lr, epochs, batch_size, seed=0) must standardise X inside, run mini-batch SGD from "
        "w = 0, b = 0, and return (w, b, history): w and b acting on the raw features (X @ w + b predicts y) and "
        "history, the training RMSE after each epoch (one float per epoch)."
    ),
)
def test_fit_linear_gd() -> None:
    linreg = importlib.reload(importlib.import_module("linreg"))
    # An exactly linear problem on raw features far from 0 (about 50 +- 10, like temperatures), with a constant
    # column: y = 2 x0 - x1 + 0.5 x2 + 3.
    rng = np.random.default_rng(0)
    X = np.hstack([50 + 10 * rng.normal(size=(200, 3)), np.full((200, 1), 7.0)])
    y = X @ np.array([2.0, -1.0, 0.5, 0.0]) + 3.0
    w, b, history = linreg.fit_linear_gd(X, y, lr=0.05, epochs=30, batch_size=16)
    assert isinstance(w, np.ndarray) and w.shape == (4,), (
        f"w must be a numpy array of shape (4,) for 4 features, got {type(w).__name__} of shape {np.shape(w)}")
    assert isinstance(b, float), f"b must be a Python float, got a {type(b).__name__}"
    assert isinstance(history, list) and len(history) == 30, (
        f"history must be a list with one training RMSE per epoch (30), got {type(history).__name__} "
        f"of length {len(history) if hasattr(history, '__len__') else '?'}")
    assert all(isinstance(v, float) and math.isfinite(v) for v in history), (
        f"every history entry must be a finite Python float, got {history[:3]!r} ... (a constant column must not "
        "be divided by its zero standard deviation)")
    assert np.all(np.isfinite(w)) and math.isfinite(b), f"w and b must be finite, got w = {w}, b = {b}"
    assert history[-1] < 0.01 * history[0], (
        f"the training RMSE should fall far (first epoch {history[0]:.3g}, last {history[-1]:.3g})")
    assert np.allclose(w, [2.0, -1.0, 0.5, 0.0], atol=1e-3), (
        f"on y = 2 x0 - x1 + 0.5 x2 + 3, w should be close to [2, -1, 0.5, 0] on the raw features, got "
        f"{np.round(w, 4).tolist()} (convert the standardised weights back: divide by the columns' std)")
    assert abs(b - 3.0) < 0.05, (
        f"on y = 2 x0 - x1 + 0.5 x2 + 3, b should be close to 3 on the raw features, got {b:.4f} "
        "(convert back: b_raw = b - (w / std) . mean)")
    rmse = float(np.sqrt(np.mean((X @ w + b - y) ** 2)))
    assert math.isclose(rmse, history[-1], rel_tol=1e-3, abs_tol=1e-6), (
        f"history[-1] should be the training RMSE of the returned model ({rmse:.4g}), got {history[-1]:.4g}")
    # The seed chooses the order of the rows: the same seed gives the same history.
    again = linreg.fit_linear_gd(X, y, lr=0.05, epochs=3, batch_size=16, seed=1)[2]
    assert again == linreg.fit_linear_gd(X, y, lr=0.05, epochs=3, batch_size=16, seed=1)[2], (
        "two fits with the same seed must give the same history: shuffle with np.random.default_rng(seed)")
