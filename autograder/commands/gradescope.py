"""``autograder gradescope``: what Gradescope's ``run_autograder`` calls, one submission, one results.json."""

from __future__ import annotations

import argparse

from .options import add_assignment, add_isolation, add_profile, assignment_of, choose_for_run, course_of, seconds

HELP = "what Gradescope's run_autograder calls"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_assignment(parser, option=True)
    add_profile(parser)
    parser.add_argument("--submission", default="/autograder/submission")
    parser.add_argument("--results", default="/autograder/results/results.json")
    parser.add_argument("--references", help="reference.json computed at release time")
    parser.add_argument("--budget", type=seconds, metavar="SECONDS",
                        help="time budget of the submission (default: limits.submission_s in course.yml)")
    add_isolation(parser)


def run(args: argparse.Namespace) -> int:
    """Grade ``/autograder/submission`` and write Gradescope's ``results.json`` (paths overridable); a
    ``results.json`` is written whatever happens, a failure of the grader's own included."""
    import shutil
    import tempfile
    from pathlib import Path

    from rich.console import Console

    from ..grading.grader import load_grader
    from ..grading.runner import grade_submission, grader_failed
    from ..grading.submissions import Submission, discover, find_modules
    from ..results import write_results_json

    course = course_of(args)
    references = Path(args.references) if args.references else None
    grader = load_grader(course, assignment_of(course, args), args.profile, references=references)
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
        except Exception as exc:  # Gradescope must always get a results.json; the status is the batch's
            result = grader_failed(grader, submission, exc)
    write_results_json(result, Path(args.results))
    grader.save_references()  # without --references: kept for the next submission graded on this machine
    print(f"{result.score:g} / {result.max_score:g} points (isolation {isolation.name}); wrote {args.results}")
    return 0
