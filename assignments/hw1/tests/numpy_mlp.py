# Public checks for hw1 part 3 (numpy_mlp.py). Run them from the assignment folder with
#     otter check numpy_mlp.py -q numpy_mlp
# or, in the notebook, with grader.check("numpy_mlp"). They use tiny networks and a few random "images" (no MNIST
# download) and are quick hints, not your grade: the hidden grader trains your BEST_CONFIG and scores it on held-out
# digits, and exchanges model files with your code.
#
# Each case imports numpy_mlp.py afresh from disk, so it always checks the file as you last saved it, and first
# makes sure that it does not import torch (this part is NumPy only). A case stops at its first failed assertion,
# whose message says what was expected.
import ast
import importlib
import math
import os
import tempfile

import numpy as np
from otter.test_files import test_case

OK_FORMAT = False

name = "numpy_mlp"


def _module():
    """numpy_mlp.py as it is on disk now, after checking that its source imports no torch."""
    module = importlib.reload(importlib.import_module("numpy_mlp"))
    with open(module.__file__, encoding="utf-8") as file:
        tree = ast.parse(file.read())
    imported = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            imported.append(node.module)
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and getattr(node.func, "attr", getattr(node.func, "id", "")) in ("__import__", "import_module")):
            imported.append(str(node.args[0].value))
    torch = sorted({name for name in imported if name.split(".")[0] == "torch"})
    assert not torch, f"numpy_mlp.py imports {', '.join(torch)}: this part must use NumPy only (no torch)"
    return module


def _params(rng, sizes, bias_scale=0.1):
    """A network of our own: He-scaled weights and small nonzero biases."""
    params = {}
    for layer in range(1, len(sizes)):
        scale = math.sqrt(2.0 / sizes[layer - 1])
        params[f"W{layer}"] = scale * rng.standard_normal((sizes[layer - 1], sizes[layer]))
        params[f"b{layer}"] = bias_scale * rng.standard_normal(sizes[layer])
    return params


def _logits(params, X):
    """Our forward pass: ReLU after every layer but the last."""
    depth = sum(1 for key in params if key.startswith("W"))
    a = np.asarray(X, dtype=np.float64)
    for layer in range(1, depth + 1):
        a = a @ params[f"W{layer}"] + params[f"b{layer}"]
        if layer < depth:
            a = np.maximum(a, 0.0)
    return a


def _cross_entropy(z, y):
    """The mean softmax cross-entropy of the logits z for the labels y (stable)."""
    top = z.max(axis=1)
    log_sum_exp = top + np.log(np.sum(np.exp(z - top[:, None]), axis=1))
    return float(np.mean(log_sum_exp - z[np.arange(len(y)), y]))


@test_case(
    name="numpy_mlp: init_params",
    points=1,
    hidden=False,
    failure_message=(
        "init_params(sizes, seed=0) must return {'W1': ..., 'b1': ..., ...}: float64 arrays, W{l} of shape "
        "(sizes[l-1], sizes[l]) drawn from a normal distribution with std sqrt(2 / sizes[l-1]) by "
        "np.random.default_rng(seed), b{l} of shape (sizes[l],), zeros."
    ),
)
def test_init_params() -> None:
    numpy_mlp = _module()
    params = numpy_mlp.init_params([6, 5, 4, 3])
    assert isinstance(params, dict), f"init_params returned a {type(params).__name__}, not a dict"
    keys = ["W1", "W2", "W3", "b1", "b2", "b3"]
    assert sorted(params) == keys, f"sizes [6, 5, 4, 3] give the keys {keys}, got {sorted(params)}"
    for key, shape in {"W1": (6, 5), "b1": (5,), "W2": (5, 4), "b2": (4,), "W3": (4, 3), "b3": (3,)}.items():
        value = params[key]
        assert isinstance(value, np.ndarray) and value.shape == shape, (
            f"params[{key!r}] should be an array of shape {shape}, got {type(value).__name__} "
            f"of shape {np.shape(value)}")
        assert value.dtype == np.float64, f"params[{key!r}] should be float64, not {value.dtype}"
    for key in ("b1", "b2", "b3"):
        assert not params[key].any(), f"the biases start at zero; {key} = {params[key]}"
    big = numpy_mlp.init_params([400, 300], seed=0)["W1"]
    std = float(big.std())
    assert abs(std - math.sqrt(2 / 400)) < 0.05 * math.sqrt(2 / 400), (
        f"W1 of sizes [400, 300] should have std sqrt(2 / 400) = {math.sqrt(2 / 400):.4f} (He), got {std:.4f}")
    assert abs(float(big.mean())) < 0.005, f"the weights should have mean 0, got {float(big.mean()):.4f}"
    again = numpy_mlp.init_params([6, 5, 4, 3], seed=0)
    assert all(np.array_equal(params[key], again[key]) for key in keys), "the same seed must give the same parameters"
    other = numpy_mlp.init_params([6, 5, 4, 3], seed=1)
    assert not np.array_equal(params["W1"], other["W1"]), "another seed must give other weights"


