"""``autograder grade SUBMISSION...``: grade one submission or a whole class."""

from __future__ import annotations

import argparse

from .options import add_assignment, add_isolation, add_profile, assignment_of, choose_for_run, course_of, seconds

HELP = "grade one submission or a whole class"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("submissions", nargs="+", metavar="SUBMISSION", help="a folder or .zip, or a folder of them")
    add_assignment(parser, option=True)
    add_profile(parser)
    parser.add_argument("--out", default="grades", help="output folder (default: grades/)")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="submissions graded at a time")
    parser.add_argument("--gpus", default="", help="comma-separated GPU ids to pin workers to, e.g. 0,1")
    parser.add_argument("--per-gpu", type=int, default=1, help="submissions per GPU at a time (default 1)")
    parser.add_argument("--regrade", action="store_true", help="grade again even if unchanged since the last run")
    parser.add_argument("--tasks", default="", help="grade only these tasks (comma-separated; default: all)")
    parser.add_argument("--threads", type=int,
                        help="CPU threads per worker (default: the cores shared among the jobs)")
    parser.add_argument("--budget", type=seconds, metavar="SECONDS",
                        help="time budget of one submission for this run (default: limits.submission_s in course.yml)")
    parser.add_argument("--canvas", action="store_true", help="also write OUT/canvas.csv for Canvas's gradebook import")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no progress and no summary table (errors still shown)")
    parser.add_argument("--json", action="store_true", help="print OUT/summary.json to stdout at the end")
    parser.add_argument("--no-reference-cache", action="store_true",
                        help="compute every reference figure afresh, and keep none: no reading or writing of the "
                             "per-user reference cache ($AUTOGRADER_CACHE/references)")
    add_isolation(parser)


def run(args: argparse.Namespace) -> int:
    """Grade every submission found, write the results and the gradebook, show progress and a summary."""
    import json
    import sys
    import tempfile
    from pathlib import Path

    from rich.console import Console
    from rich.markup import escape
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from ..grading.batch import BatchOptions, grade_batch
    from ..grading.grader import load_grader
    from ..grading.submissions import discover
    from ..results import SubmissionResult, SubmissionStatus
    from ..results.outcome import TROUBLE
    from ..results.summary import SUMMARY, summary_table

    course = course_of(args)
    tasks = [t for t in args.tasks.split(",") if t]
    grader = load_grader(course, assignment_of(course, args), args.profile, tasks=tasks or None,
                         reference_cache=not args.no_reference_cache)
    console = Console(stderr=True)
    isolation = choose_for_run(args, console)
    with tempfile.TemporaryDirectory(prefix="autograder-unzip-") as workdir:
        submissions = discover([Path(p) for p in args.submissions], grader.config.modules, Path(workdir))
        options = BatchOptions(out=Path(args.out), jobs=args.jobs, gpus=[g for g in args.gpus.split(",") if g],
                               per_gpu=args.per_gpu, regrade=args.regrade, run_as=args.run_as, threads=args.threads,
                               budget_s=args.budget, isolation=isolation,
                               canvas=grader.config.title if args.canvas else None)
        problems = 0
        columns = (TextColumn("[bold]grading"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[problems]} problems"), TimeElapsedColumn(), TextColumn("ETA"),
                   TimeRemainingColumn())
        with Progress(*columns, console=console, transient=False, disable=args.quiet) as progress:
            bar = progress.add_task("grading", total=len(submissions), problems=0)

            def done(result: SubmissionResult, cached: bool) -> None:
                nonlocal problems
                if result.status != SubmissionStatus.GRADED or any(c.status in TROUBLE for c in result.checks):
                    problems += 1
                note = " (unchanged, kept)" if cached else f" in {result.seconds:.0f} s"
                why = f": {result.cause}" if result.cause else ""
                if not args.quiet:
                    progress.console.print(escape(f"{result.submission_id}: {result.score:g}/{result.max_score:g}"
                                                  f" [{result.status}{why}]{note}"))  # ids and [status] are not markup
                progress.update(bar, advance=1, problems=problems)

            grade_batch(grader, submissions, options, on_done=done)
    summary = json.loads((options.out / SUMMARY).read_text(encoding="utf-8"))
    if not args.quiet:
        console.print(summary_table(summary))
        extra = ", canvas.csv" if args.canvas else ""
        console.print(f"results in {options.out}/ (grades.csv, summary.json, report.html{extra}, <id>/results.json, "
                      f"<id>/feedback.html and .md)")
    if args.json:
        sys.stdout.write(json.dumps(summary, indent=1, ensure_ascii=False) + "\n")
    return 0
