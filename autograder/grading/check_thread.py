"""The judge's own deadline: a check's code runs in a thread of its own, which the judge stops waiting for.

A check's calls into the worker are bounded by their time budgets, but the check's own code runs in the judge: a
hung ``open()``, a comparison far slower than its author expected, a library that waits on something. So a
submission's checks run one after another in a :class:`CheckThread`, and the job that grades the submission waits
for each one with a deadline on the *judge's* time: the check's elapsed time minus the time its worker calls took
(:attr:`~autograder.checks.context.Context.call_seconds`), against ``limits.judge_s``. A check past it is
abandoned: its thread is left behind (a daemon, stuck or not), the check ends as a timeout, and the submission goes
on in a fresh thread with a fresh worker; the abandoned check can make no further call into the worker.

One long-lived thread rather than a thread per check: a worker started by a check (after a restart) dies with the
thread that started it (``PR_SET_PDEATHSIG``), so it must outlive the check.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

__all__ = ["POLL_S", "CheckThread"]

T = TypeVar("T")
POLL_S = 0.05


class CheckThread:
    """One daemon thread that runs the functions given to it in order (see the module docstring)."""

    def __init__(self) -> None:
        self._tasks: queue.SimpleQueue[tuple[Callable[[], object], Future[object]] | None] = queue.SimpleQueue()
        self.abandoned = False
        self._thread = threading.Thread(target=self._serve, name="checks", daemon=True)
        self._thread.start()

    def run(self, fn: Callable[[], T], judge_seconds: Callable[[], float], limit_s: float) -> T | None:
        """Run ``fn`` in the thread and wait until it returns, or until ``judge_seconds()`` (polled) passes
        ``limit_s``: its result, or ``None`` once the thread is abandoned (so ``fn`` must not return ``None``). ``fn``
        should not raise (a check's outcome is classified inside it); if it does, so does this."""
        if self.abandoned:
            raise RuntimeError("this check thread was abandoned")
        future: Future[object] = Future()
        self._tasks.put((fn, future))
        while True:
            try:
                return future.result(timeout=POLL_S)  # type: ignore[return-value]  # what fn returned
            except FutureTimeout:
                if judge_seconds() > limit_s:
                    self.abandoned = True
                    self._tasks.put(None)  # it ends after fn, if fn ever returns
                    return None

    def close(self) -> None:
        """Let the thread end once it is idle (returns at once)."""
        self._tasks.put(None)

    def _serve(self) -> None:
        while (task := self._tasks.get()) is not None:
            fn, future = task
            try:
                future.set_result(fn())
            except BaseException as exc:  # fn classifies its own exceptions; this is a bug in the judge
                future.set_exception(exc)
