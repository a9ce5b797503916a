"""Hidden checks for ``trees.py``: RMSE, depth sweeps against scikit-learn, choosing depths."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autograder.checks import Context, Curve, Lines, StudentError, check

from . import _data

KINDS = ("tree", "forest", "boosting")


@check("trees", "rmse", "rmse agrees with NumPy on random vectors")
def rmse(ctx: Context) -> None:
    for n in (1, 7, 500):
        y_true, y_pred = ctx.rng.normal(60.0, 15.0, size=(2, n))
        got = ctx.call("trees.rmse", y_true, y_pred, returns=float)
        ctx.expect_close(got, np.sqrt(np.mean((y_true - y_pred) ** 2)), what=f"rmse on {n} values")


def _reference_sweep(kind: str, depths: list[int], seed: int, X: np.ndarray, y: np.ndarray,
                     X_val: np.ndarray, y_val: np.ndarray) -> dict[str, list[float]]:
    """The judge's own sweep with scikit-learn, the models configured as the given ``make_model``."""
    from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
    from sklearn.tree import DecisionTreeRegressor

    models = {"tree": DecisionTreeRegressor, "forest": RandomForestRegressor, "boosting": GradientBoostingRegressor}
    result: dict[str, list[float]] = {"train_rmse": [], "val_rmse": []}
    for depth in depths:
        extra = {"n_estimators": 100} if kind == "forest" else {}
        model = models[kind](max_depth=depth, random_state=seed, **extra).fit(X, y)
        for split, (Xs, ys) in (("train_rmse", (X, y)), ("val_rmse", (X_val, y_val))):
            result[split].append(float(np.sqrt(np.mean((model.predict(Xs) - ys) ** 2))))
    return result


def _sweep_figure(kind: str, depths: list[int], got: Any, want: dict[str, list[float]]) -> Lines:
    """The student's training and validation RMSE against depth (each where it is a series of the right length),
    over the judge's own curves."""
    curves = []
    for key, name in (("train_rmse", "training"), ("val_rmse", "validation")):
        try:
            values = np.asarray(got[key], dtype=float) if isinstance(got, dict) and key in got else None
        except (TypeError, ValueError):
            values = None
        if values is not None and values.shape == (len(depths),):
            curves.append(Curve(f"your {name} RMSE", depths, values))
        curves.append(Curve(f"reference {name} RMSE", depths, want[key], reference=True))
    return Lines(f"{kind}: RMSE against depth", curves, xlabel="max_depth", ylabel="RMSE (degrees F)",
                 caption="Dashed grey: the grader's own sweep with scikit-learn on the same rows.")


def _depth_sweep_check(kind: str) -> Callable[[Context], None]:
    @check("trees", f"depth_sweep_{kind}", f"depth_sweep('{kind}', ...) matches scikit-learn on a grader-chosen subset",
           params=("sweep_train_rows", "sweep_depths", "sweep_atol"))
    def run(ctx: Context) -> None:
        data = ctx.data("temperature")
        X, y = _data.sweep_subset(ctx, data)
        val = data.val
        depths = [int(d) for d in ctx.param("sweep_depths")]
        got = ctx.call("trees.depth_sweep", kind, depths, X, y, val.X, val.y, seed=ctx.seed)
        want = ctx.reference(f"trees/sweep/{kind}",
                             lambda: _reference_sweep(kind, depths, ctx.seed, X, y, val.X, val.y))
        ctx.figure(_sweep_figure(kind, depths, got, want))
        ctx.expect_type(got, dict, "depth_sweep(...)")
        atol = float(ctx.param("sweep_atol"))
        for key in ("train_rmse", "val_rmse"):
            ctx.expect(key in got, f"depth_sweep(...) has no {key!r} entry (keys: {sorted(got)})")
            ctx.expect_close(got[key], want[key], what=f"{key} at depths {depths}", rtol=0.0, atol=atol)
        ctx.note("val RMSE by depth: "
                 + ", ".join(f"{d}: {v:.2f}" for d, v in zip(depths, want["val_rmse"], strict=True)))

    return run


depth_sweep_tree = _depth_sweep_check("tree")
depth_sweep_forest = _depth_sweep_check("forest")
depth_sweep_boosting = _depth_sweep_check("boosting")


@check("trees", "best_depths", "best_depths picks the depth with the lowest validation RMSE",
       params=("sweep_train_rows",))
def best_depths(ctx: Context) -> None:
    depths = [2, 4, 8, 16, 32]
    sweeps = {kind: {"train_rmse": sorted(ctx.rng.uniform(1, 6, 5).tolist(), reverse=True),
                     "val_rmse": ctx.rng.uniform(4, 8, 5).tolist()} for kind in KINDS}
    got = ctx.call("trees.best_depths", sweeps, depths)
    want = {kind: depths[int(np.argmin(s["val_rmse"]))] for kind, s in sweeps.items()}
    ctx.expect_type(got, dict, "best_depths(...)")
    ctx.expect(got == want, f"best_depths on a made-up sweep returned {got}, expected {want}")

    # Consistency with the student's own sweep (skipped if their depth_sweep does not run).
    data = ctx.data("temperature")
    X, y = _data.sweep_subset(ctx, data)
    val = data.val
    small = [1, 2, 4]
    try:
        own = ctx.call("trees.depth_sweep", "tree", small, X, y, val.X, val.y, seed=ctx.seed)
    except StudentError as exc:
        ctx.note(f"not compared with your own sweep: depth_sweep raised {exc}")
        return
    choice = ctx.call("trees.best_depths", {"tree": own}, small)
    expected = small[int(np.argmin(own["val_rmse"]))]
    ctx.expect(choice == {"tree": expected},
               f"best_depths on your own tree sweep returned {choice}, expected {{'tree': {expected}}}")
