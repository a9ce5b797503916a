"""What a student may see of a graded submission: shared by ``feedback.md``, ``feedback.html`` and ``results.json``.

``course.yml`` gives each check a ``visibility`` in Gradescope's words. A ``hidden`` check's points count in the
scores, but its title, message, notes, output and figures are never shown to the student: the pages list only how
many checks are hidden and what they are worth. ``after_due_date`` and ``after_published`` checks are shown in the
local pages (which the course hands out when it publishes grades) with a label saying when Gradescope shows them;
``results.json`` passes the value on and Gradescope holds them back until then.
"""

from __future__ import annotations

from .outcome import CAUSE_LABEL, STATUS_LABEL, Status
from .records import CheckResult, SubmissionResult

__all__ = ["check_output", "hidden_line", "shown_checks", "task_maxima", "verdict", "when_shown"]
_WHEN = {"after_due_date": "shown on Gradescope after the due date",
         "after_published": "shown on Gradescope once grades are published"}


def verdict(check: CheckResult) -> str:
    """The check's outcome in a student's words: the status, and for a check that did not pass its cause
    (``Your code raised an error: module missing``)."""
    label = STATUS_LABEL[check.status]
    if check.status == Status.PASSED or check.cause is None:
        return label
    return f"{label}: {CAUSE_LABEL[check.cause]}"


def check_output(result: CheckResult) -> str:
    """The text a student sees for one check: verdict, reason, notes, then their own printed output."""
    lines = [f"{verdict(result)} ({result.seconds:.1f} s)"]
    if result.message:
        lines.append(result.message)
    lines.extend(result.notes)
    if result.output.strip():
        lines += ["", "Output of your code:", result.output.rstrip()]
    return "\n".join(lines)


def shown_checks(result: SubmissionResult) -> list[CheckResult]:
    """The checks whose details a student may see (all but the course's ``hidden`` ones), in order."""
    return [c for c in result.checks if not c.hidden]


def hidden_line(result: SubmissionResult) -> str:
    """One sentence on the hidden checks (how many, their points), or ``""`` when there are none."""
    hidden = [c for c in result.checks if c.hidden]
    if not hidden:
        return ""
    points = sum(c.max_score for c in hidden)
    return (f"{len(hidden)} hidden check{'s' if len(hidden) != 1 else ''} worth {points:g} point"
            f"{'s' if points != 1 else ''} {'are' if len(hidden) != 1 else 'is'} not shown; "
            f"{'they count' if len(hidden) != 1 else 'it counts'} in the scores above.")


def when_shown(check: CheckResult) -> str:
    """When Gradescope shows the check (``""`` for a visible one)."""
    return _WHEN.get(check.visibility, "")


def task_maxima(result: SubmissionResult) -> dict[str, float]:
    """The points each task is worth, hidden checks included."""
    maxima: dict[str, float] = {}
    for c in result.checks:
        maxima[c.task] = maxima.get(c.task, 0.0) + c.max_score
    return maxima
