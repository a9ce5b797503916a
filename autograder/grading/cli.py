"""``autograder grade`` and ``autograder gradescope``: wiring between the command line and the engine."""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from ..config import Course
from ..results import SubmissionResult, write_results_json
from .batch import BatchOptions, grade_batch
from .grader import load_grader
from .runner import failed_result, grade_submission
from .submissions import Submission, discover, find_modules

TROUBLE = ("timeout", "crashed", "grader_error")


def grade_command(course: Course, args: argparse.Namespace) -> int:
    grader = load_grader(course, args.assignment, args.profile)
    if args.tasks:
        grader.restrict([t for t in args.tasks.split(",") if t])
    modules = grader.config.modules
    console = Console(stderr=True)
    with tempfile.TemporaryDirectory(prefix="autograder-unzip-") as workdir:
        submissions = discover([Path(p) for p in args.submissions], modules, Path(workdir))
        options = BatchOptions(out=Path(args.out), jobs=args.jobs, gpus=[g for g in args.gpus.split(",") if g],
                               per_gpu=args.per_gpu, regrade=args.regrade, run_as=args.run_as, threads=args.threads)
        problems = 0
        columns = (TextColumn("[bold]grading"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[problems]} problems"),
                   TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn())
        with Progress(*columns, console=console, transient=False) as progress:
            bar = progress.add_task("grading", total=len(submissions), problems=0)

            def done(result: SubmissionResult, cached: bool) -> None:
                nonlocal problems
                if result.status != "graded" or any(c.status in TROUBLE for c in result.checks):
                    problems += 1
                note = " (unchanged, kept)" if cached else f" in {result.seconds:.0f} s"
                progress.console.print(f"{result.submission_id}: {result.score:g}/{result.max_score:g}"
                                       f" [{result.status}]{note}")
                progress.update(bar, advance=1, problems=problems)

            grade_batch(grader, submissions, options, on_done=done)
    console.print(f"results in {options.out}/ (grades.csv, <id>/results.json, <id>/feedback.md)")
    return 0


def gradescope_command(course: Course, args: argparse.Namespace) -> int:
    """Grade ``/autograder/submission`` and write Gradescope's ``results.json`` (paths overridable)."""
    references = Path(args.references) if args.references else None
    grader = load_grader(course, args.assignment, args.profile, references=references)
    with tempfile.TemporaryDirectory(prefix="autograder-") as scratch:
        submission_dir = Path(args.submission)
        if not submission_dir.is_dir():
            raise FileNotFoundError(f"submission folder {submission_dir} does not exist")
        # Gradescope hands us a folder (students may have uploaded a zip of a folder: handled by discover).
        copy = Path(scratch) / "submission"
        shutil.copytree(submission_dir, copy, symlinks=True)
        modules = grader.config.modules
        submission = Submission("submission", copy, find_modules(copy, modules))
        zips = sorted(copy.rglob("*.zip"))
        if not submission.modules and zips:  # a zip uploaded as is
            submission = discover([zips[0]], modules, Path(scratch))[0]
        try:
            result = grade_submission(grader, submission, scratch_root=Path(scratch), run_as=args.run_as)
        except Exception as exc:  # noqa: BLE001 - Gradescope must always get a results.json
            result = failed_result(grader, submission, f"the grader could not grade this submission: {exc!r}",
                                   status="error")
    write_results_json(result, Path(args.results))
    print(f"{result.score:g} / {result.max_score:g} points; wrote {args.results}")
    return 0
