"""Hidden checks for ``numpy_mlp.py``: the NumPy MLP, its gradients against autograd, training, the tuned config,
and ``.npz`` files exchanged both ways.

Every check first reads the submitted source (never running it): a module that imports torch fails them all, as
this part is NumPy only. The judge holds the held-out labels and images: the worker trains on the training split
and returns its parameters, and the judge scores them with its own forward pass.
"""

from __future__ import annotations

import ast
import math
import os
import secrets
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from autograder.checks import Array, Context, DictOf, ListOf, check, read_npz

from ._figures import per_epoch

MODULE = "numpy_mlp"
BANNED = ("torch",)
PARAMS = DictOf(Array(kinds="f", forms=("ndarray",)))  # what init_params, load_params ... return
GRAD_RTOL, GRAD_ATOL = 1e-7, 1e-10  # float64 both sides: only the order of the sums differs
CONFIG_KEYS = ("sizes", "lr", "epochs", "batch_size")
TRAIN_SIZES = [784, 32, 10]
LEARNT_FRACTION = 0.8  # after 3 epochs the reference's training loss is far below 0.8x the untrained one


# --- NumPy only -------------------------------------------------------------------------------------------------

def _submitted_source(ctx: Context) -> bytes | None:
    """The submitted ``numpy_mlp.py`` as the judge received it (not the worker's copy, which student code could
    have rewritten by now); ``None`` if it cannot be read."""
    try:
        return ctx.submitted_source(MODULE)
    except OSError:
        return None


def banned_imports(source: bytes) -> list[str]:
    """``"line N: import torch"`` for every import of a banned package in ``source`` (``import``, ``from ...
    import``, ``__import__("...")``, ``importlib.import_module("...")``), in source order."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []  # the worker reports the syntax error when it imports the module
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if called in ("__import__", "import_module") and isinstance(node.args[0].value, str):
                names = [node.args[0].value]
        for name in names:
            if name.split(".")[0] in BANNED:
                found.append((node.lineno, name))
    return [f"line {line}: {name}" for line, name in sorted(found)]


def _numpy_only(ctx: Context) -> None:
    """Fail the check if the submitted module imports torch (judged once per submission)."""
    if "numpy_mlp/banned" not in ctx.shared:
        source = _submitted_source(ctx)
        ctx.shared["numpy_mlp/banned"] = [] if source is None else banned_imports(source)
    banned = ctx.shared["numpy_mlp/banned"]
    ctx.expect(not banned, f"{MODULE}.py imports torch ({'; '.join(banned)}): this part must use NumPy only")


# --- the judge's own network --------------------------------------------------------------------------------------

def random_params(rng: np.random.Generator, sizes: list[int], bias_scale: float = 0.1) -> dict[str, np.ndarray]:
    """Parameters the judge chooses: He-scaled weights and small nonzero biases (so that a bias bug shows)."""
    params = {}
    for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True), start=1):
        params[f"W{layer}"] = rng.normal(0.0, math.sqrt(2.0 / fan_in), (fan_in, fan_out))
        params[f"b{layer}"] = rng.normal(0.0, bias_scale, fan_out)
    return params


def logits(params: Mapping[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """The judge's forward pass (float64): ReLU after every layer but the last."""
    depth = sum(1 for key in params if key.startswith("W"))
    a = np.asarray(X, dtype=np.float64)
    for layer in range(1, depth + 1):
        a = a @ np.asarray(params[f"W{layer}"], dtype=np.float64) + np.asarray(params[f"b{layer}"], dtype=np.float64)
        if layer < depth:
            a = np.maximum(a, 0.0)
    return a


def autograd_loss_and_grads(params: Mapping[str, np.ndarray], X: np.ndarray, y: np.ndarray
                            ) -> tuple[float, dict[str, np.ndarray]]:
    """The mean cross-entropy and its gradients by torch's autograd, in float64."""
    tensors = {key: torch.tensor(value, dtype=torch.float64, requires_grad=True) for key, value in params.items()}
    depth = sum(1 for key in params if key.startswith("W"))
    a = torch.tensor(X, dtype=torch.float64)
    for layer in range(1, depth + 1):
        a = a @ tensors[f"W{layer}"] + tensors[f"b{layer}"]
        if layer < depth:
            a = torch.relu(a)
    loss = torch.nn.functional.cross_entropy(a, torch.tensor(y, dtype=torch.long))
    loss.backward()
    return loss.item(), {key: t.grad.numpy() for key, t in tensors.items()}


