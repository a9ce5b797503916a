"""The HW2 checks show figures: the reference solution graded on the smoke profile (once per test session).

Every check listed in :data:`FIGURES` must pass and show at least one real PNG (decodable, not a single colour) of
the kinds listed; the digits ``mnist_mlp.best_config`` shows are captioned with the model's prediction, never the
true label. The plots are recorded as the checks declare them (``Context.figure``), so their data can be inspected.
Those tests are slow (real training: a few minutes on 2 shared cores); the figure helpers' handling of malformed
answers is tested quickly, without a worker.
"""

from __future__ import annotations

import base64
import re
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from conftest import References
from figure_grading import PNG_MAGIC, Graded, pixels

from autograder.checks import load_checks
from autograder.config import load_course
from autograder.data import image_splits
from autograder.plots import Confusion, Images, Lines
from autograder.results.drawing import draw

ROOT = Path(__file__).resolve().parents[1]
COURSE = load_course(ROOT / "course.yml")
FIGURES: dict[str, type] = {
    "trees.depth_sweep_tree": Lines,
    "trees.depth_sweep_forest": Lines,
    "trees.depth_sweep_boosting": Lines,
    "mnist_mlp.train_history": Lines,
    "mnist_mlp.best_config": Images,
    "penguins.is_gentoo": Confusion,
    "penguins.is_gentoo_without_flipper": Confusion,
    "penguins.classifier": Confusion,
    "posenc.fit_quality": Images,
    "posenc.encoding_gain": Images,
}
"""Each check that must show a figure, and the kind of its figure."""

pytestmark = pytest.mark.skipif("hw2" not in COURSE.assignments, reason="course.yml has no hw2")


@pytest.fixture(scope="module")
def graded(references: References) -> Graded:
    """The session's graded hw2 reference (trained once per session), as the figure tests read it."""
    return Graded.of(references.get("hw2"))


@pytest.mark.slow
@pytest.mark.parametrize("check_id", sorted(FIGURES))
def test_check_shows_a_figure(graded: Graded, check_id: str) -> None:
    result = graded.results[check_id]
    assert result.passed, (result.status, result.message[:500])  # figures only add: the reference still passes
    assert result.plots, f"{check_id} showed no figure"
    for figure in result.plots:
        image = pixels(figure)
        assert image.ndim == 3 and image.shape[0] > 50 and image.shape[1] > 50
        assert float(image[..., :3].std()) > 0.01, f"{check_id}: figure {figure.title!r} is a single colour"
    kinds = {type(plot) for plot in graded.plots[check_id]}
    assert FIGURES[check_id] in kinds, kinds
    assert len(result.plots) == len(graded.plots[check_id])  # every declared figure could be drawn


@pytest.mark.slow
def test_depth_sweep_figures_show_the_students_curves_beside_the_reference(graded: Graded) -> None:
    for kind in ("tree", "forest", "boosting"):
        (plot,) = graded.plots[f"trees.depth_sweep_{kind}"]
        assert isinstance(plot, Lines)
        assert sorted(curve.reference for curve in plot.curves) == [False, False, True, True]


@pytest.mark.slow
def test_wrong_digits_are_captioned_with_the_prediction_never_the_true_label(graded: Graded) -> None:
    test = graded.grader.judge.data["mnist"].test
    (plot,) = graded.plots["mnist_mlp.best_config"]
    assert isinstance(plot, Images) and 0 < len(plot.images) == len(plot.captions) <= 8
    for image, caption in zip(plot.images, plot.captions, strict=True):
        match = re.fullmatch(r"yours: (\d)", caption)
        assert match, caption
        rows = np.flatnonzero((test.X == np.asarray(image).reshape(-1)).all(axis=1))
        assert len(rows) >= 1, "a digit shown is not a held-out image"
        assert all(int(match.group(1)) != test.y[row] for row in rows), "a caption shows the true label"
    assert not re.search(r"\btrue\b|\blabel\b", plot.caption, re.IGNORECASE), plot.caption


