"""``summary.json``: the course staff's view of a graded batch, built from the per-submission records.

Nothing is regraded: the summary is computed from the :class:`~autograder.results.records.SubmissionResult`
records the batch holds (the same ones ``grades.csv`` is built from). It holds:

- ``assignment``, ``profile``, ``isolation`` (the level of the run; ``isolation_levels`` counts the levels the
  records name), ``submissions`` (how many; ``graded`` and ``invalid``), ``max_score``;
- ``scores``: ``mean``, ``median``, ``min``, ``max`` of the totals and ``histogram`` (``edges``, ``counts``:
  ``bins`` equal bins from 0 to the maximum score, the last one closed);
- ``tasks`` (per task: mean points and ``pass_rate``, the share of submissions that passed every check of the
  task) and ``checks`` (per check: ``passed``/``total``, ``pass_rate``, counts by status, ``seconds_mean`` and
  ``seconds_max``);
- ``slowest``: the submissions that took longest;
- ``failures``: by cause (every :class:`~.outcome.Cause`, each with its ``label``), how many checks and how many
  submissions failed for it; the causes are the records' own, set where each failure was caught;
- ``grader_errors``, apart from the students' failures: checks whose cause is on the grader's side (a bug in the
  check) and submissions the grader itself could not grade (status ``grader_error``);
- ``invalid`` (submissions that could not be graded, with why) and ``flagged`` (findings for a person).
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .atomic import write_atomic
from .outcome import CAUSE_LABEL, GRADER_SIDE, Cause, Status, SubmissionStatus
from .records import SubmissionResult

__all__ = ["SUMMARY", "build_summary", "write_summary"]

SUMMARY = "summary.json"
MESSAGE_CHARS = 300  # messages are cut to this length in the summary


def _grader_failed(submission: SubmissionResult) -> bool:
    return submission.status == SubmissionStatus.GRADER_ERROR


def _cut(text: str) -> str:
    return text if len(text) <= MESSAGE_CHARS else text[:MESSAGE_CHARS - 1] + "…"


def _histogram(values: list[float], top: float, bins: int) -> dict[str, list[float]]:
    top = top if top > 0 else max(values, default=0.0) or 1.0
    edges = [top * i / bins for i in range(bins + 1)]
    counts = [0] * bins
    for value in values:
        index = min(bins - 1, max(0, int(value / top * bins)))
        counts[index] += 1
    return {"edges": [round(e, 6) for e in edges], "counts": counts}


def _score_stats(totals: list[float], top: float, bins: int) -> dict[str, Any]:
    if not totals:
        return {"mean": None, "median": None, "min": None, "max": None, "histogram": _histogram([], top, bins)}
    return {"mean": round(statistics.fmean(totals), 6), "median": round(statistics.median(totals), 6),
            "min": min(totals), "max": max(totals), "histogram": _histogram(totals, top, bins)}


def build_summary(records: Iterable[SubmissionResult], *, assignment: str = "", profile: str = "",
                  isolation: str = "", bins: int = 10, slowest: int = 5) -> dict[str, Any]:
    """The summary (plain JSON data) of ``records``; empty ``assignment``, ``profile``, ``isolation``: the records'."""
    results = sorted(records, key=lambda r: r.submission_id)
    levels: dict[str, int] = {}
    for r in results:
        if r.isolation:  # a submission that could not be graded never ran: it has no level
            levels[r.isolation] = levels.get(r.isolation, 0) + 1
    top = max((r.max_score for r in results), default=0.0)
    checks: dict[str, dict[str, Any]] = {}
    tasks: dict[str, dict[str, Any]] = {}
    failures = {cause.value: {"label": CAUSE_LABEL[cause], "checks": 0, "submissions": 0} for cause in Cause}
    grader_errors: list[dict[str, str]] = []
    seconds: dict[str, list[float]] = {}
    for r in results:
        causes_here: set[Cause] = set()
        task_passed: dict[str, bool] = {}
        for c in r.checks:
            entry = checks.setdefault(c.id, {"task": c.task, "title": c.title, "max_score": c.max_score, "passed": 0,
                                             "total": 0, "statuses": {}})
            entry["total"] += 1
            entry["passed"] += c.passed
            entry["statuses"][c.status] = entry["statuses"].get(c.status, 0) + 1
            if r.status == SubmissionStatus.GRADED:
                seconds.setdefault(c.id, []).append(c.seconds)
            task_passed[c.task] = task_passed.get(c.task, True) and c.passed
            task = tasks.setdefault(c.task, {"max_score": 0.0, "points": 0.0, "passed": 0, "total": 0})
            if c.status == Status.PASSED or c.cause is None:
                continue
            failures[str(c.cause)]["checks"] += 1
            causes_here.add(c.cause)
            if c.cause in GRADER_SIDE and not _grader_failed(r):
                grader_errors.append({"id": r.submission_id, "check": c.id, "message": _cut(c.message)})
        for cause in causes_here:
            failures[str(cause)]["submissions"] += 1
        if _grader_failed(r):
            grader_errors.append({"id": r.submission_id, "check": "", "message": _cut(r.message)})
        for name, passed in task_passed.items():
            tasks[name]["total"] += 1
            tasks[name]["passed"] += passed
        for c in r.checks:
            tasks[c.task]["points"] += c.score
    for name, task in tasks.items():
        task["max_score"] = max((sum(c.max_score for c in r.checks if c.task == name) for r in results), default=0.0)
        task["mean"] = round(task.pop("points") / task["total"], 6) if task["total"] else None
        task["pass_rate"] = round(task["passed"] / task["total"], 6) if task["total"] else None
    for check_id, entry in checks.items():
        entry["pass_rate"] = round(entry["passed"] / entry["total"], 6) if entry["total"] else None
        times = seconds.get(check_id, [])
        entry["seconds_mean"] = round(statistics.fmean(times), 3) if times else None
        entry["seconds_max"] = round(max(times), 3) if times else None
    all_times = [t for times in seconds.values() for t in times]
    by_time = sorted(results, key=lambda r: (-r.seconds, r.submission_id))[:slowest]
    return {
        "assignment": assignment or (results[0].assignment if results else ""),
        "profile": profile or (results[0].profile if results else ""),
        "isolation": isolation or (max(levels, key=levels.__getitem__) if levels else ""),
        "isolation_levels": levels,
        "submissions": len(results),
        "graded": sum(r.status == SubmissionStatus.GRADED for r in results),
        "invalid": [{"id": r.submission_id, "status": str(r.status), "cause": str(r.cause) if r.cause else None,
                     "message": _cut(r.message)} for r in results if r.status != SubmissionStatus.GRADED],
        "max_score": top,
        "scores": _score_stats([r.score for r in results], top, bins),
        "tasks": tasks,
        "checks": checks,
        "check_seconds": {"mean": round(statistics.fmean(all_times), 3) if all_times else None,
                          "max": round(max(all_times), 3) if all_times else None},
        "slowest": [{"id": r.submission_id, "seconds": r.seconds, "score": r.score} for r in by_time],
        "failures": failures,
        "grader_errors": grader_errors,
        "flagged": [{"id": r.submission_id, "flags": list(r.flags)} for r in results if r.flags],
    }


