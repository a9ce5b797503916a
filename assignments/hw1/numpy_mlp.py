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
    raise NotImplementedError(
        "numpy_mlp.init_params: draw every W{l} with np.random.default_rng(seed), scale sqrt(2 / fan_in); "
        "biases start at zero"
    )


def forward(params: Mapping[str, np.ndarray], X: ArrayLike) -> np.ndarray:
    """The logits of the network for the inputs ``X`` (shape ``(n, sizes[0])``): shape ``(n, sizes[-1])``.

    Every layer but the last is followed by a ReLU; the last one outputs the logits as they are.
    """
    raise NotImplementedError(
        "numpy_mlp.forward: apply a @ W{l} + b{l} layer by layer, with a ReLU after every layer but the last"
    )


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
    raise NotImplementedError(
        "numpy_mlp.loss_and_grads: run the forward pass keeping every layer's input and pre-activation, take "
        "a stable log-softmax (subtract each row's max), then backpropagate from dlogits = (softmax - onehot) "
        "/ n"
    )


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
    raise NotImplementedError(
        "numpy_mlp.train: shuffle with np.random.default_rng(seed) every epoch, take a step params[key] -= lr "
        "* grads[key] per batch, and record the epoch's mean training loss and the validation error"
    )


def predict(params: Mapping[str, np.ndarray], X: ArrayLike) -> np.ndarray:
    """The predicted class of every row of ``X``: an int64 array of shape ``(n,)``."""
    raise NotImplementedError("numpy_mlp.predict: the index of the largest logit of every row, as int64")


def save_params(params: Mapping[str, np.ndarray], path: str | os.PathLike[str]) -> None:
    """Save ``params`` to ``path`` as an ``.npz`` file holding exactly the parameter arrays, under their keys.

    The file holds plain numeric arrays only, so ``np.load(path, allow_pickle=False)`` reads it.
    It is written at ``path`` exactly (``np.savez`` given a name would add ``.npz`` to a name without it).
    """
    raise NotImplementedError(
        "numpy_mlp.save_params: write every array under its key with np.savez, to an open file so that the "
        "name stays as given"
    )


def load_params(path: str | os.PathLike[str]) -> Params:
    """Load parameters written by :func:`save_params` (or anyone's ``.npz`` of the same keys).

    The file is read with ``allow_pickle=False``: a file that holds pickled objects is refused, never run.
    Returns a dict of float64 arrays under the file's keys.
    """
    raise NotImplementedError(
        "numpy_mlp.load_params: read the file with np.load(path, allow_pickle=False) and copy every array out "
        "of it"
    )


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
# TODO: a dict {"sizes": [784, ..., 10], "lr": ..., "epochs": ..., "batch_size": ...}: the layer widths and the training
#       settings that fit(BEST_CONFIG, ...) trains with
BEST_CONFIG: dict | None = None
