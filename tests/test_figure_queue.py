"""Figures drawn in the background (``autograder.results.figure_queue``): each lands in its own check's list, in the
order declared, as drawn from the values at the time it was declared; one that cannot be drawn is left out. The
same holds when a batch's drawing process (``autograder.results.figure_process``) draws them, and that process is
started again when it dies."""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import signal
from pathlib import Path

import numpy as np
import pytest

from autograder.config import load_course
from autograder.grading.batch import BatchOptions, grade_batch
from autograder.grading.grader import load_grader
from autograder.grading.submissions import Submission, find_modules
from autograder.plots import Curve, Images, Lines
from autograder.results.drawing import draw
from autograder.results.figure_process import FigureProcess
from autograder.results.figure_queue import FigureQueue
from autograder.results.records import RenderedFigure
from autograder.sandbox.confine.unconfined import NoIsolation

FEEDBACK_COURSE = Path(__file__).resolve().parents[1] / "tests" / "feedback_course" / "course.yml"


def _lines(title: str, ys: np.ndarray) -> Lines:
    return Lines(title, [Curve("yours", np.arange(len(ys)), ys)])


@pytest.mark.parametrize("in_process", [False, True], ids=["thread", "process"])
def test_figures_land_in_their_checks_in_order_and_a_broken_one_is_left_out(
    caplog: pytest.LogCaptureFixture, in_process: bool
) -> None:
    first: list[RenderedFigure] = []
    second: list[RenderedFigure] = []
    ys = np.array([3.0, 2.0, 1.0])
    expected = draw(_lines("a", ys.copy()))
    with contextlib.ExitStack() as stack:  # left in reverse: the queue finishes, then the process closes
        stack.enter_context(caplog.at_level(logging.ERROR))
        process = stack.enter_context(FigureProcess()) if in_process else None
        queue = stack.enter_context(FigureQueue(process))
        queue.draw_into(first, "t.one", _lines("a", ys))
        ys[:] = [0.0, 0.0, 0.0]  # changed after being declared: the figure shows the values declared
        queue.draw_into(second, "t.two", Images("not an image", [[1.0, 2.0, 3.0]]))  # 1-D: cannot be drawn
        queue.draw_into(first, "t.one", _lines("b", ys))
        queue.draw_into(second, "t.two", _lines("c", ys))
        assert first == [] and second == []  # nothing is put in a result before the queue finishes
    assert [figure.title for figure in first] == ["a", "b"]
    assert [figure.title for figure in second] == ["c"]
    assert first[0].png_base64 == expected.png_base64
    assert base64.b64decode(first[1].png_base64).startswith(b"\x89PNG")
    assert "check t.two: figure 'not an image' could not be drawn" in caplog.text


def test_the_drawing_process_is_started_again_after_it_dies(caplog: pytest.LogCaptureFixture) -> None:
    with FigureProcess() as process, caplog.at_level(logging.WARNING):
        first = process.submit(_lines("before", np.arange(3.0))).result(timeout=120)
        assert process._drawer is not None
        dead = process._drawer.process
        os.kill(dead.pid, signal.SIGKILL)
        dead.wait()
        again = process.submit(_lines("after", np.arange(3.0))).result(timeout=120)  # a new process draws it
        assert process._drawer.process is not dead
    assert first.title == "before" and again.title == "after"
    assert base64.b64decode(again.png_base64).startswith(b"\x89PNG")


def test_figures_in_flight_when_the_drawing_process_dies_fail_instead_of_hanging() -> None:
    with FigureProcess() as process:
        pending = [process.submit(_lines("lost", np.arange(3.0)))]
        assert process._drawer is not None
        child = process._drawer.process
        os.kill(child.pid, signal.SIGSTOP)  # still starting: it cannot have answered
        pending += [process.submit(_lines("lost too", np.arange(3.0))) for _ in range(2)]
        os.kill(child.pid, signal.SIGKILL)
        for future in pending:
            with pytest.raises(RuntimeError, match="figure drawing process"):
                future.result(timeout=60)
    with pytest.raises(RuntimeError, match="closed"):
        process.submit(_lines("late", np.arange(3.0)))


def test_a_batch_draws_its_figures_outside_the_judge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Drawing in the judge is made to fail: a batch's figures still come, drawn by its drawing process."""
    import autograder.results.figure_queue as figure_queue

    def not_here(plot: object) -> RenderedFigure:
        raise AssertionError("a batch drew a figure in the judge's process")

    monkeypatch.setattr(figure_queue, "draw", not_here)
    monkeypatch.setenv("AUTOGRADER_KEY_FILE", str(tmp_path / "record.key"))
    grader = load_grader(load_course(FEEDBACK_COURSE), "fb", reference_cache=False)
    folder = tmp_path / "class" / "right"
    folder.mkdir(parents=True)
    (folder / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    options = BatchOptions(out=tmp_path / "out", jobs=2, report=False, isolation=NoIsolation())
    [result] = grade_batch(grader, [Submission("right", folder, find_modules(folder, ["calc"]))], options)
    figures = [figure for check in result.checks for figure in check.plots]
    assert figures and all(base64.b64decode(figure.png_base64).startswith(b"\x89PNG") for figure in figures)
