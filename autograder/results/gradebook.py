"""``grades.csv``: one row per submission, rebuilt and replaced atomically after each one.

Columns: ``id``, one per task, ``total``, ``status`` (``graded``, with the kinds of trouble its checks met in
brackets, or why it could not be graded), ``seconds``, ``isolation`` (how its worker was confined), ``sandbox_uid``
(the uid its code ran as outside the sandbox: never 0 under ``bwrap`` and ``user``) and ``flags`` (findings a person
should look at, separated by ``"; "``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

from .atomic import write_atomic
from .records import SubmissionResult

TROUBLE = ("timeout", "crashed", "grader_error", "budget_exhausted")  # check statuses named in the status column


def render_gradebook(results: Iterable[SubmissionResult], tasks: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["id", *tasks, "total", "status", "seconds", "isolation", "sandbox_uid", "flags"])
    for r in sorted(results, key=lambda r: r.submission_id):
        scores = r.task_scores()
        writer.writerow([r.submission_id, *(f"{scores.get(t, 0.0):g}" for t in tasks), f"{r.score:g}", _status(r),
                         f"{r.seconds:.1f}", r.isolation, "" if r.sandbox_uid is None else r.sandbox_uid,
                         "; ".join(r.flags)])
    return buffer.getvalue()


def _status(result: SubmissionResult) -> str:
    if result.status != "graded":
        return result.status
    problems = sorted({c.status for c in result.checks if c.status in TROUBLE})
    return "graded" + (f" ({', '.join(problems)})" if problems else "")


def write_gradebook(results: Iterable[SubmissionResult], tasks: list[str], path: Path) -> None:
    write_atomic(path, render_gradebook(results, tasks))
