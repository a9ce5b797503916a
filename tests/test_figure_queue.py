"""Figures drawn in the background (``autograder.results.figure_queue``): each lands in its own check's list, in the
order declared, as drawn from the values at the time it was declared; one that cannot be drawn is left out."""

from __future__ import annotations

import base64
import logging

import numpy as np
import pytest

from autograder.checks.plots import Curve, Images, Lines
from autograder.results.drawing import draw
from autograder.results.figure_queue import FigureQueue
from autograder.results.records import RenderedFigure


def _lines(title: str, ys: np.ndarray) -> Lines:
    return Lines(title, [Curve("yours", np.arange(len(ys)), ys)])


def test_figures_land_in_their_checks_in_order_and_a_broken_one_is_left_out(caplog: pytest.LogCaptureFixture) -> None:
    first: list[RenderedFigure] = []
    second: list[RenderedFigure] = []
    ys = np.array([3.0, 2.0, 1.0])
    expected = draw(_lines("a", ys.copy()))
    with caplog.at_level(logging.ERROR), FigureQueue() as queue:
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
