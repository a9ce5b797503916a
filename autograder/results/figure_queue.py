"""Figures drawn off the critical path: the judge hands each figure to a background thread and goes on with the next
check, whose calls into the worker leave the grader idle; the figures are gathered into their checks' results
before the submission's results are written.

Drawing one figure takes 0.1 to 0.4 s of matplotlib on a small machine, and a whole HW2 grading declares a dozen:
drawn in line they were about a third of the grader's own cost per submission. A check's outcome never waits for
its figures, and a figure that cannot be drawn is logged and left out, as when drawn in line.

A batch passes its :class:`~.figure_process.FigureProcess`, so that the drawing also leaves the judge's process (and
its GIL); a single submission graded on its own draws in a thread of the queue's own.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from ..checks.plots import Plot
from .drawing import draw
from .figure_process import FigureProcess
from .records import RenderedFigure

__all__ = ["FigureQueue"]

log = logging.getLogger(__name__)


@dataclass
class _Pending:
    into: list[RenderedFigure]  # the check's list of figures (the same list its CheckResult holds)
    check_id: str
    title: str
    future: Future[RenderedFigure]


class FigureQueue:
    """The figures of one submission, drawn in the background in the order they are declared: by ``process`` if
    given (a batch's drawing process), else by one thread of the queue's own.

    :meth:`finish` waits for them and appends each to the list it was declared for, so that every check's figures
    keep their order. Use as a context manager (leaving it finishes the queue).
    """

    def __init__(self, process: FigureProcess | None = None) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._submit: Callable[[Plot], Future[RenderedFigure]]
        if process is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="figures")
            pool = self._pool
            self._submit = lambda plot: pool.submit(draw, copy.deepcopy(plot))  # drawn later: copied now
        else:
            self._submit = process.submit  # pickled now
        self._pending: list[_Pending] = []

    def __enter__(self) -> FigureQueue:
        return self

    def __exit__(self, *exc: object) -> None:
        self.finish()

    def draw_into(self, into: list[RenderedFigure], check_id: str, plot: Plot) -> None:
        """Draw ``plot`` in the background; :meth:`finish` appends it to ``into``. The plot is copied first, so a
        check may change its arrays afterwards."""
        title = str(getattr(plot, "title", plot))
        self._pending.append(_Pending(into, check_id, title, self._submit(plot)))

    def finish(self) -> None:
        """Wait for every figure and put it in its check's list; a figure that failed is logged and left out."""
        pending, self._pending = self._pending, []
        for item in pending:
            try:
                item.into.append(item.future.result())
            except Exception:  # the judge's own drawing: never the student's loss
                log.exception("check %s: figure %r could not be drawn", item.check_id, item.title)
        if self._pool is not None:
            self._pool.shutdown(wait=True)
