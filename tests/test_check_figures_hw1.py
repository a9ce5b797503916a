"""The HW1 checks show figures: the reference solution graded on the smoke profile, only the checks that draw one.

Every check listed in :data:`FIGURES` must pass and show real PNGs (decodable, not a single colour) of the kinds
listed. The plots are recorded as the checks declare them (``Context.figure``), so their data can be inspected.
"""

from __future__ import annotations

import base64
import io
import math
from pathlib import Path

import numpy as np
import pytest

from autograder.checks.context import Context
from autograder.checks.plots import Lines, Plot, Surface
from autograder.config import load_course
from autograder.grading.grader import load_grader
from autograder.grading.runner import grade_submission
from autograder.grading.submissions import Submission, find_modules
from autograder.results.records import CheckResult

ROOT = Path(__file__).resolve().parents[1]
COURSE = load_course(ROOT / "course.yml")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FIGURES: dict[str, list[type]] = {
    "descent.gradient_descent": [Surface],
    "descent.step_sizes": [Surface],
    "linreg.fit": [Lines],
    "numpy_mlp.train": [Lines, Lines],
    "numpy_mlp.best_config": [Lines, Lines],
}
"""Each check that must show figures, and the kinds of its figures in order."""

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif("hw1" not in COURSE.assignments, reason="course.yml has no hw1")]


@pytest.fixture(scope="module")
def graded() -> tuple[dict[str, CheckResult], dict[str, list[Plot]]]:
    """The result of each check of :data:`FIGURES` on the reference solution, and the plots each declared."""
    config = COURSE.assignment("hw1")
    tasks = sorted({check_id.split(".", 1)[0] for check_id in FIGURES})
    grader = load_grader(COURSE, "hw1", "smoke", tasks=tasks)
    grader.checks = [spec for spec in grader.checks if spec.id in FIGURES]
    plots: dict[str, list[Plot]] = {}
    draw = Context.figure

    def record(ctx: Context, plot: Plot) -> None:
        plots.setdefault(ctx.spec.id, []).append(plot)
        draw(ctx, plot)

    solution = COURSE.path(config.solution)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Context, "figure", record)
        result = grade_submission(grader, Submission("solution", solution, find_modules(solution, config.modules)),
                                  budget_s=math.inf)
    return {check.id: check for check in result.checks}, plots


def _pixels(png_base64: str) -> np.ndarray:
    from matplotlib.image import imread

    png = base64.b64decode(png_base64)
    assert png.startswith(PNG_MAGIC)
    return imread(io.BytesIO(png), format="png")


@pytest.mark.parametrize("check_id", sorted(FIGURES))
def test_check_shows_its_figures(graded: tuple[dict[str, CheckResult], dict[str, list[Plot]]], check_id: str) -> None:
    results, plots = graded
    result = results[check_id]
    assert result.passed, (result.status, result.message[:500])  # figures only add: the reference still passes
    assert [type(plot) for plot in plots.get(check_id, [])] == FIGURES[check_id]
    assert len(result.plots) == len(FIGURES[check_id])  # every declared figure could be drawn
    for figure in result.plots:
        pixels = _pixels(figure.png_base64)
        assert pixels.ndim == 3 and pixels.shape[0] > 50 and pixels.shape[1] > 50
        assert float(pixels[..., :3].std()) > 0.01, f"{check_id}: figure {figure.title!r} is a single colour"


def test_step_sizes_show_one_walk_per_step_size(graded: tuple[dict[str, CheckResult], dict[str, list[Plot]]]) -> None:
    (surface,) = graded[1]["descent.step_sizes"]
    assert isinstance(surface, Surface)
    assert [path.label.split(": lr = ")[0] for path in surface.paths] == ["too_small", "good", "too_large"]
    low, high = float(np.min(surface.x)), float(np.max(surface.x))
    good = {path.label.split(":")[0]: np.asarray(path.x, dtype=float) for path in surface.paths}["good"]
    assert len(good) == 101 and low <= good.min() and good.max() <= high  # settles on the terrain: all 100 steps
    assert np.shape(surface.z) == (len(surface.y), len(surface.x))


def test_loss_curves_are_the_returned_histories(graded: tuple[dict[str, CheckResult], dict[str, list[Plot]]]) -> None:
    plots = graded[1]
    (linreg,) = plots["linreg.fit"]
    assert isinstance(linreg, Lines)
    assert [curve.reference for curve in linreg.curves] == [False, True]  # theirs, then the least-squares level
    epochs = COURSE.assignment("hw1").profile("smoke").params["linreg_epochs"]
    assert len(linreg.curves[0].y) == epochs
    for check_id in ("numpy_mlp.train", "numpy_mlp.best_config"):
        loss, error = plots[check_id]
        assert isinstance(loss, Lines) and isinstance(error, Lines)
        assert len(loss.curves) == len(error.curves) == 1
        assert all(0.0 <= value <= 1.0 for value in error.curves[0].y)
