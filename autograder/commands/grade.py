"""``autograder grade SUBMISSION...``: grade one submission or a whole class."""

from __future__ import annotations

import argparse

from .options import add_assignment, add_isolation, add_profile, course_of, seconds

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
    from ..grading.cli import grade_command

    return grade_command(course_of(args), args)