@test_case(
    name="numpy_mlp: forward",
    points=1,
    hidden=False,
    failure_message=(
        "forward(params, X) must return the logits, shape (n, sizes[-1]): a @ W{l} + b{l} layer by layer, with a "
        "ReLU after every layer but the last (none on the logits), for any number of layers."
    ),
)
def test_forward() -> None:
    numpy_mlp = _module()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5, 4))
    for sizes in ([4, 3], [4, 6, 3], [4, 6, 5, 3]):
        params = _params(rng, sizes)
        out = numpy_mlp.forward(params, X)
        assert isinstance(out, np.ndarray) and out.shape == (5, 3), (
            f"a network of sizes {sizes} maps 5 inputs to logits of shape (5, 3), got {type(out).__name__} of "
            f"shape {np.shape(out)}")
        expected = _logits(params, X)
        assert np.allclose(out, expected, rtol=1e-10, atol=1e-12), (
            f"the logits of a network of sizes {sizes} differ from ours by up to "
            f"{float(np.max(np.abs(out - expected))):.3g}" + (
                " (no ReLU on the last layer: logits can be negative)" if (out >= 0).all() and (expected < 0).any()
                else ""))


@test_case(
    name="numpy_mlp: loss_and_grads",
    points=1,
    hidden=False,
    failure_message=(
        "loss_and_grads(params, X, y) must return (loss, grads): the mean softmax cross-entropy as a float, and for "
        "every key of params the gradient of the loss, same shape, by backpropagation (checked against central "
        "differences of the loss)."
    ),
)
def test_loss_and_grads() -> None:
    numpy_mlp = _module()
    rng = np.random.default_rng(1)
    params = _params(rng, [4, 5, 3])
    X, y = rng.normal(size=(6, 4)), np.array([0, 2, 1, 1, 0, 2])
    loss, grads = numpy_mlp.loss_and_grads(params, X, y)
    assert isinstance(loss, float), f"the loss must be a Python float, got a {type(loss).__name__}"
    expected = _cross_entropy(_logits(params, X), y)
    assert math.isclose(loss, expected, rel_tol=1e-9), (
        f"the mean cross-entropy of our tiny network is {expected:.6f}, got {loss!r}")
    assert isinstance(grads, dict) and sorted(grads) == sorted(params), (
        f"grads must be a dict with the keys of params {sorted(params)}, got "
        f"{sorted(grads) if isinstance(grads, dict) else type(grads).__name__}")
    eps = 1e-6
    for key in sorted(params):
        assert np.shape(grads[key]) == params[key].shape, (
            f"grads[{key!r}] must have the shape of params[{key!r}], {params[key].shape}, not {np.shape(grads[key])}")
        numeric = np.zeros_like(params[key])
        for i in np.ndindex(params[key].shape):
            nudged = {k: v.copy() for k, v in params.items()}
            nudged[key][i] += eps
            up = _cross_entropy(_logits(nudged, X), y)
            nudged[key][i] -= 2 * eps
            down = _cross_entropy(_logits(nudged, X), y)
            numeric[i] = (up - down) / (2 * eps)
        assert np.allclose(grads[key], numeric, rtol=1e-4, atol=1e-7), (
            f"grads[{key!r}] differs from central differences of the loss by up to "
            f"{float(np.max(np.abs(np.asarray(grads[key]) - numeric))):.3g}")
    # Very large logits (a softmax without subtracting each row's max overflows to nan).
    huge = {"W1": 1000.0 * np.eye(3), "b1": np.zeros(3)}
    loss, grads = numpy_mlp.loss_and_grads(huge, np.eye(3)[::-1], np.array([0, 1, 2]))
    assert math.isfinite(loss) and all(np.all(np.isfinite(g)) for g in grads.values()), (
        f"with logits in the thousands the loss and grads must stay finite, got loss {loss!r}: subtract each row's "
        "largest logit before np.exp")
    assert math.isclose(loss, 2000.0 / 3.0, rel_tol=1e-9), f"that loss is (1000 + 0 + 1000) / 3, got {loss!r}"


