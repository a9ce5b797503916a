# Public checks for hw2 part 1 (trees.py). Run them from the assignment folder with
#     otter check trees.py -q trees
# or, in the notebook, with grader.check("trees"). They are quick hints on tiny made-up data, not your grade:
# the hidden grader runs other, stricter checks on held-out data.
OK_FORMAT = True


def _fail_fast(code):
    """Stop a case at its first broken step: mark every example that expects no output ``FAIL_FAST``.

    Those are the set-up steps (imports, calls whose results the next lines check); once one fails, the rest of
    the case could only report NameErrors. Examples with an expected output are checks, and all of them run.
    """
    lines, out, i = code.split("\n"), [], 0
    while i < len(lines):
        if not lines[i].startswith(">>> "):
            out.append(lines[i])
            i += 1
            continue
        j = i + 1
        while j < len(lines) and lines[j].startswith("..."):
            j += 1
        expects_output = j < len(lines) and lines[j].strip() != "" and not lines[j].startswith(">>>")
        is_step = not expects_output and not lines[i][4:].lstrip().startswith("#") and "doctest:" not in lines[i]
        out.append(lines[i] + "  # doctest: +FAIL_FAST" if is_step else lines[i])
        out.extend(lines[i + 1 : j])
        i = j
    return "\n".join(out)


test = {
    "name": "trees",
    "points": None,
    "suites": [
        {
            "type": "doctest",
            "scored": True,
            "setup": "",
            "teardown": "",
            "cases": [
                {
                    "name": "trees: rmse",
                    "hidden": False,
                    "locked": False,
                    "failure_message": "rmse(y_true, y_pred) must return the root of the mean squared difference, as a float.",
                    "code": _fail_fast(r"""
>>> import importlib, math
>>> import numpy as np
>>> import trees
>>> trees = importlib.reload(trees)  # always test the file as it is on disk now
>>> _hw2_r = trees.rmse([0, 0], [3, 4])
>>> isinstance(_hw2_r, float)
True
>>> round(_hw2_r, 6)  # sqrt((9 + 16) / 2)
3.535534
>>> round(trees.rmse(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0])), 6)
0.0
>>> round(trees.rmse(np.array([2.0, -1.0, 0.5, 4.0]), np.array([1.0, 1.0, 0.5, 2.0])), 6)  # sqrt(9 / 4)
1.5
"""),
                },
                {
                    "name": "trees: depth_sweep",
                    "hidden": False,
                    "locked": False,
                    "failure_message": (
                        "depth_sweep must fit make_model(kind, depth, seed) once per depth and return "
                        "{'train_rmse': [...], 'val_rmse': [...]}, one float per depth, in the order of depths."
                    ),
                    "code": _fail_fast(r"""
>>> import importlib, math
>>> import numpy as np
>>> import trees
>>> trees = importlib.reload(trees)
>>> _hw2_rng = np.random.default_rng(0)
>>> _hw2_X = _hw2_rng.uniform(-3, 3, size=(80, 2))
>>> _hw2_y = np.sin(_hw2_X[:, 0]) + 0.5 * _hw2_X[:, 1] + 0.1 * _hw2_rng.normal(size=80)
>>> _hw2_sweep = trees.depth_sweep("tree", [1, 2, 4, 8], _hw2_X[:60], _hw2_y[:60], _hw2_X[60:], _hw2_y[60:])
>>> isinstance(_hw2_sweep, dict) and {"train_rmse", "val_rmse"} <= set(_hw2_sweep)  # doctest: +FAIL_FAST
True
>>> [len(_hw2_sweep["train_rmse"]), len(_hw2_sweep["val_rmse"])]  # one entry per depth
[4, 4]
>>> all(isinstance(v, float) and math.isfinite(v) for v in list(_hw2_sweep["train_rmse"]) + list(_hw2_sweep["val_rmse"]))
True
>>> # a deeper tree never fits its own training data worse
>>> all(a >= b - 1e-9 for a, b in zip(_hw2_sweep["train_rmse"], _hw2_sweep["train_rmse"][1:]))
True
>>> # entry 1 is the depth-2 tree: compare with fitting it by hand
>>> _hw2_m = trees.make_model("tree", 2, seed=0).fit(_hw2_X[:60], _hw2_y[:60])
>>> abs(_hw2_sweep["val_rmse"][1] - float(np.sqrt(np.mean((_hw2_m.predict(_hw2_X[60:]) - _hw2_y[60:]) ** 2)))) < 1e-6
True
>>> abs(_hw2_sweep["train_rmse"][1] - float(np.sqrt(np.mean((_hw2_m.predict(_hw2_X[:60]) - _hw2_y[:60]) ** 2)))) < 1e-6
True
>>> _hw2_boost = trees.depth_sweep("boosting", [1, 3], _hw2_X[:60], _hw2_y[:60], _hw2_X[60:], _hw2_y[60:])
>>> [len(_hw2_boost["train_rmse"]), len(_hw2_boost["val_rmse"])]
[2, 2]
"""),
                },
                {
                    "name": "trees: best_depths",
                    "hidden": False,
                    "locked": False,
                    "failure_message": (
                        "best_depths must return {kind: depth} with, for every kind, the depth (taken from depths) "
                        "whose *validation* RMSE is lowest."
                    ),
                    "code": _fail_fast(r"""
>>> import importlib
>>> import trees
>>> trees = importlib.reload(trees)
>>> _hw2_sweeps = {
...     "tree": {"train_rmse": [3.0, 2.0, 0.5], "val_rmse": [3.0, 2.5, 2.7]},
...     "forest": {"train_rmse": [2.9, 1.5, 0.9], "val_rmse": [2.9, 2.2, 2.1]},
...     "boosting": {"train_rmse": [2.0, 1.0, 0.1], "val_rmse": [1.9, 2.0, 2.6]},
... }
>>> _hw2_best = trees.best_depths(_hw2_sweeps, [1, 4, 16])
>>> isinstance(_hw2_best, dict)  # doctest: +FAIL_FAST
True
>>> sorted((kind, int(depth)) for kind, depth in _hw2_best.items())
[('boosting', 1), ('forest', 16), ('tree', 4)]
"""),
                },
            ],
        }
    ],
}
