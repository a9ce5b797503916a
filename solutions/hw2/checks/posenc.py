"""Hidden checks for ``posenc.py``: the encoding, the coordinate MLP, and what the encoding buys."""

from __future__ import annotations

import numpy as np
import torch

from autograder.checks import Array, CheckFailed, Context, DictOf, Handle, Images, StudentError, check

from . import _data

MAX_FREQS = 16
FIT_CAPTION = "Fitted on a quarter of the pixels (even rows and columns); the other pixels are predicted."


def reference_encoding(coords: np.ndarray, num_freqs: int) -> np.ndarray:
    """[coords, sin(2^k pi coords) for k < L, cos(2^k pi coords) for k < L], coordinates interleaved per k."""
    scaled = [2.0**k * np.pi * coords for k in range(num_freqs)]
    return np.concatenate([coords, *map(np.sin, scaled), *map(np.cos, scaled)], axis=-1)


@check("posenc", "positional_encoding", "positional_encoding matches the formula for several L")
def positional_encoding(ctx: Context) -> None:
    coords = ctx.rng.random((32, 2)).astype(np.float32)
    for num_freqs in (0, 1, 3, 6):
        got = ctx.call("posenc.positional_encoding", torch.from_numpy(coords), num_freqs,
                       returns=Array((len(coords), 2 + 4 * num_freqs), kinds="f", forms=("tensor",)))
        ctx.expect_close(got.double().numpy(), reference_encoding(coords.astype(np.float64), num_freqs),
                         what=f"positional_encoding(coords, {num_freqs})", rtol=0.0, atol=1e-4)


@check("posenc", "coord_mlp", "CoordMLP: any input width, the requested width, RGB in [0, 1]")
def coord_mlp(ctx: Context) -> None:
    model = ctx.call("posenc.CoordMLP", 10, hidden=32, depth=3)
    ctx.expect(isinstance(model, Handle), f"CoordMLP(...) should be a torch.nn.Module, got {type(model).__name__}")
    out = ctx.call_method(model, "__call__", torch.from_numpy((ctx.rng.normal(size=(50, 10)) * 5).astype(np.float32)),
                          returns=Array((50, 3), kinds="f", forms=("tensor",)))
    ctx.expect(bool(((out >= 0) & (out <= 1)).all()), "colours should be in [0, 1]: end with a sigmoid")
    state = ctx.call_method(model, "state_dict", returns=DictOf(Array(forms=("tensor",))))
    shapes = [tuple(t.shape) for t in state.values()]
    ctx.expect((32, 10) in shapes, f"no first layer of width hidden=32 on 10 inputs (weight shapes: {shapes})")


def _held_out_psnr(ctx: Context, num_freqs: int) -> float:
    """Fit on the training pixels in the worker, predict the held-out pixels, PSNR by the judge; the fitted model's
    whole image is kept for the figures (:func:`_fitted_image`)."""
    key = f"psnr/{num_freqs}"
    if key not in ctx.shared:
        data = ctx.data("image")
        model = ctx.call("posenc.fit_image", data.train.X, data.train.y, num_freqs=num_freqs,
                         steps=int(ctx.param("posenc_steps")), lr=float(ctx.param("posenc_lr")),
                         device=ctx.device, seed=ctx.seed)
        predicted = ctx.call("posenc.predict_colors", model, data.test.X, num_freqs, device=ctx.device,
                             returns=Array(data.test.y.shape, kinds="f", forms=("tensor",)))
        mse = float(np.mean((predicted.double().numpy().clip(0, 1) - data.test.y) ** 2))
        ctx.shared[key] = 10 * np.log10(1.0 / max(mse, 1e-12))
        ctx.shared[f"image/{num_freqs}"] = _predict_image(ctx, model, num_freqs)
    return ctx.shared[key]


def _original(ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    """Every pixel's coordinates and the whole image, rebuilt once per run from the data set's two parts."""
    return ctx.memo("posenc/full_image", lambda: _data.full_image(ctx.data("image")))


def _predict_image(ctx: Context, model: Handle, num_freqs: int) -> np.ndarray | None:
    """The fitted model's colours at every pixel, as an image (``None`` if that extra call fails: it is only for a
    figure and must not change the outcome)."""
    coords, image = _original(ctx)
    try:
        predicted = ctx.call("posenc.predict_colors", model, coords, num_freqs, device=ctx.device,
                             returns=Array((len(coords), image.shape[-1]), kinds="f", forms=("tensor",)))
    except (StudentError, CheckFailed):
        return None
    return predicted.double().numpy().reshape(image.shape).clip(0, 1)


def _fitted_image(ctx: Context, num_freqs: int) -> np.ndarray | None:
    """The whole image predicted by the model fitted with ``num_freqs`` (after :func:`_held_out_psnr`)."""
    return ctx.shared.get(f"image/{num_freqs}")


def _images_figure(ctx: Context, title: str, fits: dict[str, int]) -> None:
    """Show the original beside the images predicted by the fits ``{caption: num_freqs}`` that produced one."""
    shown = {caption: _fitted_image(ctx, n) for caption, n in fits.items()}
    shown = {caption: image for caption, image in shown.items() if image is not None}
    if shown:
        ctx.figure(Images(title, [_original(ctx)[1], *shown.values()], ["original", *shown], caption=FIT_CAPTION))


def _best_num_freqs(ctx: Context) -> tuple[int, str | None]:
    best = ctx.get("posenc.BEST_NUM_FREQS")
    if isinstance(best, bool) or not isinstance(best, int):
        return 0, f"BEST_NUM_FREQS should be an int, got {best!r}"
    if not 0 <= best <= MAX_FREQS:
        return 0, f"BEST_NUM_FREQS should be between 0 and {MAX_FREQS}, got {best}"
    return best, None


@check("posenc", "fit_quality", "an image fitted with BEST_NUM_FREQS reaches the held-out PSNR threshold",
       params=("posenc_steps", "posenc_lr"), thresholds=("posenc_psnr_db",))
def fit_quality(ctx: Context) -> None:
    best, problem = _best_num_freqs(ctx)
    psnr = _held_out_psnr(ctx, best)
    if problem:
        ctx.fail(problem)
    _images_figure(ctx, "Your image fitted with BEST_NUM_FREQS", {f"yours (L={best})": best})
    ctx.expect_threshold("posenc_psnr_db", psnr, f"held-out PSNR with {best} frequencies")


@check("posenc", "encoding_gain", "BEST_NUM_FREQS beats no encoding on held-out pixels by a clear margin",
       params=("posenc_steps", "posenc_lr"), thresholds=("posenc_gain_db",))
def encoding_gain(ctx: Context) -> None:
    best, problem = _best_num_freqs(ctx)
    without = _held_out_psnr(ctx, 0)
    with_best = _held_out_psnr(ctx, best)
    fits = {"no encoding (L=0)": 0, **({f"yours (L={best})": best} if best else {})}
    _images_figure(ctx, "No encoding against BEST_NUM_FREQS", fits)
    if problem:
        ctx.fail(problem)
    ctx.expect_threshold("posenc_gain_db", with_best - without,
                         f"PSNR gain of {best} frequencies over none ({without:.2f} dB)")