@pytest.mark.slow
def test_penguin_confusion_tables_count_every_held_out_row(graded: Graded) -> None:
    sizes = {check_id: int(np.sum(plot.counts)) for check_id in FIGURES if check_id.startswith("penguins.")
             for plot in graded.plots[check_id] if isinstance(plot, Confusion)}
    assert len(set(sizes.values())) == 1 and min(sizes.values()) > 0, sizes
    (rule,) = graded.plots["penguins.is_gentoo"]
    (classifier,) = graded.plots["penguins.classifier"]
    assert np.shape(rule.counts) == (2, 2) and np.shape(classifier.counts) == (3, 3)


@pytest.mark.slow
def test_posenc_figures_show_the_original_and_whole_fitted_images(graded: Graded) -> None:
    (gain,) = graded.plots["posenc.encoding_gain"]
    assert isinstance(gain, Images) and gain.captions[:2] == ["original", "no encoding (L=0)"]
    assert len(gain.images) == 3 and gain.captions[2].startswith("yours (L=")
    shapes = {np.shape(image) for image in gain.images}
    assert len(shapes) == 1 and next(iter(shapes))[-1] == 3, shapes
    original, blurry, sharp = (np.asarray(image) for image in gain.images)
    assert np.abs(sharp - original).mean() < np.abs(blurry - original).mean()


# ------------------------------------------------------------------------------- the figure helpers, without a worker


def _checks_module(name: str) -> ModuleType:
    """A module of the hw2 checks (``_data``, ``trees``...), imported as the grader imports them."""
    package = "autograder_checks_hw2"
    load_checks(COURSE.path(COURSE.assignment("hw2").checks), package=package)
    __import__(f"{package}.{name}")
    return sys.modules[f"{package}.{name}"]


@pytest.mark.parametrize("got", [{"train_rmse": [3.0, 2.0, 1.0]}, {"train_rmse": [1.0, 2.0], "val_rmse": "x"},
                                 {"train_rmse": [[1.0]], "val_rmse": [None, "a", 1]}, [1.0, 2.0, 3.0], None])
def test_a_malformed_sweep_shows_the_reference_and_what_is_usable(got: object) -> None:
    want = {"train_rmse": [4.0, 3.0, 2.0], "val_rmse": [5.0, 4.5, 4.8]}
    plot = _checks_module("trees")._sweep_figure("tree", [1, 3, 5], got, want)
    usable = 1 if isinstance(got, dict) and got.get("train_rmse") == [3.0, 2.0, 1.0] else 0
    assert sum(not curve.reference for curve in plot.curves) == usable
    assert sum(curve.reference for curve in plot.curves) == 2
    assert base64.b64decode(draw(plot).png_base64).startswith(PNG_MAGIC)


def test_wrong_digits_figure_shows_only_predictions_and_nothing_when_all_are_right() -> None:
    module = _checks_module("mnist_mlp")
    images = np.random.default_rng(0).random((20, 784))
    truth = np.arange(20) % 10
    assert module._wrong_digits_figure(images, truth, np.zeros(20, dtype=bool)) is None
    predicted = (truth + 1) % 10
    plot = module._wrong_digits_figure(images, predicted, predicted != truth)
    assert plot.captions == [f"yours: {d}" for d in predicted[:8]]
    assert all(np.array_equal(image, images[i].reshape(28, 28)) for i, image in enumerate(plot.images))


def test_confusion_counts_rows_are_true_classes() -> None:
    true, predicted = np.array(["a", "a", "b", "b"]), np.array(["a", "b", "b", "z"])
    counts = _checks_module("penguins")._confusion_counts(true, predicted, ["a", "b"])
    assert counts.tolist() == [[1, 1], [0, 1]]


def test_full_image_puts_the_two_parts_back_together() -> None:
    image = np.random.default_rng(1).random((7, 5, 3)).astype(np.float32)
    coords, rebuilt = _checks_module("_data").full_image(image_splits(image))
    assert np.array_equal(rebuilt, image) and coords.shape == (35, 2)
