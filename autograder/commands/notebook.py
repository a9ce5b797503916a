"""``autograder notebook [ASSIGNMENT]``: regenerate the student notebook from its percent-format source."""

from __future__ import annotations

import argparse
import sys

from .options import add_assignment, assignment_of, course_of

HELP = "regenerate the student notebook from its percent-format source"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_assignment(parser)
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if the notebook is missing or out of date")


def run(args: argparse.Namespace) -> int:
    from ..release.authoring.notebook import build_notebook

    course = course_of(args)
    assignment = assignment_of(course, args)
    out = course.path(course.assignment(assignment).starter) / f"{assignment}.ipynb"
    expected = build_notebook(course, assignment)
    if args.check:
        if not out.is_file() or out.read_text(encoding="utf-8") != expected:
            print(f"{out} is out of date; regenerate it with: autograder notebook {assignment}", file=sys.stderr)
            return 1
        print(f"{out} is up to date")
        return 0
    out.write_text(expected, encoding="utf-8", newline="\n")
    print(f"wrote {out}")
    return 0
