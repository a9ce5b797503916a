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
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

from ..plots import Plot
from .drawing import draw
from .figure_process import FigureProcess
from .records import RenderedFigure

__all__ = ["FigureQueue"]

log = logging.getLogger(__name__)
FIGURES_S = 60.0
"""How long a submission's results wait for its figures, all together, once its checks are done."""


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
        self._process = process
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

    def finish(self, timeout: float = FIGURES_S) -> None:
        """Wait for every figure, at most ``timeout`` seconds in all, and put each in its check's list; a figure that
        failed, or is not drawn by then, is logged and left out (and a drawing process that missed the deadline is
        killed: the next figure starts another)."""
        pending, self._pending = self._pending, []
        deadline = time.monotonic() + timeout
        late = False
        for item in pending:
            try:
                item.into.append(item.future.result(timeout=max(0.0, deadline - time.monotonic())))
            except FutureTimeout:
                late = True
                log.warning("check %s: figure %r was not drawn within %g s; left out", item.check_id, item.title,
                            timeout)
            except Exception:  # the judge's own drawing: never the student's loss
                log.exception("check %s: figure %r could not be drawn", item.check_id, item.title)
        if late and self._process is not None:
            self._process.kill()
        if self._pool is not None:
            self._pool.shutdown(wait=not late, cancel_futures=True)
