"""``autograder calibrate [ASSIGNMENT]``: the reference solution's figures over the calibration seeds."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .options import add_assignment, add_profile, assignment_of, course_of

HELP = "measure the reference solution's figures over the calibration seeds"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_assignment(parser)
    add_profile(parser)
    parser.add_argument("--out", help="write the measurements as JSON here")
    parser.add_argument("--tasks", default="",
                        help="only these tasks, and only their data (comma-separated; default: all)")


def run(args: argparse.Namespace) -> int:
    """Measure, print the table and the YAML to paste into course.yml, optionally write the JSON."""
    from rich.console import Console

    from ..grading.calibrate import calibrate, report

    course = course_of(args)
    console = Console()
    tasks = [t for t in args.tasks.split(",") if t]
    calibration = calibrate(course, assignment_of(course, args), args.profile, console, tasks)
    report(course, calibration, console)
    if args.out:
        Path(args.out).write_text(json.dumps(calibration.__dict__, indent=2) + "\n", encoding="utf-8")
    return 0
