"""Hidden checks for ``mnist_mlp.py``: the model contract, training, the tuned config, saving."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from autograder.checks import Array, Context, Curve, DictOf, Handle, Images, Lines, ListOf, check, read_checkpoint

LEARNT_FRACTION = 0.8  # after 3 SGD epochs the reference's validation loss is far below 0.8x the untrained one
CONFIG_KEYS = ("hidden_sizes", "dropout", "lr", "epochs", "batch_size", "optimizer")
HISTORY_KEYS = ("train_loss", "val_loss", "val_error")
WRONG_DIGITS_SHOWN = 8
VAL_LOSS_RTOL, VAL_LOSS_ATOL = 0.02, 1e-3
"""How far the reported final validation loss may be from the judge's: float32 on another device differs by
~1e-6; 2% also lets through a mean of batch means over unequal batches, never a made-up number."""


def _labels(n: int) -> Array:
    """What ``predict`` returns for ``n`` images: integer labels of shape ``(n,)``."""
    return Array((n,), kinds="iu")


def _build(ctx: Context, hidden_sizes: Any = (256,), dropout: float = 0.0) -> Handle:
    model = ctx.call("mnist_mlp.build_mlp", hidden_sizes=tuple(hidden_sizes), dropout=dropout)
    ctx.expect(isinstance(model, Handle), f"build_mlp should return a torch.nn.Module, got {type(model).__name__}")
    return model


def _forward(ctx: Context, model: Handle, X: np.ndarray) -> np.ndarray:
    """The model's logits for ``X`` (a float tensor of shape ``(len(X), 10)``), as float64."""
    out = ctx.call_method(model, "__call__", torch.from_numpy(X.astype(np.float32)),
                          returns=Array((len(X), 10), kinds="f", forms=("tensor",)))
    return out.double().numpy()


def _cross_entropy(logits: np.ndarray, labels: np.ndarray) -> float:
    """Mean cross-entropy of ``softmax(logits)`` against integer ``labels`` (as ``F.cross_entropy``), in float64."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(labels)), labels].mean())


def _history_figure(history: dict[str, list[float]]) -> Lines:
    """The student's training and validation loss per epoch, as their ``train`` reported them."""
    curves = [Curve(name, np.arange(1, len(history[key]) + 1), np.asarray(history[key], dtype=float))
              for key, name in (("train_loss", "training loss"), ("val_loss", "validation loss"))]
    return Lines("Your loss per epoch (as train reported it)", curves, xlabel="epoch", ylabel="cross-entropy")


def _wrong_digits_figure(images: np.ndarray, predicted: np.ndarray, wrong: np.ndarray) -> Images | None:
    """A few held-out digits the student's model gets wrong, each captioned with its prediction only (never the true
    label); ``None`` when it gets none wrong."""
    if not wrong.any():
        return None
    shown = np.flatnonzero(wrong)[:WRONG_DIGITS_SHOWN]
    return Images("Held-out digits your model gets wrong", [images[i].reshape(28, 28) for i in shown],
                  [f"yours: {int(predicted[i])}" for i in shown],
                  caption=f"{len(shown)} of the {int(wrong.sum())} held-out digits it misclassifies, "
                          f"with your model's prediction.")


@check("mnist_mlp", "build_mlp", "build_mlp: 784 inputs, 10 logits, the requested layers, a nonlinearity")
def build_mlp(ctx: Context) -> None:
    model = _build(ctx, (64, 32))
    ctx.call_method(model, "eval")
    X = ctx.rng.random((16, 784))
    _forward(ctx, model, X)  # a batch of 16 images gives logits of shape (16, 10)
    state = ctx.call_method(model, "state_dict", returns=DictOf(Array(forms=("tensor",))))
    n_params = sum(int(np.prod(t.shape)) for t in state.values())
    expected = 784 * 64 + 64 + 64 * 32 + 32 + 32 * 10 + 10
    ctx.expect(n_params == expected,
               f"build_mlp(hidden_sizes=(64, 32)) has {n_params} parameters, expected {expected} (784-64-32-10)")
    # An MLP without activations is one affine map: f(a + b) = f(a) + f(b) - f(0).
    a, b = X[:4], X[4:8]
    fa, fb, fab, f0 = (_forward(ctx, model, v) for v in (a, b, a + b, np.zeros_like(a)))
    gap = np.abs(fab - (fa + fb - f0)).max()
    ctx.expect(gap > 1e-4, "the network is linear: put a nonlinearity (ReLU) after each hidden layer")
    _build(ctx, (32,), dropout=0.5)  # dropout must be accepted


