"""Options and helpers several verbs share: the course, the assignment, the profile, the sandbox."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from ..config import Course
    from ..sandbox import Isolation


def course_of(args: argparse.Namespace) -> Course:
    """The course of ``--course`` (else ``$AUTOGRADER_COURSE`` or the nearest ``course.yml`` upwards)."""
    from ..config import find_course, load_course

    return load_course(args.course or find_course())


def assignment_of(course: Course, args: argparse.Namespace) -> str:
    """The assignment named on the command line, or the course's only one (else a ConfigError listing them)."""
    return course.assignment_name(args.assignment)


def seconds(text: str) -> float:
    """A positive, finite number of seconds (``--budget``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text!r}")
    return value


def isolation_level(text: str) -> str:
    """``--isolation``: ``auto`` or one of the levels (imported only when another one is asked for)."""
    if text == "auto":
        return text
    from ..sandbox.confine.isolation import LEVELS

    if text not in LEVELS:
        raise argparse.ArgumentTypeError(f"invalid choice: {text!r} (choose from auto, {', '.join(LEVELS)})")
    return text


def add_profile(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", help="data profile from course.yml (e.g. full, smoke)")


def add_assignment(parser: argparse.ArgumentParser, *, option: bool = False) -> None:
    """The assignment, as a positional argument (or ``--assignment`` where the positionals are submissions)."""
    help_text = "an assignment of course.yml (may be left out when the course has only one)"
    if option:
        parser.add_argument("--assignment", help=help_text)
    else:
        parser.add_argument("assignment", nargs="?", default=None, metavar="ASSIGNMENT", help=help_text)


def add_isolation(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--isolation", type=isolation_level, default="auto", metavar="LEVEL",
                        help="how student code is confined: auto (the strongest available, default), bwrap "
                             "(bubblewrap), user (an unprivileged user; needs root), none (development only)")
    parser.add_argument("--require-sandbox", action="store_true", help="refuse to grade without bubblewrap")
    parser.add_argument("--run-as", help="run student code as this unprivileged user (grader must be root)")


def choose_for_run(args: argparse.Namespace, console: Console) -> Isolation:
    """The isolation level of this run (``--isolation``, ``--require-sandbox``, ``--run-as``), announced once."""
    from ..data.registry import hidden_paths
    from ..sandbox import IsolationError, choose_isolation

    level = args.isolation
    if args.require_sandbox:
        if level not in ("auto", "bwrap"):
            raise IsolationError(f"--require-sandbox grades only under bwrap, but --isolation {level} was given")
        level = "bwrap"
    isolation = choose_isolation(level, run_as=args.run_as, hidden=hidden_paths())
    if isolation.name == "none":
        console.print(f"[bold red]WARNING: isolation {isolation.describe()}[/]")
    else:
        console.print(f"isolation {isolation.describe()}")
    return isolation
