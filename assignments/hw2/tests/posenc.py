# Public checks for hw2 part 4 (posenc.py). Run them from the assignment folder with
#     otter check posenc.py -q posenc
# or, in the notebook, with grader.check("posenc"). They use a handful of made-up pixels and are quick hints, not
# your grade: the hidden grader fits your model on the real image and scores held-out pixels.
#
# Each case imports posenc.py afresh from disk, so it always checks the file as you last saved it. A case stops at
# its first failed assertion, whose message says what was expected.
import importlib
import math

import torch
from otter.test_files import test_case
from torch import nn

OK_FORMAT = False

name = "posenc"


@test_case(
    name="posenc: positional_encoding",
    points=1,
    hidden=False,
    failure_message=(
        "positional_encoding(coords, L) must return a float tensor of shape (N, 2 + 4L): "
        "[x, y, sin(2^0 pi x), sin(2^0 pi y), ..., sin(2^(L-1) pi y), cos(2^0 pi x), cos(2^0 pi y), ..., "
        "cos(2^(L-1) pi y)]; with L = 0 it returns the coordinates unchanged."
    ),
)
def test_positional_encoding() -> None:
    posenc = importlib.reload(importlib.import_module("posenc"))  # always test the file as it is on disk now
    coords = torch.tensor([[0.0, 0.5], [0.25, 1.0], [0.1, 0.7]])
    enc = posenc.positional_encoding(coords, 2)
    assert isinstance(enc, torch.Tensor), f"expected a torch.Tensor, got a {type(enc).__name__}"
    assert tuple(enc.shape) == (3, 10), f"3 points with L = 2 give shape (3, 2 + 4 * 2), not {tuple(enc.shape)}"
    expected = torch.tensor([
        [x, y]
        + [math.sin(2**k * math.pi * v) for k in range(2) for v in (x, y)]
        + [math.cos(2**k * math.pi * v) for k in range(2) for v in (x, y)]
        for x, y in coords.tolist()
    ])
    row = [round(v, 4) + 0.0 for v in enc[1].tolist()]
    assert torch.allclose(enc.float(), expected, atol=1e-5), (
        f"the row of x = 0.25, y = 1.0 is {row}; expected [0.25, 1.0, 0.7071, 0.0, 1.0, 0.0, 0.7071, -1.0, 0.0, 1.0]")
    shape = tuple(posenc.positional_encoding(coords, 4).shape)
    assert shape == (3, 18), f"3 points with L = 4 give shape (3, 18), not {shape}"
    assert torch.allclose(posenc.positional_encoding(coords, 0).float(), coords), (
        "with L = 0 (no frequencies) the encoding is just (x, y)")


@test_case(
    name="posenc: CoordMLP",
    points=1,
    hidden=False,
    failure_message=(
        "CoordMLP(in_features, hidden, depth) must be an nn.Module mapping (N, in_features) to (N, 3) "
        "colours in [0, 1] (a sigmoid at the end)."
    ),
)
def test_coord_mlp() -> None:
    posenc = importlib.reload(importlib.import_module("posenc"))
    torch.manual_seed(0)
    model = posenc.CoordMLP(10)
    assert isinstance(model, nn.Module), f"CoordMLP(10) is a {type(model).__name__}, not an nn.Module"
    out = model(10 * torch.randn(7, 10))
    assert tuple(out.shape) == (7, 3), f"7 inputs give an output of shape {tuple(out.shape)}, not (7, 3)"
    assert bool(((out >= 0) & (out <= 1)).all()), "colours must lie in [0, 1]: end with a sigmoid"
    shape = tuple(posenc.CoordMLP(2, hidden=32, depth=2)(torch.rand(4, 2)).shape)
    assert shape == (4, 3), f"CoordMLP(2, hidden=32, depth=2) maps 4 inputs to shape {shape}, not (4, 3)"


@test_case(
    name="posenc: fit_image",
    points=1,
    hidden=False,
    failure_message=(
        "fit_image(coords, colors, num_freqs=..., steps=..., lr=...) must encode the coordinates, train "
        "a CoordMLP on them with Adam and return it (an nn.Module taking the encoded coordinates). "
        "After 100 steps on 16 pixels it should fit them far better than their average colour does."
    ),
)
def test_fit_image() -> None:
    posenc = importlib.reload(importlib.import_module("posenc"))
    grid = torch.linspace(0, 1, 4)
    coords = torch.cartesian_prod(grid, grid)  # 16 pixels of a 4 x 4 image
    colors = torch.rand(16, 3, generator=torch.Generator().manual_seed(0))
    model = posenc.fit_image(coords, colors, num_freqs=2, steps=20, lr=1e-3)
    assert isinstance(model, nn.Module), f"fit_image returned a {type(model).__name__}, not an nn.Module"
    model = posenc.fit_image(coords, colors, num_freqs=2, steps=100, lr=3e-3)
    with torch.no_grad():
        pred = model.eval()(posenc.positional_encoding(coords, 2))
    assert tuple(pred.shape) == (16, 3), f"the model maps 16 pixels to shape {tuple(pred.shape)}, not (16, 3)"
    mse = float(((pred - colors) ** 2).mean())
    mse_mean_colour = float(((colors.mean(dim=0) - colors) ** 2).mean())
    assert mse < 0.5 * mse_mean_colour, (
        f"after 100 steps the MSE is {mse:.4f}; predicting the average colour gives {mse_mean_colour:.4f}: "
        "the model should have learned something about these pixels")


@test_case(
    name="posenc: predict_colors",
    points=1,
    hidden=False,
    failure_message=(
        "predict_colors(model, coords, num_freqs) must run the model on the encoded coordinates "
        "(without tracking gradients) and return the colours as an (N, 3) tensor on the CPU."
    ),
)
def test_predict_colors() -> None:
    posenc = importlib.reload(importlib.import_module("posenc"))
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2 + 4 * 3, 3), nn.Sigmoid())  # any model of the encoded coordinates
    coords = torch.rand(9, 2)
    pred = posenc.predict_colors(model, coords, 3)
    assert isinstance(pred, torch.Tensor), f"expected a torch.Tensor, got a {type(pred).__name__}"
    got = (tuple(pred.shape), str(pred.device), pred.requires_grad)
    assert got == ((9, 3), "cpu", False), f"(shape, device, requires_grad) is {got}, not ((9, 3), 'cpu', False)"
    with torch.no_grad():
        expected = model(posenc.positional_encoding(coords, 3))
    assert torch.allclose(pred, expected, atol=1e-6), "the colours differ from the model's output on the encoding"


@test_case(
    name="posenc: BEST_NUM_FREQS",
    points=1,
    hidden=False,
    failure_message="Set BEST_NUM_FREQS to the number of frequencies you chose in the notebook (an int >= 0).",
)
def test_best_num_freqs() -> None:
    posenc = importlib.reload(importlib.import_module("posenc"))
    value = posenc.BEST_NUM_FREQS
    assert type(value).__name__ == "int", f"BEST_NUM_FREQS is a {type(value).__name__}, not an int"
    assert value >= 0, f"BEST_NUM_FREQS is {value}; it must be at least 0"
