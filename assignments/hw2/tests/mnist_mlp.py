# Public checks for hw2 part 2 (mnist_mlp.py). Run them from the assignment folder with
#     otter check mnist_mlp.py -q mnist_mlp
# or, in the notebook, with grader.check("mnist_mlp"). They use a few random "images" (no MNIST download) and are
# quick hints, not your grade: the hidden grader trains your BEST_CONFIG on held-out data.
#
# Each case imports mnist_mlp.py afresh from disk, so it always checks the file as you last saved it. A case stops
# at its first failed assertion, whose message says what was expected.
import importlib
import math
import os
import tempfile

import numpy as np
import torch
from otter.test_files import test_case
from torch import nn

OK_FORMAT = False

name = "mnist_mlp"


@test_case(
    name="mnist_mlp: build_mlp",
    points=1,
    hidden=False,
    failure_message=(
        "build_mlp(hidden_sizes, dropout) must return an nn.Module mapping (n, 784) inputs to (n, 10) "
        "logits, with one Linear layer (weights + biases) per hidden size plus the output layer."
    ),
)
def test_build_mlp() -> None:
    mnist_mlp = importlib.reload(importlib.import_module("mnist_mlp"))  # always test the file as it is on disk now
    torch.manual_seed(0)
    model = mnist_mlp.build_mlp()
    assert isinstance(model, nn.Module), f"build_mlp() returned a {type(model).__name__}, not an nn.Module"
    shape = tuple(model(torch.rand(5, 784)).shape)
    assert shape == (5, 10), f"build_mlp() maps 5 images to an output of shape {shape}, not (5, 10)"
    params = sum(p.numel() for p in model.parameters())
    assert params == 784 * 256 + 256 + 256 * 10 + 10, (
        f"build_mlp() has {params} parameters; one hidden layer of 256 has {784 * 256 + 256 + 256 * 10 + 10}")
    deep = mnist_mlp.build_mlp((32, 16), dropout=0.5)
    shape = tuple(deep(torch.rand(5, 784)).shape)
    assert shape == (5, 10), f"build_mlp((32, 16), 0.5) maps 5 images to an output of shape {shape}, not (5, 10)"
    params = sum(p.numel() for p in deep.parameters())
    expected = 784 * 32 + 32 + 32 * 16 + 16 + 16 * 10 + 10
    assert params == expected, f"build_mlp((32, 16)) has {params} parameters, not {expected}"
    assert any(isinstance(m, nn.Dropout) and m.p == 0.5 for m in deep.modules()), (
        "dropout=0.5 must add nn.Dropout(0.5) layers")
    # an MLP is not a linear map: for a linear (affine) f, f(a) + f(b) == f(a + b) + f(0)
    a, b, zero = torch.rand(3, 784), torch.rand(3, 784), torch.zeros(3, 784)
    with torch.no_grad():
        f = model.eval()
        linear = torch.allclose(f(a) + f(b), f(a + b) + f(zero), atol=1e-4)
    assert not linear, "build_mlp() computes a linear map: put a non-linearity (ReLU) between the layers"


@test_case(
    name="mnist_mlp: train",
    points=1,
    hidden=False,
    failure_message=(
        "train(...) must return {'train_loss': [...], 'val_loss': [...], 'val_error': [...]}: one finite "
        "float per epoch in each list, with val_error a fraction between 0 and 1."
    ),
)
def test_train() -> None:
    mnist_mlp = importlib.reload(importlib.import_module("mnist_mlp"))
    rng = np.random.default_rng(0)
    X = rng.random((64, 784), dtype=np.float32)
    y = rng.integers(0, 10, size=64)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10))  # any model works here
    hist = mnist_mlp.train(model, X[:48], y[:48], X[48:], y[48:], lr=0.01, epochs=2, batch_size=16)
    keys = ("train_loss", "val_loss", "val_error")
    assert isinstance(hist, dict) and set(keys) <= set(hist), (
        f"expected a dict with the keys {', '.join(keys)}, got {hist!r:.200}")
    lengths = [len(hist[k]) for k in keys]
    assert lengths == [2, 2, 2], f"one entry per epoch: 2 epochs, got lists of lengths {lengths}"
    assert all(math.isfinite(float(v)) for k in keys for v in hist[k]), f"every value must be finite: {hist!r}"
    assert all(0.0 <= float(v) <= 1.0 for v in hist["val_error"]), (
        f"val_error is a fraction between 0 and 1, got {hist['val_error']!r}")
    hist = mnist_mlp.train(nn.Sequential(nn.Linear(784, 10)), X[:48], y[:48], X[48:], y[48:],
                           lr=0.001, epochs=1, batch_size=16, optimizer="adam")
    lengths = [len(hist[k]) for k in keys]
    assert lengths == [1, 1, 1], f"train(..., epochs=1, optimizer='adam') gave lists of lengths {lengths}"