def _keys(sizes: list[int]) -> list[str]:
    return [f"{kind}{layer}" for layer in range(1, len(sizes)) for kind in ("W", "b")]


def _expect_params(ctx: Context, params: Any, sizes: list[int], what: str) -> None:
    """``params`` has exactly the keys and shapes of a network of ``sizes``, all finite."""
    ctx.expect_type(params, dict, what)
    ctx.expect(sorted(params) == sorted(_keys(sizes)),
               f"{what} should have exactly the keys {_keys(sizes)}, got {sorted(params)}")
    for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True), start=1):
        for key, shape in ((f"W{layer}", (fan_in, fan_out)), (f"b{layer}", (fan_out,))):
            ctx.expect(params[key].shape == shape, f"{what}[{key!r}] has shape {params[key].shape}, expected {shape}")
            ctx.expect(bool(np.all(np.isfinite(params[key]))), f"{what}[{key!r}] has non-finite values")


def _labels(n: int) -> Array:
    return Array((n,), kinds="iu", forms=("ndarray",))


# --- checks -----------------------------------------------------------------------------------------------------

@check("numpy_mlp", "init_params", "init_params: the keys and shapes of the spec, random weights, reproducible by seed")
def init_params(ctx: Context) -> None:
    _numpy_only(ctx)
    sizes = [784, 32, 16, 10]
    params = ctx.call(f"{MODULE}.init_params", sizes, seed=ctx.seed, returns=PARAMS)
    _expect_params(ctx, params, sizes, f"init_params({sizes})")
    for key in ("W1", "W2", "W3"):
        ctx.expect(float(np.std(params[key])) > 0, f"init_params: {key} is constant; weights must be random "
                   "(equal weights give every hidden unit the same gradient, forever)")
    again = ctx.call(f"{MODULE}.init_params", sizes, seed=ctx.seed, returns=PARAMS)
    ctx.expect(all(np.array_equal(params[k], again[k]) for k in params),
               "init_params with the same seed gave different parameters: draw them from np.random.default_rng(seed)")
    other = ctx.call(f"{MODULE}.init_params", sizes, seed=ctx.seed + 1, returns=PARAMS)
    ctx.expect(not np.array_equal(params["W1"], other["W1"]), "init_params gave the same W1 for two different seeds")


@check("numpy_mlp", "forward", "forward: the logits of the judge's networks, ReLU between layers, none at the end")
def forward(ctx: Context) -> None:
    _numpy_only(ctx)
    for sizes, n in (([20, 16, 12, 5], 9), ([6, 3], 4), ([784, 32, 10], 3)):
        params = random_params(ctx.rng, sizes)
        X = ctx.rng.normal(size=(n, sizes[0]))
        got = ctx.call(f"{MODULE}.forward", params, X, returns=Array((n, sizes[-1]), kinds="f", forms=("ndarray",)))
        ctx.expect_close(got, logits(params, X), what=f"forward(params, X) for sizes {sizes}", rtol=1e-9, atol=1e-10)


def _compare_loss_and_grads(ctx: Context, params: dict[str, np.ndarray], X: np.ndarray, y: np.ndarray,
                            what: str) -> None:
    loss, grads = ctx.call(f"{MODULE}.loss_and_grads", params, X, y, returns=(float, PARAMS))
    want_loss, want_grads = autograd_loss_and_grads(params, X, y)
    ctx.expect_close(loss, want_loss, what=f"the loss {what}", rtol=GRAD_RTOL, atol=GRAD_ATOL)
    ctx.expect(sorted(grads) == sorted(params), f"the gradients {what} should have the keys {sorted(params)}, "
               f"got {sorted(grads)}")
    for key in params:  # W before b, layer by layer: the first difference is the most telling
        ctx.expect_close(grads[key], want_grads[key], what=f"the gradient of {key} {what}",
                         rtol=GRAD_RTOL, atol=GRAD_ATOL)


