"""The outcome of a check and of a submission: one typed vocabulary, set where it is known, only read downstream.

A check's **status** says what happened, in Gradescope's spirit (did it pass, and if not, in which way); its
**cause** says why, finely enough to count and to explain: the runner, the batch and the command line set both
where they catch the failure, and the summary, the gradebook, the pages and Gradescope's ``results.json`` only read
them. Nothing is ever recovered from a message's words (a message is for people and may be reworded freely).

All are :class:`~enum.StrEnum`: they compare equal to, print as and are written to JSON as their values
(``"passed"``, ``"wrong_answer"``), so records keep the words they always had.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["CAUSE_LABEL", "DEFAULT_CAUSE", "DEFAULT_SUBMISSION_CAUSE", "GRADER_SIDE", "STATUS_LABEL", "TROUBLE",
           "Cause", "Status", "SubmissionStatus", "default_cause"]


class Status(StrEnum):
    """What happened to one check."""

    PASSED = "passed"  # the check ran and the answer is right
    FAILED = "failed"  # the check ran and the answer is wrong (the judge said why)
    ERROR = "error"  # the student's code raised, or could not be run (a module missing or refused)
    TIMEOUT = "timeout"  # a call ran past its time budget (the worker was killed), or the judge's own deadline
    CRASHED = "crashed"  # the worker died, broke a limit (memory, disk, output) or spoke out of turn
    BUDGET_EXHAUSTED = "budget_exhausted"  # the submission's time budget was spent before or during the check
    GRADER_ERROR = "grader_error"  # the grader failed (a bug in the check or the grader): never the student's loss


class Cause(StrEnum):
    """Why a check did not pass (``None`` on a check that passed)."""

    WRONG_ANSWER = "wrong_answer"  # the judge compared and the answer is wrong
    STUDENT_ERROR = "student_error"  # the student's code raised (NotImplementedError included)
    MISSING_MODULE = "missing_module"  # the check's module is not in the submission, or the submission has none
    REFUSED_MODULE = "refused_module"  # the module is there but was refused before it ran (too large, unreadable)
    BAD_SUBMISSION = "bad_submission"  # the submission itself cannot be read (a broken zip)
    TIMEOUT = "timeout"  # a call into the student's code ran past its time budget
    CRASH = "crash"  # the worker died or broke the conversation (exit, a signal, garbage on the wire)
    LIMIT = "limit"  # the worker went past a resource limit (memory, disk, output, processes, a reply's size)
    BUDGET = "budget"  # the submission's time budget was spent
    CHECK_BUG = "check_bug"  # the check's own code raised: a bug on the course's side
    GRADER_FAILED = "grader_failed"  # the grader could not grade the submission at all


class SubmissionStatus(StrEnum):
    """What happened to a submission as a whole (its checks say the rest)."""

    GRADED = "graded"  # every check has a result
    INVALID = "invalid"  # nothing could be graded: the student's mistake (no module, a broken zip)
    GRADER_ERROR = "grader_error"  # nothing could be graded: the grader's failure, not the student's


STATUS_LABEL: dict[Status, str] = {
    Status.PASSED: "Passed",
    Status.FAILED: "Failed",
    Status.ERROR: "Your code raised an error",
    Status.TIMEOUT: "Timed out",
    Status.CRASHED: "Your code crashed the worker",
    Status.GRADER_ERROR: "Grader error (not your fault: your instructor has been told)",
    Status.BUDGET_EXHAUSTED: "Not run to the end: your submission used up its time budget",
}
"""What a student reads for each status."""

CAUSE_LABEL: dict[Cause, str] = {
    Cause.WRONG_ANSWER: "wrong answer",
    Cause.STUDENT_ERROR: "error in the student's code",
    Cause.MISSING_MODULE: "module missing",
    Cause.REFUSED_MODULE: "module refused",
    Cause.BAD_SUBMISSION: "unreadable submission",
    Cause.TIMEOUT: "time limit of a call",
    Cause.CRASH: "worker crashed",
    Cause.LIMIT: "resource limit",
    Cause.BUDGET: "submission's time budget spent",
    Cause.CHECK_BUG: "bug in the check (grader's side)",
    Cause.GRADER_FAILED: "grader failed (grader's side)",
}
"""How the pages and the summary name each cause."""

GRADER_SIDE = frozenset({Cause.CHECK_BUG, Cause.GRADER_FAILED})
"""Causes that are the course's or the grader's fault, never the student's."""

TROUBLE = frozenset({Status.TIMEOUT, Status.CRASHED, Status.GRADER_ERROR, Status.BUDGET_EXHAUSTED})
"""Check statuses worth a grader's look: the gradebook's status column and the progress line name them."""

DEFAULT_CAUSE: dict[Status, Cause | None] = {
    Status.PASSED: None,
    Status.FAILED: Cause.WRONG_ANSWER,
    Status.ERROR: Cause.STUDENT_ERROR,
    Status.TIMEOUT: Cause.TIMEOUT,
    Status.CRASHED: Cause.CRASH,
    Status.BUDGET_EXHAUSTED: Cause.BUDGET,
    Status.GRADER_ERROR: Cause.CHECK_BUG,
}
"""The cause a record written before causes existed gets, from its status alone."""


DEFAULT_SUBMISSION_CAUSE: dict[SubmissionStatus, Cause | None] = {
    SubmissionStatus.GRADED: None,
    SubmissionStatus.INVALID: Cause.MISSING_MODULE,
    SubmissionStatus.GRADER_ERROR: Cause.GRADER_FAILED,
}
"""The cause a submission not graded gets when its record was written before causes existed."""


def default_cause(status: Status | str) -> Cause | None:
    """The cause of an old record's check (:data:`DEFAULT_CAUSE`); an unknown status counts as a student error."""
    try:
        return DEFAULT_CAUSE[Status(status)]
    except ValueError:
        return Cause.STUDENT_ERROR