def write_summary(out: Path, summary: dict[str, Any]) -> Path:
    """Write ``summary`` to ``out/summary.json`` atomically; returns the path."""
    path = Path(out) / SUMMARY
    write_atomic(path, json.dumps(summary, indent=1, ensure_ascii=False) + "\n")
    return path


def summary_table(summary: dict[str, Any]) -> Any:
    """A short :class:`rich.table.Table` of the batch for the terminal: scores, failures, grader errors."""
    from rich.table import Table
    from rich.text import Text  # plain text: nothing from a student is read as markup

    scores = summary["scores"]

    def fmt(value: float | None) -> str:
        return "–" if value is None else f"{value:.4g}"

    table = Table(title=Text(f"{summary['assignment']} ({summary['profile']} profile), isolation "
                             f"{summary['isolation']}"), show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("submissions", f"{summary['submissions']} ({summary['graded']} graded)")
    table.add_row("score mean / median", f"{fmt(scores['mean'])} / {fmt(scores['median'])} of "
                                         f"{summary['max_score']:g}")
    table.add_row("score min / max", f"{fmt(scores['min'])} / {fmt(scores['max'])}")
    for counts in summary["failures"].values():
        if counts["checks"]:
            table.add_row(counts["label"], f"{counts['checks']} checks in {counts['submissions']} submissions")
    if summary["grader_errors"]:
        table.add_row(Text("grader errors", style="bold red"), str(len(summary["grader_errors"])))
    if summary["slowest"]:
        slow = summary["slowest"][0]
        table.add_row("slowest", Text(f"{slow['id']} ({slow['seconds']:.1f} s)"))
    return table
