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
    from ..release.authoring.material import is_current, notebook_file
    from ..results.atomic import write_if_changed

    course = course_of(args)
    assignment = assignment_of(course, args)
    notebook = notebook_file(course, assignment)
    if args.check:
        if not is_current(notebook):
            print(f"{notebook.path} is out of date; regenerate it with: autograder notebook {assignment}",
                  file=sys.stderr)
            return 1
        print(f"{notebook.path} is up to date")
        return 0
    print(f"wrote {notebook.path}" if write_if_changed(notebook.path, notebook.text)
          else f"{notebook.path} is up to date")
    return 0