@test_case(
    name="mnist_mlp: predict",
    points=1,
    hidden=False,
    failure_message="predict(model, X) must return a numpy int64 array with the arg-max class (0-9) of every row.",
)
def test_predict() -> None:
    mnist_mlp = importlib.reload(importlib.import_module("mnist_mlp"))
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10))
    X = np.random.default_rng(1).random((20, 784), dtype=np.float32)
    pred = mnist_mlp.predict(model, X)
    assert isinstance(pred, np.ndarray), f"predict returned a {type(pred).__name__}, not a numpy array"
    assert (str(pred.dtype), pred.shape) == ("int64", (20,)), (
        f"expected an int64 array of shape (20,), got {pred.dtype} of shape {pred.shape}")
    assert bool(((pred >= 0) & (pred <= 9)).all()), f"every prediction must be a digit 0-9, got {pred.tolist()}"
    with torch.no_grad():
        expected = model.eval()(torch.from_numpy(X)).argmax(dim=1).numpy()
    assert bool((pred == expected).all()), "predict must return the class with the highest logit of every row"


@test_case(
    name="mnist_mlp: save_model / load_model",
    points=1,
    hidden=False,
    failure_message=(
        "save_model must write a file that torch.load(path, weights_only=True) can read (tensors and "
        "plain Python values only), and load_model(path) must rebuild a model with the same outputs."
    ),
)
def test_save_and_load_model() -> None:
    mnist_mlp = importlib.reload(importlib.import_module("mnist_mlp"))
    torch.manual_seed(0)
    model = mnist_mlp.build_mlp((16, 8)).eval()
    X = torch.rand(6, 784)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.pt")
        mnist_mlp.save_model(model, path)
        torch.load(path, map_location="cpu", weights_only=True)  # must not need pickled code
        loaded = mnist_mlp.load_model(path)
    with torch.no_grad():
        same = torch.allclose(model(X), loaded.eval()(X), atol=1e-6)
    assert same, "the model from load_model(path) gives other outputs than the model that was saved"


@test_case(
    name="mnist_mlp: BEST_CONFIG",
    points=1,
    hidden=False,
    failure_message=(
        "Set BEST_CONFIG to the settings you chose in the notebook: a dict with hidden_sizes, dropout, lr, "
        "epochs, batch_size and optimizer ('sgd' or 'adam'), none of them None."
    ),
)
def test_best_config() -> None:
    mnist_mlp = importlib.reload(importlib.import_module("mnist_mlp"))
    cfg = mnist_mlp.BEST_CONFIG
    assert isinstance(cfg, dict), f"BEST_CONFIG is a {type(cfg).__name__}, not a dict"
    missing = sorted(k for k in ("hidden_sizes", "dropout", "lr", "epochs", "batch_size", "optimizer")
                     if cfg.get(k) is None)
    assert not missing, f"keys still missing or None: {missing}"
    assert cfg["optimizer"] in ("sgd", "adam"), f"optimizer must be 'sgd' or 'adam', not {cfg['optimizer']!r}"
    assert (int(cfg["epochs"]) >= 1 and int(cfg["batch_size"]) >= 1 and float(cfg["lr"]) > 0
            and 0 <= float(cfg["dropout"]) < 1), (
        "epochs and batch_size must be at least 1, lr positive and dropout in [0, 1)")
    shape = tuple(mnist_mlp.build_mlp(cfg["hidden_sizes"], cfg["dropout"])(torch.rand(2, 784)).shape)
    assert shape == (2, 10), f"build_mlp with BEST_CONFIG maps 2 images to an output of shape {shape}"
