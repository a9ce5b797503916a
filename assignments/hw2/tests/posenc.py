# Public checks for hw2 part 4 (posenc.py). Run them from the assignment folder with
#     otter check posenc.py -q posenc
# or, in the notebook, with grader.check("posenc"). They use a handful of made-up pixels and are quick hints, not
# your grade: the hidden grader fits your model on the real image and scores held-out pixels.
OK_FORMAT = True


def _fail_fast(code):
    """Stop a case at its first broken step: mark every example that expects no output ``FAIL_FAST``.

    Those are the set-up steps (imports, calls whose results the next lines check); once one fails, the rest of
    the case could only report NameErrors. Examples with an expected output are checks, and all of them run.
    """
    lines, out, i = code.split("\n"), [], 0
    while i < len(lines):
        if not lines[i].startswith(">>> "):
            out.append(lines[i])
            i += 1
            continue
        j = i + 1
        while j < len(lines) and lines[j].startswith("..."):
            j += 1
        expects_output = j < len(lines) and lines[j].strip() != "" and not lines[j].startswith(">>>")
        is_step = not expects_output and not lines[i][4:].lstrip().startswith("#") and "doctest:" not in lines[i]
        out.append(lines[i] + "  # doctest: +FAIL_FAST" if is_step else lines[i])
        out.extend(lines[i + 1 : j])
        i = j
    return "\n".join(out)