@check("numpy_mlp", "loss_and_grads",
       "loss_and_grads: the cross-entropy and every gradient agree with autograd (float64)")
def loss_and_grads(ctx: Context) -> None:
    _numpy_only(ctx)
    for sizes, n in (([20, 16, 12, 5], 9), ([10, 4], 3), ([30, 8, 3], 1)):
        params = random_params(ctx.rng, sizes, bias_scale=0.5)
        X, y = ctx.rng.normal(size=(n, sizes[0])), ctx.rng.integers(0, sizes[-1], n)
        _compare_loss_and_grads(ctx, params, X, y, f"for sizes {sizes} on {n} rows")


@check("numpy_mlp", "large_logits", "loss_and_grads stays finite and exact for logits in the thousands")
def large_logits(ctx: Context) -> None:
    _numpy_only(ctx)
    sizes, n = [20, 16, 5], 8
    params = random_params(ctx.rng, sizes)
    X, y = ctx.rng.normal(size=(n, sizes[0])), ctx.rng.integers(0, sizes[-1], n)
    scale = 3000.0 / np.abs(logits(params, X)).max()  # the largest logit becomes 3000 in size (exp overflows past 709)
    params["W2"], params["b2"] = params["W2"] * scale, params["b2"] * scale
    _compare_loss_and_grads(ctx, params, X, y, "with logits up to 3000 in size (subtract each row's max before exp)")


def _fit(ctx: Context, config: dict[str, Any], X: np.ndarray, y: np.ndarray, X_val: np.ndarray, y_val: np.ndarray
         ) -> tuple[dict[str, np.ndarray], dict[str, list[float]]]:
    """Train in the worker with the given ``fit`` (init_params + train); the trained parameters come back."""
    epochs = int(config["epochs"])
    history_of = ListOf(float, epochs)
    return ctx.call(f"{MODULE}.fit", config, X, y, X_val, y_val, seed=ctx.seed,
                    returns=(PARAMS, {"train_loss": history_of, "val_error": history_of}))


def _show_history(ctx: Context, history: Mapping[str, list[float]], config: Mapping[str, Any], n_val: int) -> None:
    """The per-epoch history ``fit`` returned, as two figures: the training loss and the validation error."""
    trained = f"fit with sizes {list(config['sizes'])}, lr {config['lr']:g}, batch size {config['batch_size']}"
    ctx.figure(per_epoch("Training loss per epoch", {"your train_loss": history["train_loss"]}, ylabel="cross-entropy",
                         caption=f"history['train_loss'] returned by {trained}: each epoch's mean batch loss."))
    ctx.figure(per_epoch("Validation error per epoch", {"your val_error": history["val_error"]}, ylabel="error rate",
                         caption=f"history['val_error'] returned by {trained}, on the {n_val} validation images "
                                 "it was given."))


def _cross_entropy(z: np.ndarray, y: np.ndarray) -> float:
    shifted = z - z.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(y)), y].mean())


@check("numpy_mlp", "train", "train: SGD updates every parameter in place; the history describes the trained model",
       params=("train_rows",))
