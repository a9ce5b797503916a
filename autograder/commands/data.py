"""``autograder data [ASSIGNMENT] [PROFILES]``: fetch and check every data set the profiles read.

The Gradescope bundle's ``setup.sh`` runs it once, when the image is built, so the data is downloaded and cached
then instead of once per submission. Exit 1 when a data set cannot be loaded here (each problem printed).
"""

from __future__ import annotations

import argparse
import sys

from .options import add_assignment, assignment_of, course_of

HELP = "download (or find in $AUTOGRADER_DATA), checksum and cache every data set of an assignment's profiles"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_assignment(parser)
    parser.add_argument("profiles", nargs="?", default="", help="comma-separated (default: all)")


def run(args: argparse.Namespace) -> int:
    from ..release.datasets import data_problems

    course = course_of(args)
    assignment = assignment_of(course, args)
    config = course.assignment(assignment)
    profiles = [p.strip() for p in args.profiles.split(",") if p.strip()] or list(config.profiles)
    for name in profiles:
        config.profile(name)  # an unknown profile is a ConfigError: exit 2
    problems = data_problems(course, assignment, profiles)
    for line in problems:
        print(f"warning: {line}", file=sys.stderr)
    print(f"data of {', '.join(profiles)}: {'ready' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0
