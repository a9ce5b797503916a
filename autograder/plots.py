"""What a check can show a student: figures declared by kind, drawn by the judge.

A check declares a figure with :meth:`~autograder.checks.context.Context.figure`, from arrays it already holds
(the student's answers it received, the judge's own reference computations)::

    ctx.figure(Lines("Validation RMSE against depth", [
        Curve("yours", depths, got["val_rmse"]),
        Curve("reference", depths, want["val_rmse"], reference=True),
    ], xlabel="max_depth", ylabel="RMSE (degrees F)"))

The kinds below cover what the course's checks show (curves, images, a confusion table, paths on a surface);
:mod:`autograder.results.drawing` draws each kind with matplotlib, so a new check gets figures without touching a
renderer. Only what the check puts in a figure is shown: never put held-out labels or hidden inputs in one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Confusion", "Curve", "Images", "Lines", "Plot", "Surface"]


@dataclass(frozen=True)
class Curve:
    """One line: ``y`` against ``x``. A ``reference`` curve is drawn dashed and grey, to compare with."""

    label: str
    x: Sequence[float] | Any
    y: Sequence[float] | Any
    reference: bool = False


@dataclass(frozen=True)
class Lines:
    """Curves on shared axes (RMSE against depth, loss per epoch)."""

    title: str
    curves: Sequence[Curve]
    xlabel: str = ""
    ylabel: str = ""
    log_x: bool = False
    log_y: bool = False
    caption: str = ""


@dataclass(frozen=True)
class Images:
    """Images side by side, each ``H x W`` (grey) or ``H x W x 3`` (RGB), values in [0, 1], with a caption each."""

    title: str
    images: Sequence[Any]
    captions: Sequence[str] = ()
    caption: str = ""


@dataclass(frozen=True)
class Confusion:
    """A confusion table: ``counts[i][j]`` rows with true class ``labels[i]`` predicted as ``labels[j]``."""

    title: str
    labels: Sequence[str]
    counts: Any
    caption: str = ""


@dataclass(frozen=True)
class Surface:
    """Contours of ``z`` (shape ``len(y) x len(x)``) with paths drawn over it (gradient descent trajectories)."""

    title: str
    x: Any
    y: Any
    z: Any
    paths: Sequence[Curve] = field(default_factory=tuple)
    xlabel: str = ""
    ylabel: str = ""
    caption: str = ""


Plot = Lines | Images | Confusion | Surface
"""Every kind of figure a check can declare."""