@test_case(
    name="numpy_mlp: train",
    points=1,
    hidden=False,
    failure_message=(
        "train(params, X_train, y_train, X_val, y_val, *, lr, epochs, batch_size, seed=0) must update the arrays "
        "of params in place by mini-batch SGD and return {'train_loss': [...], 'val_error': [...]}: one float per "
        "epoch in each, val_error a fraction between 0 and 1."
    ),
)
def test_train() -> None:
    numpy_mlp = _module()
    rng = np.random.default_rng(2)
    X = rng.normal(size=(60, 8))
    y = X[:, :3].argmax(axis=1)  # a learnable rule
    params = _params(rng, [8, 16, 3])
    arrays = {key: value for key, value in params.items()}
    before = {key: value.copy() for key, value in params.items()}
    history = numpy_mlp.train(params, X[:48], y[:48], X[48:], y[48:], lr=0.3, epochs=6, batch_size=8)
    assert isinstance(history, dict) and {"train_loss", "val_error"} <= set(history), (
        f"expected a dict with the keys train_loss and val_error, got {history!r:.200}")
    lengths = [len(history["train_loss"]), len(history["val_error"])]
    assert lengths == [6, 6], f"one entry per epoch: 6 epochs, got lists of lengths {lengths}"
    assert all(isinstance(v, float) and math.isfinite(v) for k in ("train_loss", "val_error") for v in history[k]), (
        f"every value must be a finite Python float: {history!r:.300}")
    assert all(0.0 <= v <= 1.0 for v in history["val_error"]), (
        f"val_error is a fraction between 0 and 1, got {history['val_error']}")
    assert all(params[key] is arrays[key] for key in arrays), (
        "train must update the caller's arrays in place (params[key] -= lr * grads[key]), not put new arrays in")
    unchanged = sorted(key for key in before if np.array_equal(before[key], params[key]))
    assert not unchanged, f"training did not change {unchanged}: every weight and bias takes SGD steps"
    assert history["train_loss"][-1] < 0.7 * history["train_loss"][0], (
        f"the training loss should fall on this easy problem: {np.round(history['train_loss'], 3).tolist()}")


@test_case(
    name="numpy_mlp: predict",
    points=1,
    hidden=False,
    failure_message=(
        "predict(params, X) must return a numpy int64 array with the index of the largest logit of every row."
    ),
)
def test_predict() -> None:
    numpy_mlp = _module()
    rng = np.random.default_rng(3)
    params = _params(rng, [784, 16, 10])
    X = rng.random((20, 784))
    pred = numpy_mlp.predict(params, X)
    assert isinstance(pred, np.ndarray), f"predict returned a {type(pred).__name__}, not a numpy array"
    assert (str(pred.dtype), pred.shape) == ("int64", (20,)), (
        f"expected an int64 array of shape (20,), got {pred.dtype} of shape {pred.shape}")
    expected = _logits(params, X).argmax(axis=1)
    assert np.array_equal(pred, expected), "predict must return the class with the highest logit of every row"


