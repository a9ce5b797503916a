"""``autograder validate [ASSIGNMENT]``: the reference solution must earn full marks, the starter zero."""

from __future__ import annotations

import argparse

from .options import add_assignment, add_profile, assignment_of, course_of

HELP = "reference solutions must earn full marks, the starter zero"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_assignment(parser)
    add_profile(parser)
    parser.add_argument("-j", "--jobs", type=int, default=2, help="grade solution and starter in parallel")


def run(args: argparse.Namespace) -> int:
    """Exit 1 when a deviation was found (each is printed)."""
    from ..release.validate import validate

    course = course_of(args)
    return 1 if validate(course, assignment_of(course, args), args.profile, jobs=args.jobs) else 0