test = {
    "name": "posenc",
    "points": None,
    "suites": [
        {
            "type": "doctest",
            "scored": True,
            "setup": "",
            "teardown": "",
            "cases": [
                {
                    "name": "posenc: positional_encoding",
                    "hidden": False,
                    "locked": False,
                    "failure_message": (
                        "positional_encoding(coords, L) must return a float tensor of shape (N, 2 + 4L): "
                        "[x, y, sin(2^0 pi x), sin(2^0 pi y), ..., sin(2^(L-1) pi y), cos(2^0 pi x), cos(2^0 pi y), ..., "
                        "cos(2^(L-1) pi y)]; with L = 0 it returns the coordinates unchanged."
                    ),
                    "code": _fail_fast(r"""
>>> import importlib, math
>>> import torch
>>> import posenc
>>> posenc = importlib.reload(posenc)  # always test the file as it is on disk now
>>> _hw2_coords = torch.tensor([[0.0, 0.5], [0.25, 1.0], [0.1, 0.7]])
>>> _hw2_enc = posenc.positional_encoding(_hw2_coords, 2)
>>> isinstance(_hw2_enc, torch.Tensor), tuple(_hw2_enc.shape)  # 2 + 4 * 2 columns
(True, (3, 10))
>>> def _hw2_expected_row(x, y, L):
...     sines = [math.sin(2 ** k * math.pi * v) for k in range(L) for v in (x, y)]
...     cosines = [math.cos(2 ** k * math.pi * v) for k in range(L) for v in (x, y)]
...     return [x, y] + sines + cosines
>>> _hw2_expected = torch.tensor([_hw2_expected_row(x, y, 2) for x, y in _hw2_coords.tolist()])
>>> torch.allclose(_hw2_enc.float(), _hw2_expected, atol=1e-5)
True
>>> [round(v, 4) + 0.0 for v in _hw2_enc[1].tolist()]  # x = 0.25, y = 1.0
[0.25, 1.0, 0.7071, 0.0, 1.0, 0.0, 0.7071, -1.0, 0.0, 1.0]
>>> tuple(posenc.positional_encoding(_hw2_coords, 4).shape)
(3, 18)
>>> torch.allclose(posenc.positional_encoding(_hw2_coords, 0).float(), _hw2_coords)  # no frequencies: just (x, y)
True
"""),
                },
                {
                    "name": "posenc: CoordMLP",
                    "hidden": False,
                    "locked": False,
                    "failure_message": (
                        "CoordMLP(in_features, hidden, depth) must be an nn.Module mapping (N, in_features) to (N, 3) "
                        "colours in [0, 1] (a sigmoid at the end)."
                    ),
                    "code": _fail_fast(r"""
>>> import importlib
>>> import torch
>>> from torch import nn
>>> import posenc
>>> posenc = importlib.reload(posenc)
>>> _hw2_gen = torch.manual_seed(0)
>>> _hw2_model = posenc.CoordMLP(10)
>>> isinstance(_hw2_model, nn.Module)  # doctest: +FAIL_FAST
True
>>> _hw2_out = _hw2_model(10 * torch.randn(7, 10))
>>> tuple(_hw2_out.shape)
(7, 3)
>>> bool(((_hw2_out >= 0) & (_hw2_out <= 1)).all())
True
>>> tuple(posenc.CoordMLP(2, hidden=32, depth=2)(torch.rand(4, 2)).shape)
(4, 3)
"""),
                },
                {
                    "name": "posenc: fit_image",
                    "hidden": False,
                    "locked": False,
                    "failure_message": (
                        "fit_image(coords, colors, num_freqs=..., steps=..., lr=...) must encode the coordinates, train "
                        "a CoordMLP on them with Adam and return it (an nn.Module taking the encoded coordinates). "
                        "After 100 steps on 16 pixels it should fit them far better than their average colour does."
                    ),
                    "code": _fail_fast(r"""
>>> import importlib
>>> import torch
>>> from torch import nn
>>> import posenc
>>> posenc = importlib.reload(posenc)
>>> _hw2_grid = torch.linspace(0, 1, 4)
>>> _hw2_coords = torch.cartesian_prod(_hw2_grid, _hw2_grid)  # 16 pixels of a 4 x 4 image
>>> _hw2_colors = torch.rand(16, 3, generator=torch.Generator().manual_seed(0))
>>> _hw2_model = posenc.fit_image(_hw2_coords, _hw2_colors, num_freqs=2, steps=20, lr=1e-3)
>>> isinstance(_hw2_model, nn.Module)  # doctest: +FAIL_FAST
True
>>> _hw2_model = posenc.fit_image(_hw2_coords, _hw2_colors, num_freqs=2, steps=100, lr=3e-3)
>>> with torch.no_grad():
...     _hw2_pred = _hw2_model.eval()(posenc.positional_encoding(_hw2_coords, 2))
>>> tuple(_hw2_pred.shape)
(16, 3)
>>> _hw2_mse = float(((_hw2_pred - _hw2_colors) ** 2).mean())
>>> _hw2_mse_mean_colour = float(((_hw2_colors.mean(dim=0) - _hw2_colors) ** 2).mean())
>>> _hw2_mse < 0.5 * _hw2_mse_mean_colour  # it learned something about these pixels
True
"""),
                },
                {
                    "name": "posenc: predict_colors",
                    "hidden": False,
                    "locked": False,
                    "failure_message": (
                        "predict_colors(model, coords, num_freqs) must run the model on the encoded coordinates "
                        "(without tracking gradients) and return the colours as an (N, 3) tensor on the CPU."
                    ),
                    "code": _fail_fast(r"""
>>> import importlib
>>> import torch
>>> from torch import nn
>>> import posenc
>>> posenc = importlib.reload(posenc)
>>> _hw2_gen = torch.manual_seed(0)
>>> _hw2_model = nn.Sequential(nn.Linear(2 + 4 * 3, 3), nn.Sigmoid())  # any model of the encoded coordinates
>>> _hw2_coords = torch.rand(9, 2)
>>> _hw2_pred = posenc.predict_colors(_hw2_model, _hw2_coords, 3)
>>> isinstance(_hw2_pred, torch.Tensor), tuple(_hw2_pred.shape), str(_hw2_pred.device), _hw2_pred.requires_grad
(True, (9, 3), 'cpu', False)
>>> with torch.no_grad():
...     _hw2_expected = _hw2_model(posenc.positional_encoding(_hw2_coords, 3))
>>> torch.allclose(_hw2_pred, _hw2_expected, atol=1e-6)
True
"""),
                },
                {
                    "name": "posenc: BEST_NUM_FREQS",
                    "hidden": False,
                    "locked": False,
                    "failure_message": "Set BEST_NUM_FREQS to the number of frequencies you chose in the notebook (an int >= 0).",
                    "code": _fail_fast(r"""
>>> import importlib
>>> import posenc
>>> posenc = importlib.reload(posenc)
>>> type(posenc.BEST_NUM_FREQS).__name__
'int'
>>> posenc.BEST_NUM_FREQS >= 0
True
"""),
                },
            ],
        }
    ],
}
