"""``autograder gradescope``: what Gradescope's ``run_autograder`` calls, one submission, one results.json."""

from __future__ import annotations

import argparse

from .options import add_assignment, add_isolation, add_profile, course_of, seconds

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
    from ..grading.cli import gradescope_command

    return gradescope_command(course_of(args), args)
