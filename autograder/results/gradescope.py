"""``results.json`` in Gradescope's autograder format.

Gradescope reads: top-level ``score``, ``execution_time`` (seconds, a number), ``output``,
``visibility``, and ``tests``: one entry per check with ``name``, ``number``, ``score``,
``max_score``, ``status`` ("passed" or "failed"), ``output`` and ``visibility``. Every check is
listed, including those that crashed or timed out, so students see the whole picture.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .atomic import write_atomic
from .records import CheckResult, SubmissionResult

_STATUS_LABEL = {
    "passed": "Passed",
    "failed": "Failed",
    "error": "Your code raised an error",
    "timeout": "Timed out",
    "crashed": "Your code crashed the worker",
    "grader_error": "Grader error (not your fault: your instructor has been told)",
    "budget_exhausted": "Not run to the end: your submission used up its time budget",
}


def check_output(result: CheckResult) -> str:
    """The text a student sees for one check: verdict, reason, notes, then their own printed output."""
    lines = [f"{_STATUS_LABEL.get(result.status, result.status)} ({result.seconds:.1f} s)"]
    if result.message:
        lines.append(result.message)
    lines.extend(result.notes)
    if result.output.strip():
        lines += ["", "Output of your code:", result.output.rstrip()]
    return "\n".join(lines)


def to_gradescope(result: SubmissionResult) -> dict[str, Any]:
    summary = f"{result.assignment} ({result.profile} profile): {result.score:g} / {result.max_score:g} points"
    if result.isolation:
        summary += f"\nStudent code ran under isolation level: {result.isolation}"
    if result.message:
        summary += f"\n{result.message}"
    return {
        "score": round(result.score, 4),
        "execution_time": round(result.seconds, 3),
        "output": summary,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [
            {
                "name": f"{c.task}: {c.title}",
                "number": f"{task_number}.{check_number}",
                "score": round(c.score, 4),
                "max_score": c.max_score,
                "status": "passed" if c.passed else "failed",
                "output": check_output(c),
                "visibility": "visible",
            }
            for task_number, check_number, c in _numbered(result.checks)
        ],
    }


def _numbered(checks: list[CheckResult]) -> list[tuple[int, int, CheckResult]]:
    tasks: dict[str, int] = {}
    counts: dict[str, int] = {}
    numbered = []
    for c in checks:
        tasks.setdefault(c.task, len(tasks) + 1)
        counts[c.task] = counts.get(c.task, 0) + 1
        numbered.append((tasks[c.task], counts[c.task], c))
    return numbered


def write_results_json(result: SubmissionResult, path: Path) -> None:
    write_atomic(path, json.dumps(to_gradescope(result), indent=2) + "\n")