def train(ctx: Context) -> None:
    _numpy_only(ctx)
    data = ctx.data("mnist")
    n = int(ctx.param("train_rows"))
    X, y = data.train.X[:n], data.train.y[:n]
    X_val, y_val = data.val.X[:500], data.val.y[:500]
    config = {"sizes": TRAIN_SIZES, "lr": 0.1, "epochs": 3, "batch_size": 32}
    initial = ctx.call(f"{MODULE}.init_params", TRAIN_SIZES, seed=ctx.seed, returns=PARAMS)
    _expect_params(ctx, initial, TRAIN_SIZES, f"init_params({TRAIN_SIZES})")
    params, history = _fit(ctx, config, X, y, X_val, y_val)
    _show_history(ctx, history, config, len(y_val))
    _expect_params(ctx, params, TRAIN_SIZES, "the trained parameters")
    for key in _keys(TRAIN_SIZES):
        ctx.expect(not np.array_equal(params[key], initial[key]),
                   f"train left {key} unchanged: every parameter (biases too) must be updated, in place in params")
    for key, values in history.items():
        ctx.expect(all(math.isfinite(v) for v in values), f"history[{key!r}] has non-finite values: {values}")
    ctx.expect(all(0.0 <= v <= 1.0 for v in history["val_error"]),
               f"val_error is an error rate in [0, 1], got {history['val_error']}")
    losses = history["train_loss"]
    ctx.expect(losses[-1] < losses[0], f"the training loss did not fall over 3 epochs: {losses}")
    # The judge measures the trained parameters itself: the last val_error must be theirs, and they must have learnt.
    error = float(np.mean(logits(params, X_val).argmax(axis=1) != y_val))
    ctx.expect(abs(history["val_error"][-1] - error) <= 0.5 / len(y_val),
               f"the last val_error ({history['val_error'][-1]:.4f}) is not the validation error of the trained "
               f"parameters: the judge measures {error:.4f} on the same {len(y_val)} images")
    before, after = _cross_entropy(logits(initial, X), y), _cross_entropy(logits(params, X), y)
    ctx.expect(after <= LEARNT_FRACTION * before,
               f"train did not train: the training loss went from {before:.4f} to {after:.4f} in 3 epochs "
               f"(at most {LEARNT_FRACTION:g} x the untrained loss is expected)")


def _config_problem(config: Any) -> str | None:
    if config is None:
        return "BEST_CONFIG is not set (it is None): put your tuned settings there"
    if not isinstance(config, dict):
        return f"BEST_CONFIG should be a dict, got {type(config).__name__}"
    missing = [key for key in CONFIG_KEYS if key not in config]
    if missing:
        return f"BEST_CONFIG is missing {missing}"
    sizes = config["sizes"]
    if (not isinstance(sizes, (list, tuple)) or len(sizes) < 2
            or not all(isinstance(s, int) and not isinstance(s, bool) and 1 <= s <= 4096 for s in sizes)):
        return f"BEST_CONFIG['sizes'] should be a list of layer widths (ints from 1 to 4096), got {sizes!r}"
    if sizes[0] != 784 or sizes[-1] != 10:
        return f"BEST_CONFIG['sizes'] should start with 784 (pixels) and end with 10 (digits), got {list(sizes)}"
    for key in ("epochs", "batch_size"):
        if isinstance(config[key], bool) or not isinstance(config[key], int) or config[key] < 1:
            return f"BEST_CONFIG[{key!r}] should be a positive int, got {config[key]!r}"
    lr = config["lr"]
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not math.isfinite(lr) or lr <= 0:
        return f"BEST_CONFIG['lr'] should be a positive number, got {lr!r}"
    return None


@check("numpy_mlp", "best_config", "a network trained with BEST_CONFIG reaches the held-out error threshold",
       thresholds=("numpy_mlp_test_error",))
def best_config(ctx: Context) -> None:
    _numpy_only(ctx)
    config = ctx.get(f"{MODULE}.BEST_CONFIG")
    problem = _config_problem(config)
    if problem:  # a starter reports the NotImplementedError of the functions still to write
        ctx.call(f"{MODULE}.init_params", [784, 10], seed=ctx.seed)
        ctx.fail(problem)
    data = ctx.data("mnist")
    params, history = _fit(ctx, {**config, "sizes": list(config["sizes"])}, data.train.X, data.train.y,
                           data.val.X, data.val.y)
    _show_history(ctx, history, config, len(data.val.y))
    _expect_params(ctx, params, list(config["sizes"]), "the trained parameters")
    ctx.note(f"validation error after each epoch: {', '.join(f'{v:.4f}' for v in history['val_error'])}")
    # The worker never sees the held-out images: the judge runs its own forward pass on the trained parameters.
    predicted = logits(params, data.test.X).argmax(axis=1)
    ctx.expect_threshold("numpy_mlp_test_error", float(np.mean(predicted != data.test.y)), "held-out error rate")


