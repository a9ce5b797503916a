"""``results.json`` in Gradescope's autograder format.

Gradescope reads: top-level ``score``, ``execution_time`` (seconds, a number), ``output``, ``output_format``,
``visibility``, and ``tests``: one entry per check with ``name``, ``number``, ``score``, ``max_score``, ``status``
("passed" or "failed"), ``output``, ``output_format`` and ``visibility``. Every check is listed, including those
that crashed or timed out, so students see the whole picture. ``extra_data`` (kept by Gradescope, shown to the
staff) holds the submission's ``status`` and ``cause``, as the batch's ``grading.json`` does.

- ``visibility`` is the check's, from ``course.yml`` (``visible``, ``hidden``, ``after_due_date``,
  ``after_published``). A ``hidden`` check keeps its name, points and status but none of its details (message,
  notes, output, figures): Gradescope shows hidden tests to the course staff, and what a student could learn of
  the hidden inputs stays out of the file altogether.
- A check that drew figures gets ``output_format: "html"``: the same content as ``feedback.html`` (verdict,
  message, notes, the figures as PNG data URIs, the student's output), escaped. Others stay ``"text"``.
- Size: Gradescope stores and renders the whole file for every view, so it is kept under
  :data:`MAX_RESULTS_BYTES`; when the figures would take it over, they are left out (largest first) with a line
  saying so; if it is still over, the checks' texts are cut (a marker says how much), ever shorter.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..sandbox.runtime.output import cap
from .atomic import write_atomic
from .feedback_html import check_details
from .html import escape
from .outcome import CAUSE_LABEL, Status, SubmissionStatus
from .records import CheckResult, SubmissionResult
from .student_view import check_output, verdict

__all__ = ["MAX_RESULTS_BYTES", "check_output", "to_gradescope", "write_results_json"]

MAX_RESULTS_BYTES = 1_000_000
"""Our budget for one ``results.json``: Gradescope renders every test's output on the student's page, and a few
figures per check (20-40 KB each) fit many times over."""
_LEFT_OUT = "(A figure was left out to keep this page small; ask your instructor for feedback.html.)"
_TEXT_CAPS = (16 * 1024, 4 * 1024, 1024, 256)  # the ever shorter cuts of a check's texts once the figures are gone


def _html_output(check: CheckResult, with_figures: bool) -> str:
    heading = f"<p><strong>{escape(verdict(check))}</strong> ({check.seconds:.1f} s)</p>"
    left_out = None if with_figures else [f"<p>{escape(_LEFT_OUT)}</p>"]
    return "\n".join([heading, *check_details(check, left_out)])


def _test(check: CheckResult, number: str, with_figures: bool) -> dict[str, Any]:
    test: dict[str, Any] = {
        "name": f"{check.task}: {check.title}" if not check.hidden else f"{check.task}: hidden check {number}",
        "number": number,
        "score": round(check.score, 4),
        "max_score": check.max_score,
        "status": Status.PASSED if check.passed else Status.FAILED,  # Gradescope's two words, which are ours
        "visibility": check.visibility,
    }
    if check.hidden:
        test.update(output=verdict(check), output_format="text")
    elif check.plots:
        test.update(output=_html_output(check, with_figures), output_format="html")
    else:
        test.update(output=check_output(check), output_format="text")
    return test


def to_gradescope(result: SubmissionResult, max_bytes: int = MAX_RESULTS_BYTES) -> dict[str, Any]:
    """The ``results.json`` document, under ``max_bytes``: figures are dropped first, largest first, then every
    check's texts (message, notes, output) are cut, ever shorter, each with a marker saying how much was cut."""
    summary = f"{result.assignment} ({result.profile} profile): {result.score:g} / {result.max_score:g} points"
    if result.isolation:
        summary += f"\nStudent code ran under isolation level: {result.isolation}"
        if result.sandbox_uid is not None:
            summary += f" (uid {result.sandbox_uid} outside the sandbox)"
    if result.status != SubmissionStatus.GRADED:
        summary += f"\nNot graded ({result.status}" + (f": {CAUSE_LABEL[result.cause]})" if result.cause else ")")
    if result.message:
        summary += f"\n{cap(result.message, _TEXT_CAPS[0])}"
    numbered = _numbered(result.checks)
    with_figures = {number: True for number, _ in numbered}
    by_size = [n for n, c in sorted(((n, c) for n, c in numbered if c.plots and not c.hidden),
                                    key=lambda item: -sum(len(p.png_base64) for p in item[1].plots))]
    text_caps = list(_TEXT_CAPS)
    limit: int | None = None  # no cut yet
    while True:
        document = {
            "score": round(result.score, 4),
            "execution_time": round(result.seconds, 3),
            "output": summary if limit is None else cap(summary, limit),
            "output_format": "text",
            "visibility": "visible",
            "stdout_visibility": "hidden",
            "tests": [_test(_cut(c, limit), number, with_figures[number]) for number, c in numbered],
            "extra_data": {"status": result.status, "cause": result.cause},  # as in the batch's grading.json
        }
        if len(json.dumps(document, indent=2)) <= max_bytes:
            return document
        if by_size:
            with_figures[by_size.pop(0)] = False
        elif text_caps:
            limit = text_caps.pop(0)
        else:
            return document  # every text is down to a few hundred bytes: only a course of thousands of checks is left


def _cut(check: CheckResult, limit: int | None) -> CheckResult:
    """``check`` with its message, notes and output each cut to ``limit`` bytes (``None``: as it is)."""
    if limit is None:
        return check
    return replace(check, message=cap(check.message, limit), output=cap(check.output, limit),
                   notes=[cap(note, limit) for note in check.notes[:8]]
                   + ([f"[... {len(check.notes) - 8} more notes cut ...]"] if len(check.notes) > 8 else []))


def _numbered(checks: list[CheckResult]) -> list[tuple[str, CheckResult]]:
    """``task.check`` numbers ("1.1", "1.2", "2.1", ...) in the order of the checks."""
    tasks: dict[str, int] = {}
    counts: dict[str, int] = {}
    numbered = []
    for c in checks:
        tasks.setdefault(c.task, len(tasks) + 1)
        counts[c.task] = counts.get(c.task, 0) + 1
        numbered.append((f"{tasks[c.task]}.{counts[c.task]}", c))
    return numbered


def write_results_json(result: SubmissionResult, path: Path) -> None:
    write_atomic(path, json.dumps(to_gradescope(result), indent=2) + "\n")