@test_case(
    name="numpy_mlp: save_params / load_params",
    points=1,
    hidden=False,
    failure_message=(
        "save_params(params, path) must write, at exactly path, an .npz of the parameter arrays under their keys "
        "that np.load(path, allow_pickle=False) reads; load_params(path) must read such a file (yours or another "
        "team's, of any depth) back into a dict of float64 arrays."
    ),
)
def test_save_and_load_params() -> None:
    numpy_mlp = _module()
    rng = np.random.default_rng(4)
    params = _params(rng, [784, 16, 10])
    with tempfile.TemporaryDirectory() as folder:
        for filename in ("model.npz", "model.params"):  # np.savez given a *name* would write model.params.npz
            path = os.path.join(folder, filename)
            numpy_mlp.save_params(params, path)
            assert os.path.isfile(path), (
                f"save_params(params, {filename!r}) wrote no file named {filename!r}: "
                f"found {sorted(os.listdir(folder))}"
                " (np.savez adds .npz to a file name without it; give it an open file instead)")
            with np.load(path, allow_pickle=False) as archive:  # plain arrays only: never unpickle a model file
                saved = {key: archive[key] for key in archive.files}
            assert sorted(saved) == sorted(params), (
                f"the file should hold exactly the keys {sorted(params)}, got {sorted(saved)}")
            assert all(np.array_equal(saved[key], params[key]) for key in params), (
                "the arrays in the file differ from the parameters that were saved")
            loaded = numpy_mlp.load_params(path)
            assert isinstance(loaded, dict) and sorted(loaded) == sorted(params), (
                f"load_params should return a dict with the keys {sorted(params)}, got {loaded!r:.200}")
            for key in params:
                assert isinstance(loaded[key], np.ndarray) and loaded[key].dtype == np.float64, (
                    f"load_params(...)[{key!r}] should be a float64 numpy array")
                assert np.array_equal(loaded[key], params[key]), (
                    f"load_params(...)[{key!r}] differs from what was saved")
        # Another team's file: a deeper network, saved as float32.
        other = {key: value.astype(np.float32) for key, value in _params(rng, [784, 12, 8, 10]).items()}
        path = os.path.join(folder, "other_team.npz")
        with open(path, "wb") as file:
            np.savez(file, **other)
        loaded = numpy_mlp.load_params(path)
        assert isinstance(loaded, dict) and sorted(loaded) == sorted(other), (
            f"load_params on another team's 3-layer file should return the keys {sorted(other)}, got {loaded!r:.200}")
        assert all(np.allclose(loaded[key], other[key]) and loaded[key].dtype == np.float64 for key in other), (
            "load_params must return the file's arrays as float64")


@test_case(
    name="numpy_mlp: BEST_CONFIG",
    points=1,
    hidden=False,
    failure_message=(
        "Set BEST_CONFIG to the settings you chose in the notebook: a dict with sizes (a list of layer widths from "
        "784 to 10), lr, epochs and batch_size, none of them None."
    ),
)
def test_best_config() -> None:
    numpy_mlp = _module()
    cfg = numpy_mlp.BEST_CONFIG
    assert isinstance(cfg, dict), f"BEST_CONFIG is a {type(cfg).__name__}, not a dict"
    missing = sorted(k for k in ("sizes", "lr", "epochs", "batch_size") if cfg.get(k) is None)
    assert not missing, f"keys still missing or None: {missing}"
    sizes = list(cfg["sizes"])
    assert len(sizes) >= 2 and sizes[0] == 784 and sizes[-1] == 10, (
        f"sizes must start with the 784 inputs and end with the 10 classes, got {sizes}")
    assert all(isinstance(s, int) and s > 0 for s in sizes), f"the layer widths must be positive integers: {sizes}"
    assert float(cfg["lr"]) > 0 and int(cfg["epochs"]) > 0 and int(cfg["batch_size"]) > 0, (
        f"lr, epochs and batch_size must be positive, got {cfg}")
