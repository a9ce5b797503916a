"""What grading produces: one record per check, one per submission (plain dataclasses)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# passed        the check ran and the answer is right
# failed        the check ran and the answer is wrong (the judge said why)
# error         the student's code raised (NotImplementedError included)
# timeout       a call ran past its time budget; the worker was killed
# crashed       the worker died, broke a limit (memory, output) or spoke out of turn
# grader_error  the check itself failed: a bug on our side, flagged for the instructor
# budget_exhausted  the submission's time budget (limits.submission_s) was spent before or during the check
STATUSES = ("passed", "failed", "error", "timeout", "crashed", "grader_error", "budget_exhausted")


@dataclass
class RenderedFigure:
    """A figure a check declared (:mod:`autograder.plots`), drawn by the judge: a PNG, base64-encoded."""

    title: str
    png_base64: str
    caption: str = ""

    @property
    def data_uri(self) -> str:
        return f"data:image/png;base64,{self.png_base64}"


@dataclass
class CheckResult:
    id: str
    task: str
    title: str
    max_score: float
    score: float
    status: str
    message: str = ""
    output: str = ""
    notes: list[str] = field(default_factory=list)
    figures: dict[str, float] = field(default_factory=dict)  # measured values judged against thresholds
    seconds: float = 0.0
    plots: list[RenderedFigure] = field(default_factory=list)  # what the check drew to explain its result
    visibility: str = "visible"  # course.yml's tasks.<t>.checks.<c>.visibility (Gradescope's values)

    @property
    def hidden(self) -> bool:
        """The course hides this check from students: only its points count, its details are not shown."""
        return self.visibility == "hidden"

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@dataclass
class SubmissionResult:
    submission_id: str
    assignment: str
    profile: str
    checks: list[CheckResult]
    seconds: float = 0.0
    status: str = "graded"  # "graded", or "invalid" when no student module could be found
    message: str = ""
    fingerprint: str = ""
    grader_version: str = ""
    device: str = ""
    isolation: str = ""  # how the worker was confined: "bwrap", "user" or "none"
    sandbox_uid: int | None = None  # the uid student code ran as outside the sandbox (None: not run, or an old record)
    flags: list[str] = field(default_factory=list)  # findings a person should look at (e.g. embedded data)
    student_s: float = 0.0  # seconds spent in calls into the student's worker (the submission budget's meter)

    @property
    def score(self) -> float:
        return sum(c.score for c in self.checks)

    @property
    def max_score(self) -> float:
        return sum(c.max_score for c in self.checks)

    def task_scores(self) -> dict[str, float]:
        scores: dict[str, float] = {}
        for result in self.checks:
            scores[result.task] = scores.get(result.task, 0.0) + result.score
        return scores

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SubmissionResult:
        checks = [CheckResult(**{**c, "plots": [RenderedFigure(**p) for p in c.get("plots", [])]})
                  for c in data.get("checks", [])]
        return cls(**{**data, "checks": checks})
