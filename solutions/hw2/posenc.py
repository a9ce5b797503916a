"""hw2 part 4: storing an image in an MLP, with and without positional encoding.

A "coordinate MLP" maps a pixel's (row, col) position to its RGB colour. Trained on a quarter of the pixels (every
other row and column) it should fill in the rest. Fed the raw coordinates it can only produce a blurry image: an
MLP with ReLUs learns smooth, low-frequency functions of its inputs first (the "spectral bias"). Feeding it sines
and cosines of the coordinates at frequencies 1, 2, 4, ... (a positional encoding, as in NeRF) lets it express
sharp edges; too many frequencies and it fits the training pixels with high-frequency noise that does not
generalise to the pixels in between.
"""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from numpy.typing import ArrayLike
from torch import nn

if TYPE_CHECKING:
    from autograder.data import Splits

#: The number of frequencies that gives the best held-out PSNR (measure it on the 128 x 128 image).
# BEGIN SOLUTION
# STUB: the num_freqs with the best held-out PSNR in your experiments
# 4 frequencies gave the best held-out PSNR on the 128 x 128 image.
BEST_NUM_FREQS: int = 4
# END SOLUTION


def load_data(size: int = 128) -> Splits:
    """Return the course image of ``size`` x ``size`` pixels as a ``Splits`` of pixels.

    ``X`` holds (row, col) coordinates scaled to [0, 1] (float32, shape (n, 2)) and ``y`` the RGB colours in
    [0, 1] (float32, shape (n, 3)). ``train`` is the pixels with an even row and an even column (a quarter of
    the image); ``test`` is all the others.
    """
    from autograder.data import image_splits, load_image

    return image_splits(load_image(size))


def psnr(pred: ArrayLike | torch.Tensor, target: ArrayLike | torch.Tensor) -> float:
    """Peak signal-to-noise ratio in dB, ``10 * log10(1 / MSE)``, for colours in [0, 1]. Higher is better."""
    pred = torch.as_tensor(pred).detach().cpu().double()
    target = torch.as_tensor(target).detach().cpu().double()
    return float(10 * torch.log10(1 / torch.mean((pred - target) ** 2)))


def positional_encoding(coords: ArrayLike | torch.Tensor, num_freqs: int) -> torch.Tensor:
    """Encode 2-D coordinates with sines and cosines at ``num_freqs`` octaves.

    For coordinates ``(x, y)`` and ``L = num_freqs`` the columns of the result are, in this order::

        x, y,
        sin(2^0 pi x), sin(2^0 pi y), sin(2^1 pi x), sin(2^1 pi y), ..., sin(2^(L-1) pi x), sin(2^(L-1) pi y),
        cos(2^0 pi x), cos(2^0 pi y), cos(2^1 pi x), cos(2^1 pi y), ..., cos(2^(L-1) pi x), cos(2^(L-1) pi y)

    that is the raw coordinates, then all sines (frequency by frequency, the two coordinates side by side),
    then all cosines in the same order.

    Args:
        coords: shape (N, 2), a tensor or numpy array.
        num_freqs: the number of frequencies L (0 returns the coordinates unchanged).

    Returns:
        A float32 tensor of shape (N, 2 + 4 * L), on the same device as ``coords`` when it is a tensor.
    """
    # BEGIN SOLUTION
    # STUB: posenc.positional_encoding: convert coords to a float32 tensor; if num_freqs == 0 return it; else make freqs
    # STUB: = pi * 2**k for k = 0..num_freqs-1 (shape (L,)), angles = (coords[:, None, :] * freqs[:,
    # STUB: None]).flatten(start_dim=1) (shape (N, 2L), ordered x, y per frequency), and return torch.cat([coords,
    # STUB: torch.sin(angles), torch.cos(angles)], dim=1).
    coords = torch.as_tensor(coords, dtype=torch.float32)
    if num_freqs == 0:
        return coords
    freqs = math.pi * 2.0 ** torch.arange(num_freqs, dtype=torch.float32, device=coords.device)  # (L,)
    # (N, 1, 2) * (L, 1) -> (N, L, 2); flattening the last two axes gives [k=0: x, y, k=1: x, y, ...].
    angles = (coords[:, None, :] * freqs[:, None]).flatten(start_dim=1)
    return torch.cat([coords, torch.sin(angles), torch.cos(angles)], dim=1)
    # END SOLUTION


