"""hw1 part 3: a multi-layer perceptron for handwritten digits (MNIST), in NumPy only.

No PyTorch here (a module that imports it is not graded): you write the forward pass, the loss and, above all,
the backward pass yourself. The network, for ``sizes = [784, h1, ..., 10]``::

    a0 = X                                   (n, 784) pixel intensities in [0, 1]
    z_l = a_{l-1} @ W_l + b_l                for l = 1 .. L
    a_l = relu(z_l)                          for the hidden layers l < L
    logits = z_L                             (n, 10): one unnormalised score per digit

The loss is the mean cross-entropy ``-log softmax(logits)[y]``. Backpropagation applies the chain rule layer by
layer, from the loss back to the inputs, reusing the activations saved by the forward pass:

* for softmax followed by cross-entropy, ``dloss/dlogits = (softmax(logits) - onehot(y)) / n``;
* for ``z = a @ W + b``: ``dW = a.T @ dz``, ``db = dz.sum(axis=0)`` and ``da = dz @ W.T``;
* for ``a = relu(z)``: ``dz = da * (z > 0)``.

Softmax needs care: ``exp(1000)`` overflows to ``inf``. Subtracting each row's maximum first changes nothing
mathematically (the common factor cancels) and keeps every exponent at most 0.

Parameters live in a plain dict ``{"W1": ..., "b1": ..., "WL": ..., "bL": ...}`` of float64 arrays, ``W_l`` of
shape ``(sizes[l-1], sizes[l])``. They are saved as an ``.npz`` file of plain arrays, which
``np.load(path, allow_pickle=False)`` reads without ever running code hidden in the file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    from autograder.data import Splits

Params = dict[str, np.ndarray]


def load_data(profile: str = "smoke", seed: int = 0) -> Splits:
    """Return MNIST as a ``Splits``: X float32 of shape (n, 784) with values in [0, 1], y int64 labels 0-9.

    ``profile="smoke"`` is a small offline version (6,000 / 2,000 / 2,000 images for train / val / test),
    ``profile="full"`` the real thing (50,000 / 10,000 / 10,000); ``seed`` chooses how images are shuffled into
    the parts.
    """
    from autograder.data import load_mnist

    return load_mnist(profile, seed=seed)


def num_layers(params: Mapping[str, np.ndarray]) -> int:
    """The number of layers ``L`` (weight matrices) in ``params``."""
    return sum(1 for key in params if key.startswith("W"))


def init_params(sizes: Sequence[int], seed: int = 0) -> Params:
    """Random initial parameters for an MLP with layer widths ``sizes`` (inputs first, outputs last).

    Returns:
        ``{"W1": ..., "b1": ..., "WL": ..., "bL": ...}`` with ``L = len(sizes) - 1``: float64 arrays, ``W{l}`` of
        shape ``(sizes[l-1], sizes[l])`` drawn from a normal distribution with standard deviation
        ``sqrt(2 / sizes[l-1])`` (He initialisation, which keeps the scale of ReLU activations from layer to
        layer), ``b{l}`` of shape ``(sizes[l],)``, zeros. ``seed`` seeds ``np.random.default_rng``.
    """
    # BEGIN SOLUTION
    # STUB: numpy_mlp.init_params: draw every W{l} with np.random.default_rng(seed), scale sqrt(2 / fan_in); biases
    # STUB: start at zero
    rng = np.random.default_rng(seed)
    params: Params = {}
    for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True), start=1):
        params[f"W{layer}"] = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))
        params[f"b{layer}"] = np.zeros(fan_out)
    return params
    # END SOLUTION


def forward(params: Mapping[str, np.ndarray], X: ArrayLike) -> np.ndarray:
    """The logits of the network for the inputs ``X`` (shape ``(n, sizes[0])``): shape ``(n, sizes[-1])``.

    Every layer but the last is followed by a ReLU; the last one outputs the logits as they are.
    """
    # BEGIN SOLUTION
    # STUB: numpy_mlp.forward: apply a @ W{l} + b{l} layer by layer, with a ReLU after every layer but the last
    a = np.asarray(X, dtype=np.float64)
    L = num_layers(params)
    for layer in range(1, L + 1):
        z = a @ params[f"W{layer}"] + params[f"b{layer}"]
        a = np.maximum(z, 0.0) if layer < L else z
    return a
    # END SOLUTION


def loss_and_grads(params: Mapping[str, np.ndarray], X: ArrayLike, y: ArrayLike) -> tuple[float, Params]:
    """The mean softmax cross-entropy of the network on ``(X, y)`` and its gradients, by backpropagation.

    Args:
        params: the parameters (see :func:`init_params`).
        X: inputs, shape ``(n, sizes[0])``.
        y: integer labels, shape ``(n,)``, in ``0 .. sizes[-1] - 1``.

    Returns:
        ``(loss, grads)``: the loss as a Python float, and ``grads[key]`` the gradient of the loss with respect to
        ``params[key]`` (same keys, same shapes). Stays finite for very large logits.
    """
    # BEGIN SOLUTION
    # STUB: numpy_mlp.loss_and_grads: run the forward pass keeping every layer's input and pre-activation, take a stable
    # STUB: log-softmax (subtract each row's max), then backpropagate from dlogits = (softmax - onehot) / n
    y = np.asarray(y)
    L = num_layers(params)
    inputs, pre_activations = [], []  # a_{l-1} and z_l for every layer l, saved for the backward pass
    a = np.asarray(X, dtype=np.float64)
    for layer in range(1, L + 1):
        z = a @ params[f"W{layer}"] + params[f"b{layer}"]
        inputs.append(a)
        pre_activations.append(z)
        a = np.maximum(z, 0.0) if layer < L else z

    # Log-softmax, stable: shift each row so that its largest logit is 0 (exponents <= 0 never overflow).
    shifted = a - a.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = len(y)
    rows = np.arange(n)
    loss = float(-log_probs[rows, y].mean())

    dz = np.exp(log_probs)  # softmax
    dz[rows, y] -= 1.0
    dz /= n  # dloss/dlogits = (softmax - onehot) / n
    grads: Params = {}
    for layer in range(L, 0, -1):
        grads[f"W{layer}"] = inputs[layer - 1].T @ dz
        grads[f"b{layer}"] = dz.sum(axis=0)
        if layer > 1:  # back through the layer to its input, then through the ReLU before it
            dz = (dz @ params[f"W{layer}"].T) * (pre_activations[layer - 2] > 0)
    return loss, grads
    # END SOLUTION


def train(
    params: Params,
    X_train: ArrayLike,
    y_train: ArrayLike,
    X_val: ArrayLike,
    y_val: ArrayLike,
    *,
    lr: float,
    epochs: int,
    batch_size: int,
    seed: int = 0,
) -> dict[str, list[float]]:
    """Train the network with mini-batch stochastic gradient descent, updating ``params`` in place.

    Args:
        params: the parameters to train (modified in place: every array is updated where it lies).
        X_train, y_train: training inputs ``(n, sizes[0])`` and integer labels ``(n,)``.
        X_val, y_val: validation inputs and labels, measured after every epoch.
        lr: learning rate.
        epochs: number of passes over the training set, each in a new random order.
        batch_size: examples per gradient step (the last batch of an epoch may be smaller).
        seed: seeds ``np.random.default_rng``, which shuffles the training set.

    Returns:
        Per-epoch lists of Python floats: ``"train_loss"`` (the mean of the epoch's batch losses, weighted by
        batch size) and ``"val_error"`` (the fraction of validation examples misclassified after the epoch).
    """
    # BEGIN SOLUTION
    # STUB: numpy_mlp.train: shuffle with np.random.default_rng(seed) every epoch, take a step params[key] -= lr *
    # STUB: grads[key] per batch, and record the epoch's mean training loss and the validation error
    X_train = np.asarray(X_train, dtype=np.float64)
    y_train = np.asarray(y_train)
    rng = np.random.default_rng(seed)
    n = len(y_train)
    history: dict[str, list[float]] = {"train_loss": [], "val_error": []}
    for _ in range(epochs):
        order = rng.permutation(n)
        total_loss = 0.0
        for start in range(0, n, batch_size):
            batch = order[start : start + batch_size]
            loss, grads = loss_and_grads(params, X_train[batch], y_train[batch])
            for key, grad in grads.items():
                params[key] -= lr * grad  # in place: the caller's arrays are trained
            total_loss += loss * len(batch)
        history["train_loss"].append(total_loss / n)
        history["val_error"].append(float(np.mean(predict(params, X_val) != np.asarray(y_val))))
    return history
    # END SOLUTION


def predict(params: Mapping[str, np.ndarray], X: ArrayLike) -> np.ndarray:
    """The predicted class of every row of ``X``: an int64 array of shape ``(n,)``."""
    # BEGIN SOLUTION
    # STUB: numpy_mlp.predict: the index of the largest logit of every row, as int64
    return forward(params, X).argmax(axis=1).astype(np.int64)
    # END SOLUTION


def save_params(params: Mapping[str, np.ndarray], path: str | os.PathLike[str]) -> None:
    """Save ``params`` to ``path`` as an ``.npz`` file holding exactly the parameter arrays, under their keys.

    The file holds plain numeric arrays only, so ``np.load(path, allow_pickle=False)`` reads it.
    It is written at ``path`` exactly (``np.savez`` given a name would add ``.npz`` to a name without it).
    """
    # BEGIN SOLUTION
    # STUB: numpy_mlp.save_params: write every array under its key with np.savez, to an open file so that the name stays
    # STUB: as given
    arrays = {key: np.asarray(value, dtype=np.float64) for key, value in params.items()}
    with open(path, "wb") as file:
        np.savez(file, **arrays)
    # END SOLUTION


def load_params(path: str | os.PathLike[str]) -> Params:
    """Load parameters written by :func:`save_params` (or anyone's ``.npz`` of the same keys).

    The file is read with ``allow_pickle=False``: a file that holds pickled objects is refused, never run.
    Returns a dict of float64 arrays under the file's keys.
    """
    # BEGIN SOLUTION
    # STUB: numpy_mlp.load_params: read the file with np.load(path, allow_pickle=False) and copy every array out of it
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key].astype(np.float64) for key in data.files}
    # END SOLUTION


def fit(
    config: Mapping[str, Any],
    X_train: ArrayLike,
    y_train: ArrayLike,
    X_val: ArrayLike,
    y_val: ArrayLike,
    seed: int = 0,
) -> tuple[Params, dict[str, list[float]]]:
    """Initialise a network of widths ``config["sizes"]`` and train it with the config's ``lr``, ``epochs`` and
    ``batch_size`` (both seeded with ``seed``). Returns ``(params, history)``.

    Given, not to be changed: the notebook uses it, and so does the grader, to train your ``BEST_CONFIG``.
    """
    params = init_params(list(config["sizes"]), seed=seed)
    history = train(params, X_train, y_train, X_val, y_val, lr=float(config["lr"]), epochs=int(config["epochs"]),
                    batch_size=int(config["batch_size"]), seed=seed)
    return params, history


#: The tuned settings: the layer widths (784 inputs first, 10 classes last) and the training settings for fit.
# BEGIN SOLUTION
# STUB: a dict {"sizes": [784, ..., 10], "lr": ..., "epochs": ..., "batch_size": ...}: the layer widths and the
# STUB: training settings that fit(BEST_CONFIG, ...) trains with
# 128 hidden units, 15 epochs of plain SGD: about 5.8% held-out error on the smoke profile (6,000 training images),
# where a linear model (sizes [784, 10]) stays near 9%; about 4 s on one CPU core.
BEST_CONFIG: dict = {"sizes": [784, 128, 10], "lr": 0.2, "epochs": 15, "batch_size": 64}
# END SOLUTION
