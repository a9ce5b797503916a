"""``autograder starter [ASSIGNMENT]``: the student material, generated from the solutions and course.yml."""

from __future__ import annotations

import argparse

from .options import add_assignment, assignment_of, course_of

HELP = "generate the student material from the solutions and course.yml: starter modules, notebook, submit.py and " \
       "point tables"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_assignment(parser)
    parser.add_argument("--check", action="store_true", help="change nothing; list stale files and exit 1 if any")


def run(args: argparse.Namespace) -> int:
    from ..release.authoring.material import stale_student_material, write_student_material
    from ..release.authoring.starter import stale_starters, write_starters

    course = course_of(args)
    assignment = assignment_of(course, args)
    if args.check:
        stale = stale_starters(course, assignment) + stale_student_material(course, assignment)
        for problem in stale:
            print(problem)
        return 1 if stale else 0
    written = write_starters(course, assignment) + write_student_material(course, assignment)
    for path in written:
        print(f"wrote {path}")
    if not written:
        print(f"{assignment}: the student material is up to date")
    return 0