class CoordMLP(nn.Module):
    """An MLP from (encoded) pixel coordinates to RGB colours in [0, 1].

    ``depth`` hidden layers of ``hidden`` units, each a Linear followed by a ReLU (the first takes
    ``in_features`` inputs), then a Linear to 3 outputs and a sigmoid, so colours always lie in [0, 1].
    """

    def __init__(self, in_features: int, hidden: int = 256, depth: int = 4) -> None:
        # BEGIN SOLUTION
        # STUB: posenc.CoordMLP.__init__: call super().__init__(), then set self.net = nn.Sequential of depth blocks
        # STUB: nn.Linear(width, hidden), nn.ReLU() (the first block's width is in_features, the others hidden),
        # STUB: followed by nn.Linear(hidden, 3) and nn.Sigmoid().
        super().__init__()
        layers: list[nn.Module] = []
        for i in range(depth):
            layers += [nn.Linear(in_features if i == 0 else hidden, hidden), nn.ReLU()]
        layers += [nn.Linear(hidden, 3), nn.Sigmoid()]
        self.net = nn.Sequential(*layers)
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map inputs of shape (N, in_features) to colours of shape (N, 3)."""
        # BEGIN SOLUTION
        # STUB: posenc.CoordMLP.forward: return self.net(x), the colours of shape (N, 3).
        return self.net(x)
        # END SOLUTION


def fit_image(
    coords: ArrayLike | torch.Tensor,
    colors: ArrayLike | torch.Tensor,
    *,
    num_freqs: int,
    steps: int,
    lr: float,
    device: str = "cpu",
    seed: int = 0,
) -> nn.Module:
    """Fit a :class:`CoordMLP` (default size) to the given pixels and return it.

    Every step is one full-batch Adam update on the mean squared error between the predicted and true
    colours of all given pixels; only these pixels are seen.

    Args:
        coords: pixel coordinates, shape (N, 2).
        colors: their RGB colours in [0, 1], shape (N, 3).
        num_freqs: frequencies of the :func:`positional_encoding` applied to ``coords``.
        steps: number of gradient steps.
        lr: Adam's learning rate.
        device: where to train, e.g. ``"cpu"`` or ``"cuda"``.
        seed: seeds torch's global generator before the weights are initialised.

    Returns:
        The trained model, on ``device``, in eval mode.
    """
    # BEGIN SOLUTION
    # STUB: posenc.fit_image: call torch.manual_seed(seed); encode inputs = positional_encoding(coords, num_freqs) and
    # STUB: the colours as a float32 tensor, both on device; build CoordMLP(inputs.shape[1]) on device and
    # STUB: torch.optim.Adam(model.parameters(), lr=lr); take steps full-batch steps on F.mse_loss(model(inputs),
    # STUB: targets) (zero_grad, backward, step); return model.eval().
    torch.manual_seed(seed)  # the initial weights are the only randomness in training
    inputs = positional_encoding(coords, num_freqs).to(device)
    targets = torch.as_tensor(colors, dtype=torch.float32).to(device)
    model = CoordMLP(inputs.shape[1]).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        loss = F.mse_loss(model(inputs), targets)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval()
    # END SOLUTION


def predict_colors(
    model: nn.Module, coords: ArrayLike | torch.Tensor, num_freqs: int, device: str = "cpu"
) -> torch.Tensor:
    """Predict the colours at ``coords`` with a model from :func:`fit_image` trained with ``num_freqs``.

    Runs in eval mode on ``device`` without tracking gradients. Returns a float tensor of shape (N, 3) on the
    CPU, with values in [0, 1].
    """
    # BEGIN SOLUTION
    # STUB: posenc.predict_colors: move the model to device, put it in eval mode and, under torch.no_grad(), return
    # STUB: model(positional_encoding(coords, num_freqs) on device) moved to the CPU (shape (N, 3)).
    model.to(device).eval()
    with torch.no_grad():
        return model(positional_encoding(coords, num_freqs).to(device)).cpu()
    # END SOLUTION


def show_reconstruction(model: nn.Module, num_freqs: int, size: int, path: str | os.PathLike[str]) -> None:
    """Draw the ``size`` x ``size`` course image next to the model's reconstruction of it; save a PNG to ``path``.

    The reconstruction predicts every pixel, the ones the model was trained on and the held-out ones; the title
    gives the PSNR on the held-out pixels.
    """
    from autograder.data import image_splits, load_image, pixel_coords

    image = load_image(size)
    device = next(model.parameters()).device  # predict where the model already is
    reconstruction = predict_colors(model, pixel_coords(size, size), num_freqs, device).reshape(size, size, 3)
    test = image_splits(image).test
    held_out = psnr(predict_colors(model, test.X, num_freqs, device), test.y)

    fig = Figure(figsize=(8, 4.3))
    left, right = fig.subplots(1, 2)
    left.imshow(image)
    left.set_title("original")
    right.imshow(reconstruction.numpy())
    right.set_title(f"MLP, num_freqs={num_freqs}: {held_out:.1f} dB held out")
    for ax in (left, right):
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
