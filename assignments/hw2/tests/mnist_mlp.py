# Public checks for hw2 part 2 (mnist_mlp.py). Run them from the assignment folder with
#     otter check mnist_mlp.py -q mnist_mlp
# or, in the notebook, with grader.check("mnist_mlp"). They use a few random "images" (no MNIST download) and are
# quick hints, not your grade: the hidden grader trains your BEST_CONFIG on held-out data.
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
    "name": "mnist_mlp",
    "points": None,
    "suites": [
        {
            "type": "doctest",
            "scored": True,
            "setup": "",
            "teardown": "",
            "cases": [
                {
                    "name": "mnist_mlp: build_mlp",
                    "hidden": False,
                    "locked": False,
                    "failure_message": (
                        "build_mlp(hidden_sizes, dropout) must return an nn.Module mapping (n, 784) inputs to (n, 10) "
                        "logits, with one Linear layer (weights + biases) per hidden size plus the output layer."
                    ),
                    "code": _fail_fast(r"""
>>> import importlib
>>> import torch
>>> from torch import nn
>>> import mnist_mlp
>>> mnist_mlp = importlib.reload(mnist_mlp)  # always test the file as it is on disk now
>>> _hw2_gen = torch.manual_seed(0)
>>> _hw2_model = mnist_mlp.build_mlp()
>>> isinstance(_hw2_model, nn.Module)  # doctest: +FAIL_FAST
True
>>> tuple(_hw2_model(torch.rand(5, 784)).shape)
(5, 10)
>>> sum(p.numel() for p in _hw2_model.parameters()) == 784 * 256 + 256 + 256 * 10 + 10
True
>>> _hw2_deep = mnist_mlp.build_mlp((32, 16), dropout=0.5)
>>> tuple(_hw2_deep(torch.rand(5, 784)).shape)
(5, 10)
>>> sum(p.numel() for p in _hw2_deep.parameters()) == 784 * 32 + 32 + 32 * 16 + 16 + 16 * 10 + 10
True
>>> any(isinstance(m, nn.Dropout) and m.p == 0.5 for m in _hw2_deep.modules())  # dropout=0.5 adds Dropout layers
True
>>> # an MLP is not a linear map: for a linear (affine) f, f(a) + f(b) == f(a + b) + f(0)
>>> _hw2_a, _hw2_b, _hw2_0 = torch.rand(3, 784), torch.rand(3, 784), torch.zeros(3, 784)
>>> with torch.no_grad():
...     _hw2_f = _hw2_model.eval()
...     _hw2_linear = torch.allclose(_hw2_f(_hw2_a) + _hw2_f(_hw2_b), _hw2_f(_hw2_a + _hw2_b) + _hw2_f(_hw2_0), atol=1e-4)
>>> _hw2_linear  # False means there is a non-linearity (ReLU) between the layers
False
"""),
                },
                {
                    "name": "mnist_mlp: train",
                    "hidden": False,
                    "locked": False,
                    "failure_message": (
                        "train(...) must return {'train_loss': [...], 'val_loss': [...], 'val_error': [...]}: one finite "
                        "float per epoch in each list, with val_error a fraction between 0 and 1."
                    ),
                    "code": _fail_fast(r"""
>>> import importlib, math
>>> import numpy as np
>>> import torch
>>> from torch import nn
>>> import mnist_mlp
>>> mnist_mlp = importlib.reload(mnist_mlp)
>>> _hw2_rng = np.random.default_rng(0)
>>> _hw2_X = _hw2_rng.random((64, 784), dtype=np.float32)
>>> _hw2_y = _hw2_rng.integers(0, 10, size=64)
>>> _hw2_gen = torch.manual_seed(0)
>>> _hw2_model = nn.Sequential(nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10))  # any model works here
>>> _hw2_hist = mnist_mlp.train(_hw2_model, _hw2_X[:48], _hw2_y[:48], _hw2_X[48:], _hw2_y[48:], lr=0.01, epochs=2, batch_size=16)
>>> isinstance(_hw2_hist, dict) and {"train_loss", "val_loss", "val_error"} <= set(_hw2_hist)  # doctest: +FAIL_FAST
True
>>> [len(_hw2_hist[k]) for k in ("train_loss", "val_loss", "val_error")]  # one entry per epoch
[2, 2, 2]
>>> all(math.isfinite(float(v)) for k in ("train_loss", "val_loss", "val_error") for v in _hw2_hist[k])
True
>>> all(0.0 <= float(v) <= 1.0 for v in _hw2_hist["val_error"])
True
>>> _hw2_hist = mnist_mlp.train(nn.Sequential(nn.Linear(784, 10)), _hw2_X[:48], _hw2_y[:48], _hw2_X[48:], _hw2_y[48:], lr=0.001, epochs=1, batch_size=16, optimizer="adam")
>>> [len(_hw2_hist[k]) for k in ("train_loss", "val_loss", "val_error")]
[1, 1, 1]
"""),
                },
                {
                    "name": "mnist_mlp: predict",
                    "hidden": False,
                    "locked": False,
                    "failure_message": "predict(model, X) must return a numpy int64 array with the arg-max class (0-9) of every row.",
                    "code": _fail_fast(r"""
>>> import importlib
>>> import numpy as np
>>> import torch
>>> from torch import nn
>>> import mnist_mlp
>>> mnist_mlp = importlib.reload(mnist_mlp)
>>> _hw2_gen = torch.manual_seed(0)
>>> _hw2_model = nn.Sequential(nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10))
>>> _hw2_X = np.random.default_rng(1).random((20, 784), dtype=np.float32)
>>> _hw2_pred = mnist_mlp.predict(_hw2_model, _hw2_X)
>>> type(_hw2_pred).__name__, str(_hw2_pred.dtype), _hw2_pred.shape
('ndarray', 'int64', (20,))
>>> bool(((_hw2_pred >= 0) & (_hw2_pred <= 9)).all())
True
>>> with torch.no_grad():
...     _hw2_expected = _hw2_model.eval()(torch.from_numpy(_hw2_X)).argmax(dim=1).numpy()
>>> bool((_hw2_pred == _hw2_expected).all())
True
"""),
                },
                {
                    "name": "mnist_mlp: save_model / load_model",
                    "hidden": False,
                    "locked": False,
                    "failure_message": (
                        "save_model must write a file that torch.load(path, weights_only=True) can read (tensors and "
                        "plain Python values only), and load_model(path) must rebuild a model with the same outputs."
                    ),
                    "code": _fail_fast(r"""
>>> import importlib, os, tempfile
>>> import torch
>>> import mnist_mlp
>>> mnist_mlp = importlib.reload(mnist_mlp)
>>> _hw2_gen = torch.manual_seed(0)
>>> _hw2_model = mnist_mlp.build_mlp((16, 8)).eval()
>>> _hw2_X = torch.rand(6, 784)
>>> with tempfile.TemporaryDirectory() as _hw2_dir:
...     _hw2_path = os.path.join(_hw2_dir, "model.pt")
...     mnist_mlp.save_model(_hw2_model, _hw2_path)
...     _hw2_raw = torch.load(_hw2_path, map_location="cpu", weights_only=True)  # must not need pickled code
...     _hw2_loaded = mnist_mlp.load_model(_hw2_path)
>>> with torch.no_grad():
...     _hw2_same = torch.allclose(_hw2_model(_hw2_X), _hw2_loaded.eval()(_hw2_X), atol=1e-6)
>>> _hw2_same
True
"""),
                },
                {
                    "name": "mnist_mlp: BEST_CONFIG",
                    "hidden": False,
                    "locked": False,
                    "failure_message": (
                        "Set BEST_CONFIG to the settings you chose in the notebook: a dict with hidden_sizes, dropout, lr, "
                        "epochs, batch_size and optimizer ('sgd' or 'adam'), none of them None."
                    ),
                    "code": _fail_fast(r"""
>>> import importlib
>>> import torch
>>> import mnist_mlp
>>> mnist_mlp = importlib.reload(mnist_mlp)
>>> _hw2_cfg = mnist_mlp.BEST_CONFIG
>>> isinstance(_hw2_cfg, dict)  # doctest: +FAIL_FAST
True
>>> sorted(k for k in ("hidden_sizes", "dropout", "lr", "epochs", "batch_size", "optimizer") if _hw2_cfg.get(k) is None)  # keys still missing or None
[]
>>> _hw2_cfg["optimizer"] in ("sgd", "adam")
True
>>> int(_hw2_cfg["epochs"]) >= 1 and int(_hw2_cfg["batch_size"]) >= 1 and float(_hw2_cfg["lr"]) > 0 and 0 <= float(_hw2_cfg["dropout"]) < 1
True
>>> tuple(mnist_mlp.build_mlp(_hw2_cfg["hidden_sizes"], _hw2_cfg["dropout"])(torch.rand(2, 784)).shape)
(2, 10)
"""),
                },
            ],
        }
    ],
}