@check("numpy_mlp", "saved_file", "save_params writes a plain .npz that the judge reads (allow_pickle=False) and "
       "load_params reads back in a fresh process")
def saved_file(ctx: Context) -> None:
    _numpy_only(ctx)
    sizes = [784, 32, 10]
    params = random_params(ctx.rng, sizes)
    X = ctx.data("mnist").val.X[:200]
    predicted = np.asarray(ctx.call(f"{MODULE}.predict", params, X, returns=_labels(len(X))))
    ctx.call(f"{MODULE}.save_params", params, "params.npz")
    try:  # the judge reads its own copy of the file, the safe way (at most file_mb of course.yml, unpacked too)
        saved = read_npz(ctx.worker_file("params.npz"), ctx.file_bytes)
    except FileNotFoundError:
        ctx.fail("save_params(params, 'params.npz') did not write params.npz (np.savez adds .npz to a name without "
                 "it; write to an open file, or pass the name as given)")
    except ValueError as exc:  # not a plain file, too large, or not plain arrays (UnsafeFile)
        ctx.fail(f"params.npz cannot be read with np.load(path, allow_pickle=False): {exc} (save only the parameter "
                 f"arrays, {sum(v.size for v in params.values())} numbers)")
    ctx.expect(sorted(saved) == sorted(params), f"params.npz should hold exactly the keys {sorted(params)}, "
               f"got {sorted(saved)}")
    for key, value in params.items():
        ctx.expect_close(saved[key], value, what=f"params.npz[{key!r}]", rtol=1e-6, atol=0.0)
    mine = logits(saved, X).argmax(axis=1)
    ctx.expect(bool(np.array_equal(mine, predicted)), "the judge's forward pass on params.npz disagrees with your "
               f"predict on {int(np.sum(mine != predicted))} of {len(X)} images")
    ctx.restart_worker()  # a fresh process: nothing but the file carries the parameters
    loaded = ctx.call(f"{MODULE}.load_params", "params.npz", returns=PARAMS)
    ctx.expect(sorted(loaded) == sorted(params), f"load_params('params.npz') returned the keys {sorted(loaded)}, "
               f"expected {sorted(params)}")
    for key, value in params.items():
        ctx.expect_close(loaded[key], value, what=f"load_params('params.npz')[{key!r}]", rtol=1e-6, atol=0.0)


def hand_over(ctx: Context, params: Mapping[str, np.ndarray]) -> str:
    """Write ``params`` as an ``.npz`` into the worker's working folder; returns its name there.

    The name is fresh and unguessable, and the file is created with ``O_EXCL | O_NOFOLLOW``: the judge never
    writes through a file or link the student's code planted.
    """
    name = f"other_team_{secrets.token_hex(4)}.npz"
    fd = os.open(ctx.worker.work_dir / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    os.fchmod(fd, 0o644)  # readable by the worker's user, whatever the judge's umask
    with os.fdopen(fd, "wb") as file:
        np.savez(file, **params)
    return name


@check("numpy_mlp", "other_team_file", "load_params + predict classify exactly as the judge with another team's "
       ".npz (a deeper network)")
def other_team_file(ctx: Context) -> None:
    _numpy_only(ctx)
    sizes = [784, 48, 24, 10]
    params = random_params(ctx.rng, sizes)
    X = ctx.data("mnist").test.X[:300]
    name = hand_over(ctx, params)
    loaded = ctx.call(f"{MODULE}.load_params", name, returns=PARAMS)
    ctx.expect(sorted(loaded) == sorted(params), f"load_params on another team's file returned the keys "
               f"{sorted(loaded)}, expected {sorted(params)}")
    for key, value in params.items():
        ctx.expect_close(loaded[key], value, what=f"load_params(...)[{key!r}]", rtol=1e-6, atol=0.0)
    predicted = np.asarray(ctx.call(f"{MODULE}.predict", loaded, X, returns=_labels(len(X))))
    want = logits(params, X).argmax(axis=1)
    ctx.expect(bool(np.array_equal(predicted, want)), f"with another team's 3-layer network, predict disagrees with "
               f"the judge on {int(np.sum(predicted != want))} of {len(X)} images")
