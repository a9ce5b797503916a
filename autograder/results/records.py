"""What grading produces: one record per check, one per submission (plain dataclasses).

A check's ``status`` and ``cause`` and a submission's ``status`` and ``cause`` come from :mod:`.outcome` (what each
value means is written there). Records written before causes existed load with :func:`~.outcome.default_cause`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .outcome import DEFAULT_SUBMISSION_CAUSE, Cause, Status, SubmissionStatus, default_cause


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
    status: Status
    message: str = ""
    output: str = ""
    notes: list[str] = field(default_factory=list)
    figures: dict[str, float] = field(default_factory=dict)  # measured values judged against thresholds
    seconds: float = 0.0
    plots: list[RenderedFigure] = field(default_factory=list)  # what the check drew to explain its result
    visibility: str = "visible"  # course.yml's tasks.<t>.checks.<c>.visibility (Gradescope's values)
    cause: Cause | None = None  # why it did not pass (None: it passed)

    def __post_init__(self) -> None:
        self.status = Status(self.status)
        if self.cause:
            self.cause = Cause(self.cause)
        elif self.status != Status.PASSED:  # a record written before causes existed
            self.cause = default_cause(self.status)

    @property
    def hidden(self) -> bool:
        """The course hides this check from students: only its points count, its details are not shown."""
        return self.visibility == "hidden"

    @property
    def passed(self) -> bool:
        return self.status == Status.PASSED

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckResult:
        """A check read back from a record; one written before causes existed gets its status's default cause."""
        return cls(**{**data, "plots": [RenderedFigure(**p) for p in data.get("plots", [])]})


@dataclass
class SubmissionResult:
    submission_id: str
    assignment: str
    profile: str
    checks: list[CheckResult]
    seconds: float = 0.0
    status: SubmissionStatus = SubmissionStatus.GRADED
    message: str = ""
    fingerprint: str = ""
    grader_version: str = ""
    device: str = ""
    isolation: str = ""  # how the worker was confined: "bwrap", "user" or "none"
    sandbox_uid: int | None = None  # the uid student code ran as outside the sandbox (None: not run, or an old record)
    flags: list[str] = field(default_factory=list)  # findings a person should look at (e.g. embedded data)
    student_s: float = 0.0  # seconds spent in calls into the student's worker (the submission budget's meter)
    cause: Cause | None = None  # why nothing was graded (None: graded)

    def __post_init__(self) -> None:
        self.status = SubmissionStatus(self.status)
        if self.cause:
            self.cause = Cause(self.cause)
        else:  # graded, or a record written before causes existed
            self.cause = DEFAULT_SUBMISSION_CAUSE[self.status]

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
        return cls(**{**data, "checks": [CheckResult.from_dict(c) for c in data.get("checks", [])]})
