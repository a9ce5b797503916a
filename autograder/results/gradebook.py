"""``grades.csv``: one row per submission, rebuilt and replaced atomically after each one.

Columns: ``id``, one per task, ``total``, ``status`` (``graded``, with the kinds of trouble its checks met in
brackets, or ``invalid`` / ``grader_error`` when it could not be graded), ``cause`` (why not: a
:class:`~.outcome.Cause`, empty for a graded submission), ``seconds``,
``isolation`` (how its worker was confined), ``sandbox_uid`` (the uid its code ran as outside the sandbox: never 0
under ``bwrap`` and ``user``) and ``flags`` (findings a person should look at, separated by ``"; "``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

from .atomic import write_atomic
from .outcome import TROUBLE, SubmissionStatus
from .records import SubmissionResult


def render_gradebook(results: Iterable[SubmissionResult], tasks: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["id", *tasks, "total", "status", "cause", "seconds", "isolation", "sandbox_uid", "flags"])
    for r in sorted(results, key=lambda r: r.submission_id):
        scores = r.task_scores()
        writer.writerow([r.submission_id, *(f"{scores.get(t, 0.0):g}" for t in tasks), f"{r.score:g}", _status(r),
                         r.cause or "", f"{r.seconds:.1f}", r.isolation, "" if r.sandbox_uid is None else r.sandbox_uid,
                         "; ".join(r.flags)])
    return buffer.getvalue()


def _status(result: SubmissionResult) -> str:
    if result.status != SubmissionStatus.GRADED:
        return str(result.status)
    problems = sorted({str(c.status) for c in result.checks if c.status in TROUBLE})
    return f"{result.status}" + (f" ({', '.join(problems)})" if problems else "")


def write_gradebook(results: Iterable[SubmissionResult], tasks: list[str], path: Path) -> None:
    write_atomic(path, render_gradebook(results, tasks))
