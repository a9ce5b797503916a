"""The HW1 checks show figures: the reference solution graded on the smoke profile, only the checks that draw one.

Every check listed in :data:`FIGURES` must pass and show real PNGs (decodable, not a single colour) of the kinds
listed. The plots are recorded as the checks declare them (``Context.figure``), so their data can be inspected.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import References
from figure_grading import Graded, pixels

from autograder.config import load_course
from autograder.plots import Lines, Surface

ROOT = Path(__file__).resolve().parents[1]
COURSE = load_course(ROOT / "course.yml")
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
def graded(references: References) -> Graded:
    """The result of each check on the reference solution, and the plots each declared (the session's graded
    hw1 reference)."""
    return Graded.of(references.get("hw1"))


@pytest.mark.parametrize("check_id", sorted(FIGURES))
def test_check_shows_its_figures(graded: Graded, check_id: str) -> None:
    results, plots = graded.results, graded.plots
    result = results[check_id]
    assert result.passed, (result.status, result.message[:500])  # figures only add: the reference still passes
    assert [type(plot) for plot in plots.get(check_id, [])] == FIGURES[check_id]
    assert len(result.plots) == len(FIGURES[check_id])  # every declared figure could be drawn
    for figure in result.plots:
        image = pixels(figure)
        assert image.ndim == 3 and image.shape[0] > 50 and image.shape[1] > 50
        assert float(image[..., :3].std()) > 0.01, f"{check_id}: figure {figure.title!r} is a single colour"


def test_step_sizes_show_one_walk_per_step_size(graded: Graded) -> None:
    (surface,) = graded.plots["descent.step_sizes"]
    assert isinstance(surface, Surface)
    assert [path.label.split(": lr = ")[0] for path in surface.paths] == ["too_small", "good", "too_large"]
    low, high = float(np.min(surface.x)), float(np.max(surface.x))
    good = {path.label.split(":")[0]: np.asarray(path.x, dtype=float) for path in surface.paths}["good"]
    assert len(good) == 101 and low <= good.min() and good.max() <= high  # settles on the terrain: all 100 steps
    assert np.shape(surface.z) == (len(surface.y), len(surface.x))


def test_loss_curves_are_the_returned_histories(graded: Graded) -> None:
    plots = graded.plots
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
