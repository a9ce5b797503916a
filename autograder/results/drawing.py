"""Draw the figures checks declare (:mod:`autograder.plots`) as PNGs, one renderer per kind.

Drawn by the judge with matplotlib's Agg canvas on a :class:`matplotlib.figure.Figure` (never pyplot, whose global
state is not safe when submissions are graded side by side in threads). Figures are small on purpose (about
20-40 KB each): they are embedded in every student's ``feedback.html`` and in Gradescope's ``results.json``.
Values may come from a student's answer, so they are bounded here: curves are thinned to :data:`MAX_POINTS`,
non-finite values become gaps, images are clipped to [0, 1] and at most :data:`MAX_IMAGES` are drawn.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from typing import Any

import numpy as np

from ..plots import Confusion, Curve, Images, Lines, Plot, Surface
from .records import RenderedFigure

__all__ = ["MAX_IMAGES", "MAX_POINTS", "draw"]

MAX_POINTS = 2000  # points per curve; longer curves are thinned evenly
MAX_IMAGES = 12
_DPI = 80
_REFERENCE_STYLE = {"linestyle": "--", "color": "0.45"}


def draw_into(into: list[RenderedFigure], plot: Plot) -> None:
    """Draw ``plot`` now and append it to ``into`` (a check's figures, drawn in line when no queue draws them)."""
    into.append(draw(plot))


def draw(plot: Plot) -> RenderedFigure:
    """Draw ``plot`` and return it as a PNG; raises ``TypeError`` for an unknown kind, ``ValueError`` for bad data."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    renderer = _RENDERERS.get(type(plot))
    if renderer is None:
        raise TypeError(f"not a figure kind of autograder.plots: {type(plot).__name__}")
    figure = Figure(figsize=(5.5, 3.4), dpi=_DPI)
    FigureCanvasAgg(figure)
    renderer(figure, plot)
    figure.suptitle(plot.title, fontsize=11)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return RenderedFigure(plot.title, base64.b64encode(buffer.getvalue()).decode("ascii"), plot.caption)


def _series(values: Any) -> np.ndarray:
    """A 1-D float array with non-finite values as NaN (drawn as gaps), thinned to :data:`MAX_POINTS`."""
    array = np.asarray(values, dtype=float).reshape(-1)
    array = np.where(np.isfinite(array), array, np.nan)
    if len(array) > MAX_POINTS:
        array = array[np.linspace(0, len(array) - 1, MAX_POINTS).astype(int)]
    return array


def _curve(axes: Any, curve: Curve) -> None:
    x, y = _series(curve.x), _series(curve.y)
    if len(x) != len(y):
        raise ValueError(f"curve {curve.label!r}: {len(x)} x values for {len(y)} y values")
    style = dict(_REFERENCE_STYLE) if curve.reference else {}
    axes.plot(x, y, marker="o" if len(x) <= 30 else None, markersize=4, label=curve.label, **style)


def _lines(figure: Any, plot: Lines) -> None:
    from matplotlib.ticker import MaxNLocator

    axes = figure.add_subplot()
    for curve in plot.curves:
        _curve(axes, curve)
    axes.set_xlabel(plot.xlabel)
    axes.set_ylabel(plot.ylabel)
    if all(_integral(curve.x) for curve in plot.curves):  # epochs, depths: no tick at 1.5
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    if plot.log_x:
        axes.set_xscale("log")
    if plot.log_y:
        axes.set_yscale("log")
    axes.grid(alpha=0.3)
    if plot.curves:
        axes.legend(fontsize=8)


def _integral(values: Any) -> bool:
    array = np.asarray(values, dtype=float)
    return bool(array.size) and bool(np.all(np.isfinite(array) & (array == np.round(array))))


def _image(values: Any) -> np.ndarray:
    image = np.clip(np.nan_to_num(np.asarray(values, dtype=float)), 0.0, 1.0)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[-1] != 3):
        raise ValueError(f"an image is H x W or H x W x 3, got shape {image.shape}")
    return image


def _images(figure: Any, plot: Images) -> None:
    images = [_image(v) for v in list(plot.images)[:MAX_IMAGES]]
    if not images:
        raise ValueError("no image to draw")
    captions = list(plot.captions) + [""] * len(images)
    for i, image in enumerate(images):
        axes = figure.add_subplot(1, len(images), i + 1)
        axes.imshow(image, cmap="gray" if image.ndim == 2 else None, vmin=0.0, vmax=1.0, interpolation="nearest")
        axes.set_title(captions[i], fontsize=9)
        axes.set_axis_off()


def _confusion(figure: Any, plot: Confusion) -> None:
    counts = np.asarray(plot.counts, dtype=float)
    labels = [str(label) for label in plot.labels]
    if counts.shape != (len(labels), len(labels)):
        raise ValueError(f"a confusion table for {len(labels)} classes is {len(labels)} x {len(labels)}, "
                         f"got shape {counts.shape}")
    axes = figure.add_subplot()
    axes.imshow(counts, cmap="Blues", vmin=0.0)
    top = counts.max() if counts.size else 0.0
    for (i, j), value in np.ndenumerate(counts):
        axes.text(j, i, f"{value:g}", ha="center", va="center", color="white" if value > top / 2 else "black")
    axes.set_xticks(range(len(labels)), labels, fontsize=8)
    axes.set_yticks(range(len(labels)), labels, fontsize=8)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")


def _surface(figure: Any, plot: Surface) -> None:
    x, y, z = (np.asarray(v, dtype=float) for v in (plot.x, plot.y, plot.z))
    if z.shape != (len(y), len(x)):
        raise ValueError(f"z should have shape (len(y), len(x)) = {(len(y), len(x))}, got {z.shape}")
    axes = figure.add_subplot()
    contours = axes.contourf(x, y, z, levels=12, cmap="terrain")
    figure.colorbar(contours, ax=axes)
    for path in plot.paths:
        _curve(axes, path)
    axes.set_xlim(x.min(), x.max())
    axes.set_ylim(y.min(), y.max())
    axes.set_xlabel(plot.xlabel)
    axes.set_ylabel(plot.ylabel)
    if plot.paths:
        axes.legend(fontsize=8, loc="upper right")


_RENDERERS: dict[type, Callable[[Any, Any], None]] = {
    Lines: _lines, Images: _images, Confusion: _confusion, Surface: _surface,
}
