"""Test support for the figure tests (``test_check_figures.py``, HW2, and ``test_check_figures_hw1.py``): a view
of the session's graded reference (tests/conftest.py ``references``: every ``Context.figure`` call is recorded, so
a test can inspect a figure's data, not only its PNG; the drawing still happens as in a real run), and helpers that
read a drawn figure's pixels.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from autograder.grading.grader import Grader
from autograder.plots import Plot
from autograder.results.records import CheckResult, RenderedFigure

if TYPE_CHECKING:
    from conftest import GradedReference

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass
class Graded:
    """The grader (for its data), the result of each graded check and the plots each declared, in order."""

    grader: Grader
    results: dict[str, CheckResult]
    plots: dict[str, list[Plot]]

    @classmethod
    def of(cls, reference: GradedReference) -> Graded:
        """The view of a session's graded reference (tests/conftest.py ``references``)."""
        return cls(reference.grader, {c.id: c for c in reference.result.checks}, reference.plots)


def pixels(figure: RenderedFigure) -> np.ndarray:
    """A drawn figure's pixels; fails unless it is a real PNG."""
    import matplotlib.image

    png = base64.b64decode(figure.png_base64)
    assert png.startswith(PNG_MAGIC), f"{figure.title!r} is not a PNG"
    return matplotlib.image.imread(io.BytesIO(png), format="png")
