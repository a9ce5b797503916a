"""Hidden checks for ``linreg.py``: the MSE gradients, and SGD against the closed-form least-squares fit.

The data is the registry's ``temperature`` set (``profiles.<p>.data.temperature``), HW2's data and split. The
worker gets the training rows only; the judge fits least squares itself and scores both fits on the validation
rows.
"""

from __future__ import annotations

import numpy as np

from autograder.checks import Array, Context, ListOf, check

from ._figures import per_epoch


def _rmse(y: np.ndarray, predicted: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(predicted, dtype=np.float64) - y) ** 2)))


def _reference_mse(w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray, float]:
    residuals = X @ w + b - y
    return float(np.mean(residuals**2)), 2.0 * X.T @ residuals / len(y), float(2.0 * np.mean(residuals))


@check("linreg", "gradients", "mse_loss_and_grads: the loss and both gradients, on random and real data")
def gradients(ctx: Context) -> None:
    train = ctx.data("temperature").train
    cases = [(ctx.rng.normal(size=(n, d)), ctx.rng.normal(size=n) * 3) for n, d in ((1, 1), (7, 3), (40, 12))]
    cases.append((train.X[:50].astype(np.float64), train.y[:50].astype(np.float64)))  # real rows: features ~50 F
    for X, y in cases:
        n, d = X.shape
        w, b = ctx.rng.normal(size=d) * 0.1, float(ctx.rng.normal())
        loss, dw, db = ctx.call("linreg.mse_loss_and_grads", w, b, X, y, returns=(float, Array((d,), kinds="f"), float))
        want_loss, want_dw, want_db = _reference_mse(w, b, X, y)
        what = f"on {n} rows x {d} features"
        ctx.expect_close(loss, want_loss, what=f"the loss {what}", rtol=1e-9)
        ctx.expect_close(dw, want_dw, what=f"dw {what}", rtol=1e-8, atol=1e-10)
        ctx.expect_close(db, want_db, what=f"db {what}", rtol=1e-8, atol=1e-10)


def _least_squares(ctx: Context) -> dict[str, float]:
    """The judge's closed-form fit on the training rows, scored on the validation rows."""
    data = ctx.data("temperature")
    A = np.c_[data.train.X, np.ones(len(data.train.y))].astype(np.float64)
    coef = np.linalg.lstsq(A, data.train.y.astype(np.float64), rcond=None)[0]
    return {"train_rmse": _rmse(data.train.y, A @ coef),
            "val_rmse": _rmse(data.val.y, data.val.X.astype(np.float64) @ coef[:-1] + coef[-1])}


@check("linreg", "fit", "fit_linear_gd: mini-batch SGD gets close to least squares on the validation days",
       params=("linreg_lr", "linreg_epochs", "linreg_batch_size"), thresholds=("linreg_val_rmse_gap",))
def fit(ctx: Context) -> None:
    data = ctx.data("temperature")
    d = data.train.X.shape[1]
    epochs = int(ctx.param("linreg_epochs"))
    w, b, history = ctx.call(
        "linreg.fit_linear_gd", data.train.X, data.train.y, lr=float(ctx.param("linreg_lr")), epochs=epochs,
        batch_size=int(ctx.param("linreg_batch_size")), seed=ctx.seed,
        returns=(Array((d,), kinds="f"), float, ListOf(float, epochs)))
    reference = ctx.memo("linreg/least_squares", lambda: _least_squares(ctx))
    ctx.figure(per_epoch("Training RMSE after each epoch", {"your fit_linear_gd": history}, ylabel="RMSE (degrees F)",
                         levels={"least squares (the lowest possible)": reference["train_rmse"]},
                         caption="The history your fit_linear_gd returned, against the closed-form least-squares "
                                 "fit's RMSE on the same training rows, which SGD should approach."))
    ctx.expect(bool(np.all(np.isfinite(w))) and np.isfinite(b),
               "the fitted w or b is not finite: did descent diverge? (standardise the features inside fit_linear_gd)")
    ctx.expect(all(np.isfinite(history)), f"the training RMSE history has non-finite values: {history[:5]} ...")
    ctx.expect(history[-1] < history[0], f"the training RMSE did not fall: {history[0]:.3f} after the first epoch, "
               f"{history[-1]:.3f} after the last")
    # The history must describe the returned model, which must act on the raw features.
    train_rmse = _rmse(data.train.y, data.train.X.astype(np.float64) @ w + b)
    ctx.expect(abs(history[-1] - train_rmse) <= 1e-3 * train_rmse + 1e-6,
               f"the last training RMSE in the history ({history[-1]:.4f}) is not that of the returned w, b on the raw "
               f"training features ({train_rmse:.4f}): do w, b act on the raw (unstandardised) features?")
    val_rmse = _rmse(data.val.y, data.val.X.astype(np.float64) @ w + b)
    ctx.note(f"validation RMSE {val_rmse:.3f} F; least squares: {reference['val_rmse']:.3f} F")
    ctx.expect_threshold("linreg_val_rmse_gap", val_rmse - reference["val_rmse"],
                         "validation RMSE above that of least squares")
