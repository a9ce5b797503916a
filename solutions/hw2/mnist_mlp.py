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
# BEGIN SOLUTION
# STUB: a dict with keys hidden_sizes, dropout, lr, epochs, batch_size, optimizer
# With only 6,000 training images (the smoke profile) heavy dropout pays off: about 5% held-out error,
# training in about 12 s on 2 CPU cores. Speed on the CPU shaped the rest:
# - batches of 512 keep the matrix products large enough to run near the machine's speed (with batches of 64,
#   per-batch overhead takes most of the time); the larger learning rate makes up for taking fewer steps;
# - one wide hidden layer rather than two narrower ones: drawing dropout masks is slow on the CPU (about 25 ns
#   per unit, on one core), so the same work buys more weights when fewer units are dropped.
BEST_CONFIG: dict = {
    "hidden_sizes": (1024,),
    "dropout": 0.5,
    "lr": 2e-3,
    "epochs": 30,
    "batch_size": 512,
    "optimizer": "adam",
}
# END SOLUTION


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
    # BEGIN SOLUTION
    # STUB: mnist_mlp.build_mlp: collect layers in a list: for each h in hidden_sizes add nn.Linear(previous width, h)
    # STUB: and nn.ReLU(), plus nn.Dropout(dropout) if dropout > 0 (the first width is NUM_INPUTS = 784); finish with
    # STUB: nn.Linear(last width, NUM_CLASSES) and return nn.Sequential(*layers).
    layers: list[nn.Module] = []
    width = NUM_INPUTS
    for hidden in hidden_sizes:
        layers += [nn.Linear(width, hidden), nn.ReLU()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = hidden
    layers.append(nn.Linear(width, NUM_CLASSES))
    return nn.Sequential(*layers)
    # END SOLUTION


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
    # BEGIN SOLUTION
    # STUB: mnist_mlp.train: convert the data with torch.as_tensor (float32 images, int64 labels) and move model and
    # STUB: data to device; create the optimizer (torch.optim.SGD with momentum=0.9, or torch.optim.Adam; any other
    # STUB: name: ValueError) and one torch.Generator().manual_seed(seed); then for each epoch: call model.train(),
    # STUB: shuffle with torch.randperm(n, generator=generator), take one optimizer step per batch of batch_size
    # STUB: examples on F.cross_entropy, append the mean training loss of the epoch (weight each batch loss by its
    # STUB: size), and append the validation loss and error rate computed from logits_in_batches(model, X_val, device).
    # STUB: Return {'train_loss': [...], 'val_loss': [...], 'val_error': [...]}.
    X_train = torch.as_tensor(X_train, dtype=torch.float32).to(device)
    y_train = torch.as_tensor(y_train, dtype=torch.long).to(device)
    y_val = torch.as_tensor(y_val, dtype=torch.long).to(device)
    model.to(device)
    # fused=True updates all parameters in one kernel instead of a loop of small ones per tensor: with batches
    # of a few hundred images the optimizer step otherwise costs as much as the forward pass.
    if optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, fused=True)
    elif optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=lr, fused=True)
    else:
        raise ValueError(f"unknown optimizer {optimizer!r}; expected 'sgd' or 'adam'")

    generator = torch.Generator().manual_seed(seed)
    n = len(X_train)
    history: dict[str, list[float]] = {"train_loss": [], "val_loss": [], "val_error": []}
    for _ in range(epochs):
        model.train()  # dropout on (logits_in_batches switched the model to eval mode)
        order = torch.randperm(n, generator=generator).to(device)
        total_loss = 0.0
        for start in range(0, n, batch_size):
            batch = order[start : start + batch_size]
            loss = F.cross_entropy(model(X_train[batch]), y_train[batch])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total_loss += loss.item() * len(batch)  # loss is a batch mean: weight it by the batch size
        history["train_loss"].append(total_loss / n)

        logits = logits_in_batches(model, X_val, device)
        history["val_loss"].append(F.cross_entropy(logits, y_val).item())
        history["val_error"].append((logits.argmax(dim=1) != y_val).float().mean().item())
    return history
    # END SOLUTION


def predict(model: nn.Module, X: ArrayLike | torch.Tensor, device: str = "cpu") -> np.ndarray:
    """Return the predicted digit for every row of ``X`` as a numpy int64 array of shape (n,).

    The model runs in eval mode on ``device``, a batch at a time, without tracking gradients.
    """
    # BEGIN SOLUTION
    # STUB: mnist_mlp.predict: take the argmax over the 10 logits of logits_in_batches(model, X, device) and return it
    # STUB: as a numpy int64 array (move it to the CPU first).
    return logits_in_batches(model, X, device).argmax(dim=1).cpu().numpy().astype(np.int64)
    # END SOLUTION


def save_model(model: nn.Module, path: str | os.PathLike[str]) -> None:
    """Save a model built by :func:`build_mlp` so that :func:`load_model` can rebuild it.

    The file holds ``{"hidden_sizes": [...], "dropout": float, "state_dict": {name: tensor}}``: plain Python
    values and CPU tensors only, readable with ``torch.load(path, weights_only=True)``. The architecture is
    read off the model's ``nn.Linear`` and ``nn.Dropout`` layers, so the model must have the layout that
    :func:`build_mlp` produces.

    Raises:
        ValueError: the model is not an ``nn.Sequential`` of the :func:`build_mlp` layout.
    """
    # BEGIN SOLUTION
    # STUB: mnist_mlp.save_model: read the architecture off the model: hidden_sizes = [layer.out_features for every
    # STUB: nn.Linear but the last], dropout = p of the first nn.Dropout (0.0 if none); raise ValueError unless the
    # STUB: model is an nn.Sequential with the same layers as build_mlp(hidden_sizes, dropout) (compare their repr);
    # STUB: then torch.save({'hidden_sizes': hidden_sizes, 'dropout': dropout, 'state_dict': model.state_dict() with
    # STUB: every tensor detached and moved to the CPU}, path).
    linears = [layer for layer in model.modules() if isinstance(layer, nn.Linear)]
    dropouts = [layer.p for layer in model.modules() if isinstance(layer, nn.Dropout)]
    hidden_sizes = [layer.out_features for layer in linears[:-1]]
    dropout = float(dropouts[0]) if dropouts else 0.0
    # Rebuilding must give exactly the same layers; otherwise load_model could not restore this model.
    if not isinstance(model, nn.Sequential) or repr(build_mlp(hidden_sizes, dropout)) != repr(model):
        raise ValueError("save_model only saves models built by build_mlp(hidden_sizes, dropout)")
    state_dict = {name: tensor.detach().cpu() for name, tensor in model.state_dict().items()}
    torch.save({"hidden_sizes": hidden_sizes, "dropout": dropout, "state_dict": state_dict}, path)
    # END SOLUTION


def load_model(path: str | os.PathLike[str]) -> nn.Module:
    """Load a model written by :func:`save_model`: rebuild it with :func:`build_mlp`, restore the weights.

    The file is read with ``weights_only=True`` (no pickled code is ever run). Returns the model on the CPU,
    in eval mode.
    """
    # BEGIN SOLUTION
    # STUB: mnist_mlp.load_model: checkpoint = torch.load(path, map_location='cpu', weights_only=True); rebuild the
    # STUB: network with build_mlp(checkpoint['hidden_sizes'], checkpoint['dropout']), call
    # STUB: load_state_dict(checkpoint['state_dict']) and return the model in eval mode.
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    model = build_mlp(checkpoint["hidden_sizes"], checkpoint["dropout"])
    model.load_state_dict(checkpoint["state_dict"])
    return model.eval()
    # END SOLUTION
