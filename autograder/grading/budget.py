"""The submission time budget: how long one submission's code may run over all of its checks.

Every check has a per-call budget in ``course.yml``; on top of it a submission has ``limits.submission_s`` (see
:meth:`~autograder.config.AssignmentConfig.submission_budget`). What is charged is the time spent in calls into the
student's worker (start-ups of fresh workers included), not the judge's own work, which is the same for every
submission. Each call's timeout is the smaller of its own budget and what is left of the submission's; once the
budget is spent, no further call is made and every remaining check fails with status ``budget_exhausted``. So one
slow or looping submission holds the class up for about the budget, not for the sum of every check's budget.

The runner hands :meth:`SubmissionBudget.run` to each check's :class:`~autograder.checks.Context` as its ``meter``:
every worker call a check makes goes through it.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar, cast

from ..sandbox import WorkerTimeout

__all__ = ["BudgetExhausted", "SubmissionBudget"]

T = TypeVar("T")


class BudgetExhausted(WorkerTimeout):
    """The submission's time budget is spent: the call was not made, or was cut short when the budget ran out."""

    def __init__(self, budget_s: float, *, cut_after: float | None = None, output: str = "") -> None:
        super().__init__(cut_after if cut_after is not None else 0.0, output=output)
        self.budget_s = budget_s
        detail = f": this call was stopped after {cut_after:.3g} s" if cut_after is not None else ""
        self.args = (f"{BudgetExhausted.describe(budget_s)}{detail}",)

    @staticmethod
    def describe(budget_s: float) -> str:
        """The message every check that the budget stopped carries."""
        return f"submission time budget exhausted ({budget_s:g} s)"


@dataclass
class SubmissionBudget:
    """Seconds of worker time one submission may use in all (``seconds=None``: no cap). Thread-safe."""

    seconds: float | None
    used: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        if self.seconds is not None and not (self.seconds > 0 and math.isfinite(self.seconds)):
            raise ValueError(f"a submission time budget must be a positive number of seconds, got {self.seconds!r}")

    @property
    def remaining(self) -> float:
        """Seconds left (``math.inf`` without a cap, never below 0)."""
        if self.seconds is None:
            return math.inf
        with self._lock:
            return max(0.0, self.seconds - self.used)

    @property
    def exhausted(self) -> bool:
        return self.remaining <= 0.0

    def charge(self, seconds: float) -> None:
        with self._lock:
            self.used += seconds

    def run(self, timeout: float, call: Callable[[float], T]) -> T:
        """``call(clipped_timeout)``, charged to the budget; the timeout is clipped to what is left of it.

        Raises :class:`BudgetExhausted` without calling when nothing is left, and in place of the
        :class:`~autograder.sandbox.WorkerTimeout` of a call that ran out because its timeout was clipped.
        """
        left = self.remaining
        if left <= 0.0:
            raise BudgetExhausted(cast(float, self.seconds))  # nothing left: there is a cap
        clipped = min(timeout, left)
        start = time.monotonic()
        try:
            return call(clipped)
        except BudgetExhausted:
            raise
        except WorkerTimeout as exc:
            if clipped < timeout:
                budget_s = cast(float, self.seconds)  # clipped: there is a cap
                raise BudgetExhausted(budget_s, cut_after=clipped, output=exc.output) from exc
            raise
        finally:
            self.charge(time.monotonic() - start)
