"""Test support: grade an assignment's reference solution on the smoke profile, recording the plots checks declare.

Used by ``test_check_figures.py`` (HW2) and ``test_check_figures_hw1.py``: only the listed checks run, each
``Context.figure`` call is recorded (so a test can inspect a figure's data, not only its PNG), and the drawing
still happens as in a real run.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pytest

from autograder.checks.context import Context
from autograder.config import Course
from autograder.grading.grader import Grader, load_grader
from autograder.grading.runner import grade_submission
from autograder.grading.submissions import Submission, find_modules
from autograder.plots import Plot
from autograder.results.records import CheckResult, RenderedFigure

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass
class Graded:
    """The grader (for its data), the result of each graded check and the plots each declared, in order."""

    grader: Grader
    results: dict[str, CheckResult]
    plots: dict[str, list[Plot]]


def grade_reference(course: Course, assignment: str, check_ids: Iterable[str], *,
                    threads: int | None = None) -> Graded:
    """Grade ``assignment``'s reference on the smoke profile, running only ``check_ids`` (no time budget)."""
    wanted = set(check_ids)
    config = course.assignment(assignment)
    grader = load_grader(course, assignment, "smoke", tasks=sorted({check_id.split(".", 1)[0] for check_id in wanted}))
    grader.checks = [spec for spec in grader.checks if spec.id in wanted]
    plots: dict[str, list[Plot]] = {}
    draw = Context.figure

    def record(ctx: Context, plot: Plot) -> None:
        plots.setdefault(ctx.spec.id, []).append(plot)
        draw(ctx, plot)

    solution = course.path(config.solution)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Context, "figure", record)
        result = grade_submission(grader, Submission("solution", solution, find_modules(solution, config.modules)),
                                  budget_s=math.inf, threads=threads)
    return Graded(grader, {check.id: check for check in result.checks}, plots)


def pixels(figure: RenderedFigure) -> np.ndarray:
    """A drawn figure's pixels; fails unless it is a real PNG."""
    import matplotlib.image

    png = base64.b64decode(figure.png_base64)
    assert png.startswith(PNG_MAGIC), f"{figure.title!r} is not a PNG"
    return matplotlib.image.imread(io.BytesIO(png), format="png")