@check("mnist_mlp", "train_history", "train returns per-epoch histories: falling training loss, and the final "
       "validation loss and error of the model it trained", defaults={"history_rows": 1024})
def train_history(ctx: Context) -> None:
    data = ctx.data("mnist")
    n, epochs = int(ctx.param("history_rows")), 3
    X_val, y_val = data.val.X[:256], data.val.y[:256]
    model = _build(ctx, (128,))
    ctx.call_method(model, "eval")
    untrained = _cross_entropy(_forward(ctx, model, X_val), y_val)  # the judge's own "before" measurement
    ctx.call_method(model, "train")
    history = ctx.call("mnist_mlp.train", model, data.train.X[:n], data.train.y[:n], X_val, y_val,
                       lr=0.05, epochs=epochs, batch_size=64, optimizer="sgd", device=ctx.device, seed=ctx.seed,
                       returns={key: ListOf(float, epochs) for key in HISTORY_KEYS})
    ctx.figure(_history_figure(history))
    for key in HISTORY_KEYS:
        ctx.expect(all(np.isfinite(v) for v in history[key]), f"{key} has non-finite values: {history[key]}")
    ctx.expect(all(0.0 <= v <= 1.0 for v in history["val_error"]),
               f"val_error is an error rate in [0, 1], got {history['val_error']}")
    losses = history["train_loss"]
    ctx.expect(losses[-1] < losses[0], f"training loss did not fall over {epochs} epochs: {losses}")

    # The numbers must describe the model train() returned: the judge measures it on the same validation images
    # (on the CPU, in eval mode) with the labels it holds.
    ctx.call_method(model, "cpu")
    ctx.call_method(model, "eval")
    logits = _forward(ctx, model, X_val)
    ctx.expect(bool(np.isfinite(logits).all()), "the trained model's logits on the validation images are not finite")
    loss, error = _cross_entropy(logits, y_val), float(np.mean(logits.argmax(axis=1) != y_val))
    reported_loss, reported_error = history["val_loss"][-1], history["val_error"][-1]
    ctx.expect(abs(reported_loss - loss) <= VAL_LOSS_RTOL * loss + VAL_LOSS_ATOL,
               f"the last val_loss ({reported_loss:.4f}) is not the validation loss of the trained model: measured "
               f"on the same {len(y_val)} validation images in eval mode it is {loss:.4f}")
    ctx.expect(abs(reported_error - error) <= 1.5 / len(y_val),
               f"the last val_error ({reported_error:.4f}) is not the validation error of the trained model: measured "
               f"on the same {len(y_val)} validation images in eval mode it is {error:.4f}")
    # ... and the model must have learnt: a history made up around an untrained model's true figures is not training.
    ctx.expect(loss <= LEARNT_FRACTION * untrained,
               f"train did not train the model: its validation loss went from {untrained:.4f} before train to "
               f"{loss:.4f} after {epochs} epochs (at most {LEARNT_FRACTION:g} x the untrained loss is expected)")


@check("mnist_mlp", "overfit_batch", "train can overfit a fixed batch of 256 images",
       defaults={"overfit_epochs": 100}, thresholds=("overfit_accuracy",))
