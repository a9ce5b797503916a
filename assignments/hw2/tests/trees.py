# Public checks for hw2 part 1 (trees.py). Run them from the assignment folder with
#     otter check trees.py -q trees
# or, in the notebook, with grader.check("trees"). They are quick hints on tiny made-up data, not your grade:
# the hidden grader runs other, stricter checks on held-out data.
#
# Each case imports trees.py afresh from disk, so it always checks the file as you last saved it. A case stops at
# its first failed assertion, whose message says what was expected.
import importlib
import math

import numpy as np
from otter.test_files import test_case

OK_FORMAT = False

name = "trees"


@test_case(
    name="trees: rmse",
    points=1,
    hidden=False,
    failure_message="rmse(y_true, y_pred) must return the root of the mean squared difference, as a float.",
)
def test_rmse() -> None:
    trees = importlib.reload(importlib.import_module("trees"))  # always test the file as it is on disk now
    r = trees.rmse([0, 0], [3, 4])
    assert isinstance(r, float), f"rmse returned a {type(r).__name__}, not a float"
    assert round(r, 6) == 3.535534, f"rmse([0, 0], [3, 4]) = {r!r}; expected sqrt((9 + 16) / 2) = 3.535534"
    same = np.array([1.0, 2.0, 3.0])
    assert round(trees.rmse(same, same.copy()), 6) == 0.0, "the RMSE of a perfect prediction is 0"
    r = trees.rmse(np.array([2.0, -1.0, 0.5, 4.0]), np.array([1.0, 1.0, 0.5, 2.0]))
    assert round(r, 6) == 1.5, f"rmse([2, -1, 0.5, 4], [1, 1, 0.5, 2]) = {r!r}; expected sqrt(9 / 4) = 1.5"


@test_case(
    name="trees: depth_sweep",
    points=1,
    hidden=False,
    failure_message=(
        "depth_sweep must fit make_model(kind, depth, seed) once per depth and return "
        "{'train_rmse': [...], 'val_rmse': [...]}, one float per depth, in the order of depths."
    ),
)
def test_depth_sweep() -> None:
    trees = importlib.reload(importlib.import_module("trees"))
    rng = np.random.default_rng(0)
    X = rng.uniform(-3, 3, size=(80, 2))
    y = np.sin(X[:, 0]) + 0.5 * X[:, 1] + 0.1 * rng.normal(size=80)
    sweep = trees.depth_sweep("tree", [1, 2, 4, 8], X[:60], y[:60], X[60:], y[60:])
    assert isinstance(sweep, dict) and {"train_rmse", "val_rmse"} <= set(sweep), (
        f"expected a dict with the keys 'train_rmse' and 'val_rmse', got {sweep!r:.200}")
    lengths = [len(sweep["train_rmse"]), len(sweep["val_rmse"])]
    assert lengths == [4, 4], f"one entry per depth: 4 depths, got lists of lengths {lengths}"
    values = list(sweep["train_rmse"]) + list(sweep["val_rmse"])
    assert all(isinstance(v, float) and math.isfinite(v) for v in values), (
        f"every RMSE must be a finite float, got {values!r}")
    train = sweep["train_rmse"]
    assert all(a >= b - 1e-9 for a, b in zip(train[:-1], train[1:], strict=True)), (
        f"a deeper tree never fits its own training data worse, but the training RMSE goes {train}")
    # entry 1 is the depth-2 tree: compare with fitting it by hand
    model = trees.make_model("tree", 2, seed=0).fit(X[:60], y[:60])
    val_rmse = float(np.sqrt(np.mean((model.predict(X[60:]) - y[60:]) ** 2)))
    train_rmse = float(np.sqrt(np.mean((model.predict(X[:60]) - y[:60]) ** 2)))
    assert abs(sweep["val_rmse"][1] - val_rmse) < 1e-6, (
        f"val_rmse[1] is {sweep['val_rmse'][1]!r}, but make_model('tree', 2, seed=0) fitted by hand gives {val_rmse!r}")
    assert abs(sweep["train_rmse"][1] - train_rmse) < 1e-6, (
        f"train_rmse[1] is {sweep['train_rmse'][1]!r}, but make_model('tree', 2, seed=0) fitted by hand gives "
        f"{train_rmse!r}")
    boost = trees.depth_sweep("boosting", [1, 3], X[:60], y[:60], X[60:], y[60:])
    lengths = [len(boost["train_rmse"]), len(boost["val_rmse"])]
    assert lengths == [2, 2], f"depth_sweep('boosting', [1, 3], ...) gave lists of lengths {lengths}, not [2, 2]"


@test_case(
    name="trees: best_depths",
    points=1,
    hidden=False,
    failure_message=(
        "best_depths must return {kind: depth} with, for every kind, the depth (taken from depths) "
        "whose *validation* RMSE is lowest."
    ),
)
def test_best_depths() -> None:
    trees = importlib.reload(importlib.import_module("trees"))
    sweeps = {
        "tree": {"train_rmse": [3.0, 2.0, 0.5], "val_rmse": [3.0, 2.5, 2.7]},
        "forest": {"train_rmse": [2.9, 1.5, 0.9], "val_rmse": [2.9, 2.2, 2.1]},
        "boosting": {"train_rmse": [2.0, 1.0, 0.1], "val_rmse": [1.9, 2.0, 2.6]},
    }
    best = trees.best_depths(sweeps, [1, 4, 16])
    assert isinstance(best, dict), f"expected a dict, got a {type(best).__name__}"
    got = sorted((kind, int(depth)) for kind, depth in best.items())
    assert got == [("boosting", 1), ("forest", 16), ("tree", 4)], (
        f"got {got}; expected [('boosting', 1), ('forest', 16), ('tree', 4)]")
