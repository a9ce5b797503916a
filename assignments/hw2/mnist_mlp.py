"""hw2 part 2: a multi-layer perceptron for handwritten digits (MNIST), in PyTorch.

An MLP treats a 28x28 image as a flat vector of 784 pixel intensities in [0, 1]. Each hidden layer is a linear
map followed by a ReLU; the last layer outputs 10 unnormalised scores ("logits"), one per digit. Training
minimises the cross-entropy between ``softmax(logits)`` and the true label with mini-batch gradient descent.

The file format of :func:`save_model` holds only tensors and plain Python values, so it loads with
``torch.load(path, weights_only=True)``: loading it can never run code hidden in the file.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import ArrayLike
from torch import nn

if TYPE_CHECKING:
    from autograder.data import Splits

#: Number of inputs (28 x 28 pixels) and of classes (the digits 0-9).
NUM_INPUTS = 784
NUM_CLASSES = 10

#: The tuned settings: keyword arguments for build_mlp (hidden_sizes, dropout) and train (the rest).
#: Goal: at most 5% held-out error on the smoke profile (6,000 training images), training in about a minute
#: on 2 CPU cores.
BEST_CONFIG: dict | None = None  # TODO: a dict with keys hidden_sizes, dropout, lr, epochs, batch_size, optimizer


def load_data(profile: str = "smoke", seed: int = 0) -> Splits:
    """Return MNIST as a ``Splits``: X float32 of shape (n, 784) with values in [0, 1], y int64 labels 0-9.

    ``profile="smoke"`` is a small offline version (6,000 / 2,000 / 2,000 images for train / val / test),
    ``profile="full"`` the real thing (50,000 / 10,000 / 10,000); ``seed`` chooses how images are shuffled into
    the parts.
    """
    from autograder.data import load_mnist

    return load_mnist(profile, seed=seed)


def logits_in_batches(
    model: nn.Module, X: ArrayLike | torch.Tensor, device: str = "cpu", batch_size: int = 1024
) -> torch.Tensor:
    """Run ``model`` on ``X`` in evaluation mode, without tracking gradients, a batch at a time.

    The model is moved to ``device`` and put in eval mode (which turns dropout off). Returns the logits as a
    float tensor of shape (n, 10) on ``device``.
    """
    X = torch.as_tensor(X, dtype=torch.float32)
    model.to(device).eval()
    with torch.no_grad():
        return torch.cat([model(X[i : i + batch_size].to(device)) for i in range(0, len(X), batch_size)])


def build_mlp(hidden_sizes: Sequence[int] = (256,), dropout: float = 0.0) -> nn.Sequential:
    """Build an MLP ``784 -> hidden_sizes[0] -> ... -> hidden_sizes[-1] -> 10`` as an ``nn.Sequential``.

    Every hidden layer is ``nn.Linear`` followed by ``nn.ReLU``, then ``nn.Dropout(dropout)`` when
    ``dropout > 0``. The output layer is a plain ``nn.Linear`` to 10 logits (no softmax: the cross-entropy loss
    applies it). ``hidden_sizes=()`` gives multinomial logistic regression (a single linear layer).
    """
    raise NotImplementedError(
        "mnist_mlp.build_mlp: collect layers in a list: for each h in hidden_sizes add nn.Linear(previous "
        "width, h) and nn.ReLU(), plus nn.Dropout(dropout) if dropout > 0 (the first width is NUM_INPUTS = "
        "784); finish with nn.Linear(last width, NUM_CLASSES) and return nn.Sequential(*layers)."
    )


def train(
    model: nn.Module,
    X_train: ArrayLike | torch.Tensor,
    y_train: ArrayLike | torch.Tensor,
    X_val: ArrayLike | torch.Tensor,
    y_val: ArrayLike | torch.Tensor,
    *,
    lr: float,
    epochs: int,
    batch_size: int,
    optimizer: str = "sgd",
    device: str = "cpu",
    seed: int = 0,
) -> dict[str, list[float]]:
    """Train ``model`` with mini-batch gradient descent on the cross-entropy loss; validate after every epoch.

    Args:
        model: the network to train (for example from :func:`build_mlp`); it is trained in place and ends on
            ``device``, in eval mode.
        X_train, y_train: training images (n, 784) and integer labels (n,), as tensors or numpy arrays.
        X_val, y_val: validation images and labels, evaluated at the end of every epoch.
        lr: learning rate.
        epochs: number of passes over the training set.
        batch_size: images per gradient step (the last batch of an epoch may be smaller).
        optimizer: ``"sgd"`` (stochastic gradient descent with momentum 0.9) or ``"adam"``.
        device: where to train, e.g. ``"cpu"`` or ``"cuda"``.
        seed: seeds the ``torch.Generator`` that shuffles the training set every epoch. (The initial weights
            and dropout masks come from torch's global generator: call ``torch.manual_seed`` before
            :func:`build_mlp` for a fully reproducible run.)

    Returns:
        Per-epoch lists of Python floats: ``"train_loss"`` (mean cross-entropy over the epoch's training
        batches, as seen during training), ``"val_loss"`` (mean cross-entropy on the validation set) and
        ``"val_error"`` (fraction of validation images misclassified).

    Raises:
        ValueError: ``optimizer`` is neither ``"sgd"`` nor ``"adam"``.
    """
    raise NotImplementedError(
        "mnist_mlp.train: convert the data with torch.as_tensor (float32 images, int64 labels) and move model "
        "and data to device; create the optimizer (torch.optim.SGD with momentum=0.9, or torch.optim.Adam; "
        "any other name: ValueError) and one torch.Generator().manual_seed(seed); then for each epoch: call "
        "model.train(), shuffle with torch.randperm(n, generator=generator), take one optimizer step per "
        "batch of batch_size examples on F.cross_entropy, append the mean training loss of the epoch (weight "
        "each batch loss by its size), and append the validation loss and error rate computed from "
        "logits_in_batches(model, X_val, device). Return {'train_loss': [...], 'val_loss': [...], "
        "'val_error': [...]}."
    )


def predict(model: nn.Module, X: ArrayLike | torch.Tensor, device: str = "cpu") -> np.ndarray:
    """Return the predicted digit for every row of ``X`` as a numpy int64 array of shape (n,).

    The model runs in eval mode on ``device``, a batch at a time, without tracking gradients.
    """
    raise NotImplementedError(
        "mnist_mlp.predict: take the argmax over the 10 logits of logits_in_batches(model, X, device) and "
        "return it as a numpy int64 array (move it to the CPU first)."
    )


def save_model(model: nn.Module, path: str | os.PathLike[str]) -> None:
    """Save a model built by :func:`build_mlp` so that :func:`load_model` can rebuild it.

    The file holds ``{"hidden_sizes": [...], "dropout": float, "state_dict": {name: tensor}}``: plain Python
    values and CPU tensors only, readable with ``torch.load(path, weights_only=True)``. The architecture is
    read off the model's ``nn.Linear`` and ``nn.Dropout`` layers, so the model must have the layout that
    :func:`build_mlp` produces.

    Raises:
        ValueError: the model is not an ``nn.Sequential`` of the :func:`build_mlp` layout.
    """
    raise NotImplementedError(
        "mnist_mlp.save_model: read the architecture off the model: hidden_sizes = [layer.out_features for "
        "every nn.Linear but the last], dropout = p of the first nn.Dropout (0.0 if none); raise ValueError "
        "unless the model is an nn.Sequential with the same layers as build_mlp(hidden_sizes, dropout) "
        "(compare their repr); then torch.save({'hidden_sizes': hidden_sizes, 'dropout': dropout, "
        "'state_dict': model.state_dict() with every tensor detached and moved to the CPU}, path)."
    )


def load_model(path: str | os.PathLike[str]) -> nn.Module:
    """Load a model written by :func:`save_model`: rebuild it with :func:`build_mlp`, restore the weights.

    The file is read with ``weights_only=True`` (no pickled code is ever run). Returns the model on the CPU,
    in eval mode.
    """
    raise NotImplementedError(
        "mnist_mlp.load_model: checkpoint = torch.load(path, map_location='cpu', weights_only=True); rebuild "
        "the network with build_mlp(checkpoint['hidden_sizes'], checkpoint['dropout']), call "
        "load_state_dict(checkpoint['state_dict']) and return the model in eval mode."
    )
