"""``autograder grade`` and ``autograder gradescope``: wiring between the command line and the engine."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from ..config import Course
from ..data.registry import hidden_paths
from ..results import SubmissionResult, write_results_json
from ..results.summary import SUMMARY, summary_table
from ..sandbox import Isolation, IsolationError, choose_isolation
from .batch import BatchOptions, grade_batch
from .grader import load_grader
from .runner import failed_result, grade_submission
from .submissions import Submission, discover, find_modules

TROUBLE = ("timeout", "crashed", "grader_error", "budget_exhausted")


def choose_for_run(args: argparse.Namespace, console: Console) -> Isolation:
    """The isolation level of this run (``--isolation``, ``--require-sandbox``), announced once."""
    level = args.isolation
    if args.require_sandbox:
        if level not in ("auto", "bwrap"):
            raise IsolationError(f"--require-sandbox grades only under bwrap, but --isolation {level} was given")
        level = "bwrap"
    isolation = choose_isolation(level, run_as=args.run_as, hidden=hidden_paths())
    if isolation.name == "none":
        console.print(f"[bold red]WARNING: isolation {isolation.describe()}[/]")
    else:
        console.print(f"isolation {isolation.describe()}")
    return isolation


def grade_command(course: Course, args: argparse.Namespace) -> int:
    """The ``grade`` sub-command: grade every submission found, write the results and the gradebook."""
    tasks = [t for t in args.tasks.split(",") if t]
    grader = load_grader(course, course.assignment_name(args.assignment), args.profile, tasks=tasks or None,
                         reference_cache=not getattr(args, "no_reference_cache", False))
    modules = grader.config.modules
    console = Console(stderr=True)
    isolation = choose_for_run(args, console)
    with tempfile.TemporaryDirectory(prefix="autograder-unzip-") as workdir:
        submissions = discover([Path(p) for p in args.submissions], modules, Path(workdir))
        options = BatchOptions(out=Path(args.out), jobs=args.jobs, gpus=[g for g in args.gpus.split(",") if g],
                               per_gpu=args.per_gpu, regrade=args.regrade, run_as=args.run_as, threads=args.threads,
                               budget_s=args.budget, isolation=isolation,
                               canvas=grader.config.title if args.canvas else None)
        quiet = args.quiet
        problems = 0
        columns = (TextColumn("[bold]grading"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[problems]} problems"), TimeElapsedColumn(), TextColumn("ETA"),
                   TimeRemainingColumn())
        with Progress(*columns, console=console, transient=False, disable=quiet) as progress:
            bar = progress.add_task("grading", total=len(submissions), problems=0)

            def done(result: SubmissionResult, cached: bool) -> None:
                nonlocal problems
                if result.status != "graded" or any(c.status in TROUBLE for c in result.checks):
                    problems += 1
                note = " (unchanged, kept)" if cached else f" in {result.seconds:.0f} s"
                if not quiet:
                    progress.console.print(escape(f"{result.submission_id}: {result.score:g}/{result.max_score:g}"
                                                  f" [{result.status}]{note}"))  # ids and [status] are not markup
                progress.update(bar, advance=1, problems=problems)

            grade_batch(grader, submissions, options, on_done=done)
    summary = json.loads((options.out / SUMMARY).read_text(encoding="utf-8"))
    if not quiet:
        console.print(summary_table(summary))
        extra = ", canvas.csv" if args.canvas else ""
        console.print(f"results in {options.out}/ (grades.csv, summary.json, report.html{extra}, <id>/results.json, "
                      f"<id>/feedback.html and .md)")
    if args.json:
        sys.stdout.write(json.dumps(summary, indent=1, ensure_ascii=False) + "\n")
    return 0


def gradescope_command(course: Course, args: argparse.Namespace) -> int:
    """Grade ``/autograder/submission`` and write Gradescope's ``results.json`` (paths overridable)."""
    references = Path(args.references) if args.references else None
    grader = load_grader(course, course.assignment_name(args.assignment), args.profile, references=references)
    isolation = choose_for_run(args, Console(stderr=True))
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
            result = grade_submission(grader, submission, scratch_root=Path(scratch), run_as=args.run_as,
                                      budget_s=args.budget, isolation=isolation)
        except Exception as exc:  # Gradescope must always get a results.json
            result = failed_result(grader, submission, f"the grader could not grade this submission: {exc!r}",
                                   status="error")
    write_results_json(result, Path(args.results))
    grader.save_references()  # without --references: kept for the next submission graded on this machine
    print(f"{result.score:g} / {result.max_score:g} points (isolation {isolation.name}); wrote {args.results}")
    return 0