def overfit_batch(ctx: Context) -> None:
    data = ctx.data("mnist")
    X, y = data.train.X[:256], data.train.y[:256]
    model = _build(ctx, (256,))
    ctx.call("mnist_mlp.train", model, X, y, X, y, lr=1e-3, epochs=int(ctx.param("overfit_epochs")),
             batch_size=256, optimizer="adam", device=ctx.device, seed=ctx.seed)
    predicted = np.asarray(ctx.call("mnist_mlp.predict", model, X, device=ctx.device, returns=_labels(len(X))))
    ctx.expect_threshold("overfit_accuracy", float(np.mean(predicted == y)), "accuracy on the batch it was trained on")


def _config_problem(config: Any) -> str | None:
    if config is None:
        return "BEST_CONFIG is not set (it is None): put your tuned settings there"
    if not isinstance(config, dict):
        return f"BEST_CONFIG should be a dict, got {type(config).__name__}"
    missing = [key for key in CONFIG_KEYS if key not in config]
    if missing:
        return f"BEST_CONFIG is missing {missing}"
    if config["optimizer"] not in ("sgd", "adam"):
        return f"BEST_CONFIG['optimizer'] should be 'sgd' or 'adam', got {config['optimizer']!r}"
    return None


@check("mnist_mlp", "best_config", "a model trained with BEST_CONFIG reaches the held-out error threshold",
       thresholds=("mnist_test_error",))
def best_config(ctx: Context) -> None:
    config = ctx.get("mnist_mlp.BEST_CONFIG")
    problem = _config_problem(config)
    settings = config if problem is None else {"hidden_sizes": (256,), "dropout": 0.0}
    model = _build(ctx, settings["hidden_sizes"], float(settings["dropout"]))
    if problem:
        ctx.fail(problem)
    data = ctx.data("mnist")
    ctx.call("mnist_mlp.train", model, data.train.X, data.train.y, data.val.X, data.val.y,
             lr=config["lr"], epochs=config["epochs"], batch_size=config["batch_size"],
             optimizer=config["optimizer"], device=ctx.device, seed=ctx.seed)
    # The worker sees held-out images only; the judge holds the labels.
    predicted = np.asarray(ctx.call("mnist_mlp.predict", model, data.test.X, device=ctx.device,
                                    returns=_labels(len(data.test.X))))
    wrong = predicted != data.test.y
    figure = _wrong_digits_figure(data.test.X, predicted, wrong)
    if figure is not None:
        ctx.figure(figure)
    ctx.expect_threshold("mnist_test_error", float(np.mean(wrong)), "held-out error rate")


@check("mnist_mlp", "model_round_trip",
       "save_model / load_model: a weights-only file that predicts identically in a fresh process")
def model_round_trip(ctx: Context) -> None:
    X = ctx.data("mnist").test.X[:200]
    model = _build(ctx, (32,))
    before = np.asarray(ctx.call("mnist_mlp.predict", model, X, returns=_labels(len(X))))
    ctx.expect(before.dtype == np.int64, f"predict should return int64 labels, got {before.dtype}")
    ctx.call("mnist_mlp.save_model", model, "model.pt")
    try:  # the judge reads its own copy of the file, the safe way (at most file_mb of course.yml, unpacked too)
        read_checkpoint(ctx.worker_file("model.pt"), ctx.file_bytes)
    except FileNotFoundError:
        ctx.fail("save_model(model, 'model.pt') did not write model.pt")
    except ValueError as exc:  # not a plain file, too large, or not weights only (UnsafeFile)
        ctx.fail(f"model.pt cannot be read with torch.load(path, weights_only=True): {exc}")
    ctx.restart_worker()
    loaded = ctx.call("mnist_mlp.load_model", "model.pt")
    ctx.expect(isinstance(loaded, Handle), f"load_model should return a torch.nn.Module, got {type(loaded).__name__}")
    after = np.asarray(ctx.call("mnist_mlp.predict", loaded, X, returns=_labels(len(X))))
    agree = float(np.mean(after == before))
    ctx.expect(agree == 1.0,
               f"the loaded model's predictions differ from the saved model's on {100 * (1 - agree):.1f}% of images")
