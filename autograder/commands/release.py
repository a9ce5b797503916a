"""``autograder release [ASSIGNMENT]``: build the student zip and the Gradescope bundle."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .options import add_assignment, assignment_of, course_of

HELP = "build the student zip and the Gradescope bundle"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_assignment(parser)
    parser.add_argument("--out", default="dist")
    parser.add_argument("--profiles", default="", help="profiles whose reference figures go in reference.json "
                                                       "(comma-separated; default: all)")


def _size(n: int) -> str:
    return f"{n / 1024:.1f} KiB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MiB"


def run(args: argparse.Namespace) -> int:
    """Build, print what was built; exit 1 when the release cannot be built (a ``ReleaseError``, printed)."""
    from ..release.build import build_release
    from ..release.errors import ReleaseError

    course = course_of(args)
    assignment = assignment_of(course, args)
    try:
        release = build_release(course, assignment, Path(args.out), profiles=args.profiles,
                                echo=lambda line: print(line, flush=True))
    except ReleaseError as exc:
        print(f"autograder: release of {assignment} failed: {exc}", file=sys.stderr)
        return 1
    print(f"built the release of {assignment} in {release.seconds:g} s"
          f" (reference figures: {', '.join(release.profiles)}):")
    for path in (release.student_zip, release.bundle_zip):
        print(f"  {path}  {_size(release.sizes[path.name])}, {release.entries[path.name]} files")
    return 0
