"""``autograder bench [ASSIGNMENT]``: time the worker, grading, throughput, an epoch and otter-grader."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from .options import add_assignment, add_profile, assignment_of, course_of

HELP = ("time the worker, a submission's grading (split), throughput at -j 1 and -j 2, a training epoch and "
        "otter-grader on the reference solution")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_assignment(parser)
    add_profile(parser)
    parser.add_argument("--out", help="write the figures as JSON here")
    parser.add_argument("--copies", type=int, default=8, help="copies of the reference per throughput run (default 8)")


def run(args: argparse.Namespace) -> int:
    """Print the figures as a table, optionally write them as JSON."""
    from rich.console import Console

    from ..bench import bench, render

    course = course_of(args)
    console = Console()
    figures = bench(course, assignment_of(course, args), args.profile, copies=args.copies,
                    progress=lambda step: console.print(f"[dim]bench: {step}...[/dim]"))
    figures["command"] = shlex.join(["autograder", *sys.argv[1:]])
    render(figures, console)
    if args.out:
        Path(args.out).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0
