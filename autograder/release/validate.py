"""``autograder validate``: prove an assignment is ready to go out.

The reference solutions are graded through the real engine (the same code path as ``autograder
grade``) and must earn full marks on every check; the starter templates must earn zero on every
check, each failing with the student's clean ``NotImplementedError``, not a grader error. The public
checks students run must pass on the solutions and fail on the starter. Any deviation is printed and
makes the command exit non-zero.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ..config import Course
from ..grading.batch import BatchOptions, grade_batch
from ..grading.grader import load_grader
from ..grading.submissions import Submission, find_modules
from ..results import Cause, CheckResult, Status, SubmissionResult
from .public_checks import run_public_check


@dataclass(frozen=True)
class Deviation:
    what: str
    check: str
    problem: str


def solution_deviations(result: SubmissionResult) -> list[Deviation]:
    return [Deviation("solution", c.id, f"{c.status}: {c.message.splitlines()[0] if c.message else ''}")
            for c in result.checks if not c.passed]


def starter_deviations(result: SubmissionResult) -> list[Deviation]:
    return [Deviation("starter", c.id, f"expected a NotImplementedError, got {c.status}: {c.message[:200]}")
            for c in result.checks if not _clean_not_implemented(c)]


def _clean_not_implemented(check: CheckResult) -> bool:
    return check.score == 0 and check.cause == Cause.STUDENT_ERROR and check.message.startswith("NotImplementedError")


def _table(title: str, result: SubmissionResult) -> Table:
    table = Table(title=f"{title}: {result.score:g} / {result.max_score:g}", title_justify="left")
    for column in ("check", "points", "status", "seconds", "message"):
        table.add_column(column)
    for c in result.checks:
        style = "green" if c.passed else ("yellow" if c.status == Status.ERROR else "red")
        message = (c.message.splitlines() or [""])[0][:90] or "; ".join(c.notes)[:90]
        table.add_row(c.id, f"{c.score:g}/{c.max_score:g}", f"[{style}]{c.status}[/]", f"{c.seconds:.1f}", message)
    return table


def validate(course: Course, assignment: str, profile: str | None, *, jobs: int = 2,
             console: Console | None = None, public_checks: bool = True,
             tasks: list[str] | None = None) -> list[Deviation]:
    """Grade solution and starter, run the public checks; return every deviation found."""
    console = console or Console()
    grader = load_grader(course, assignment, profile, tasks=tasks)
    config = grader.config
    folders = {"solution": course.path(config.solution), "starter": course.path(config.starter)}
    submissions = [Submission(name, folder, find_modules(folder, config.modules)) for name, folder in folders.items()]
    with tempfile.TemporaryDirectory(prefix="autograder-validate-") as out:
        options = BatchOptions(out=Path(out), jobs=jobs, report=False)  # the class report would be thrown away
        results = {r.submission_id: r for r in grade_batch(grader, submissions, options)}
    deviations = solution_deviations(results["solution"]) + starter_deviations(results["starter"])
    console.print(_table(f"{assignment} reference solution ({grader.profile_name} profile)", results["solution"]))
    console.print(_table(f"{assignment} starter templates", results["starter"]))

    if public_checks:
        tests = folders["starter"] / "tests"
        for task in (config.tasks[t] for t in (tasks or config.tasks)):
            for name, folder, want in (("solution", folders["solution"], True), ("starter", folders["starter"], False)):
                outcome = run_public_check(folder, tests, task.module)
                if outcome.passed != want:
                    tail = outcome.output.strip().splitlines()[-3:]
                    deviations.append(Deviation(f"public checks on the {name}", task.module,
                                                ("should pass: " if want else "should fail: ") + " | ".join(tail)))
        console.print("public checks: run on solution and starter for "
                      + ", ".join(t.module for t in config.tasks.values()))

    if deviations:
        console.print(f"[red bold]{len(deviations)} deviation(s):[/]")
        for d in deviations:
            console.print(f"  - {d.what} / {d.check}: {d.problem}")
    else:
        console.print("[green bold]valid:[/] the solution earns full marks, the starter zero with NotImplementedError "
                      "on every check, and the public checks agree")
    return deviations
