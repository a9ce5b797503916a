"""The ``autograder`` command line: one sub-command per job, each a thin layer over a module.

    autograder grade SUBMISSION... [--assignment NAME] [--profile P] [--out DIR] [-j N] [--gpus 0,1] [--regrade]
                   [--isolation auto|bwrap|user|none] [--require-sandbox] [--budget SECONDS]
                   [--canvas] [--quiet] [--json] [--no-reference-cache]
    autograder diff OLD_DIR NEW_DIR [--json] [--verify]   # after a regrade: who changed, and which checks
    autograder gradescope [--assignment NAME]   # the entry point of Gradescope's run_autograder
    autograder validate [ASSIGNMENT] [--profile P]
    autograder release [ASSIGNMENT] [--out dist/]
    autograder calibrate [ASSIGNMENT] [--profile P] [--tasks T1,T2]
    autograder bench [ASSIGNMENT] [--profile P] [--out bench.json] [--copies N]
    autograder notebook [ASSIGNMENT]

The assignment (a key of ``assignments`` in course.yml) may be left out only when the course has exactly one.

Exit codes: 0 when the job ran (whatever students scored), 1 when validation found a deviation,
2 for bad input (unknown assignment, bad course.yml, missing paths), 130 when interrupted.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .config import Course

# Start-up cost: ``autograder --help`` and building any sub-command's parser import nothing beyond the standard
# library; each command imports what it needs (pydantic and yaml with the course, numpy, torch, scikit-learn or
# pandas only with the checks and data sets that use them). tests/test_lazy_imports.py keeps it so.


def _course(args: argparse.Namespace) -> Course:
    from .config import find_course, load_course

    return load_course(args.course or find_course())


def _profile(args: argparse.Namespace) -> str | None:
    return getattr(args, "profile", None)


def _assignment(course: Course, args: argparse.Namespace) -> str:
    """The assignment named on the command line, or the course's only one (else a ConfigError listing them)."""
    return course.assignment_name(args.assignment)


def cmd_grade(args: argparse.Namespace) -> int:
    from .grading.cli import grade_command

    return grade_command(_course(args), args)


def cmd_gradescope(args: argparse.Namespace) -> int:
    from .grading.cli import gradescope_command

    return gradescope_command(_course(args), args)


def cmd_diff(args: argparse.Namespace) -> int:
    import json

    from rich.console import Console

    from .results.diff import diff_batches, render_diff
    from .results.integrity import load_record_key

    diff = diff_batches(Path(args.old), Path(args.new), key=load_record_key() if args.verify else None)
    if args.json:
        print(json.dumps(diff.to_dict(), indent=1, ensure_ascii=False))
    else:
        render_diff(diff, Console())
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from .release.validate import validate_command

    course = _course(args)
    return validate_command(course, _assignment(course, args), _profile(args), jobs=args.jobs)


def cmd_release(args: argparse.Namespace) -> int:
    from .release.build import release_command

    course = _course(args)
    return release_command(course, _assignment(course, args), Path(args.out), profiles=args.profiles)


def cmd_calibrate(args: argparse.Namespace) -> int:
    from .grading.calibrate import calibrate_command

    course = _course(args)
    return calibrate_command(course, _assignment(course, args), _profile(args), out=args.out, tasks=args.tasks)


def cmd_bench(args: argparse.Namespace) -> int:
    from .bench import bench_command

    course = _course(args)
    return bench_command(course, _assignment(course, args), _profile(args), out=args.out, copies=args.copies)


def cmd_starter(args: argparse.Namespace) -> int:
    from .release.material import stale_student_material, write_student_material
    from .release.starter import stale_starters, write_starters

    course = _course(args)
    assignment = _assignment(course, args)
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


def cmd_notebook(args: argparse.Namespace) -> int:
    from .release.notebook import write_notebook

    course = _course(args)
    assignment = _assignment(course, args)
    folder = course.path(course.assignment(assignment).starter)
    write_notebook(folder / "notebook_source.py", folder / f"{assignment}.ipynb")
    print(f"wrote {folder / f'{assignment}.ipynb'}")
    return 0


def _seconds(text: str) -> float:
    """A positive, finite number of seconds (``--budget``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text!r}")
    return value


def _isolation_level(text: str) -> str:
    """``--isolation``: ``auto`` or one of the levels (imported only when another one is asked for)."""
    if text == "auto":
        return text
    from .sandbox.isolation import LEVELS

    if text not in LEVELS:
        raise argparse.ArgumentTypeError(f"invalid choice: {text!r} (choose from auto, {', '.join(LEVELS)})")
    return text


def _user_error(exc: Exception) -> bool:
    """A mistake in the input (exit 2 with one line), not a bug: imported here, on failure, so start-up stays light."""
    from .config import ConfigError
    from .data.errors import DataError
    from .grading.submissions import SubmissionError
    from .sandbox.isolation import IsolationError

    return isinstance(exc, (ConfigError, SubmissionError, FileNotFoundError, IsolationError, DataError))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="autograder", description=__doc__.split("\n\n")[0])
    parser.add_argument("--course", help="path of course.yml (default: $AUTOGRADER_COURSE or the nearest upwards)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what the grader does")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_profile(p: argparse.ArgumentParser) -> None:
        p.add_argument("--profile", help="data profile from course.yml (e.g. full, smoke)")

    def with_assignment(p: argparse.ArgumentParser) -> None:
        p.add_argument("assignment", nargs="?", default=None, metavar="ASSIGNMENT",
                       help="an assignment of course.yml (may be left out when the course has only one)")

    def with_isolation(p: argparse.ArgumentParser) -> None:
        p.add_argument("--isolation", type=_isolation_level, default="auto", metavar="LEVEL",
                       help="how student code is confined: auto (the strongest available, default), bwrap "
                            "(bubblewrap), user (an unprivileged user; needs root), none (development only)")
        p.add_argument("--require-sandbox", action="store_true", help="refuse to grade without bubblewrap")

    p = sub.add_parser("grade", help="grade one submission or a whole class")
    p.add_argument("submissions", nargs="+", metavar="SUBMISSION", help="a folder or .zip, or a folder of them")
    p.add_argument("--assignment", help="an assignment of course.yml (may be left out when the course has only one)")
    with_profile(p)
    p.add_argument("--out", default="grades", help="output folder (default: grades/)")
    p.add_argument("-j", "--jobs", type=int, default=1, help="submissions graded at a time")
    p.add_argument("--gpus", default="", help="comma-separated GPU ids to pin workers to, e.g. 0,1")
    p.add_argument("--per-gpu", type=int, default=1, help="submissions per GPU at a time (default 1)")
    p.add_argument("--regrade", action="store_true", help="grade again even if unchanged since the last run")
    p.add_argument("--run-as", help="run student code as this unprivileged user (grader must be root)")
    p.add_argument("--tasks", default="", help="grade only these tasks (comma-separated; default: all)")
    p.add_argument("--threads", type=int, help="CPU threads per worker (default: the cores shared among the jobs)")
    p.add_argument("--budget", type=_seconds, metavar="SECONDS",
                   help="time budget of one submission for this run (default: limits.submission_s in course.yml)")
    p.add_argument("--canvas", action="store_true", help="also write OUT/canvas.csv for Canvas's gradebook import")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress and no summary table (errors still shown)")
    p.add_argument("--json", action="store_true", help="print OUT/summary.json to stdout at the end")
    p.add_argument("--no-reference-cache", action="store_true",
                   help="compute every reference figure afresh, and keep none: no reading or writing of the per-user "
                        "reference cache ($AUTOGRADER_CACHE/references)")
    with_isolation(p)
    p.set_defaults(func=cmd_grade)

    p = sub.add_parser("diff", help="compare two graded batches (e.g. before and after a regrade)")
    p.add_argument("old", metavar="OLD_DIR", help="output folder of the earlier batch")
    p.add_argument("new", metavar="NEW_DIR", help="output folder of the later batch")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--verify", action="store_true", help="leave out records whose MAC does not verify with the "
                                                         "record key")
    p.set_defaults(func=cmd_diff)

    p = sub.add_parser("gradescope", help="what Gradescope's run_autograder calls")
    p.add_argument("--assignment", help="an assignment of course.yml (may be left out when the course has only one)")
    with_profile(p)
    p.add_argument("--submission", default="/autograder/submission")
    p.add_argument("--results", default="/autograder/results/results.json")
    p.add_argument("--references", help="reference.json computed at release time")
    p.add_argument("--run-as", help="run student code as this unprivileged user (grader must be root)")
    p.add_argument("--budget", type=_seconds, metavar="SECONDS",
                   help="time budget of the submission (default: limits.submission_s in course.yml)")
    with_isolation(p)
    p.set_defaults(func=cmd_gradescope)

    p = sub.add_parser("validate", help="reference solutions must earn full marks, the starter zero")
    with_assignment(p)
    with_profile(p)
    p.add_argument("-j", "--jobs", type=int, default=2, help="grade solution and starter in parallel")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("release", help="build the student zip and the Gradescope bundle")
    with_assignment(p)
    p.add_argument("--out", default="dist")
    p.add_argument("--profiles", default="", help="profiles whose reference figures go in reference.json "
                                                  "(comma-separated; default: all)")
    p.set_defaults(func=cmd_release)

    p = sub.add_parser("calibrate", help="measure the reference solution's figures over the calibration seeds")
    with_assignment(p)
    with_profile(p)
    p.add_argument("--out", help="write the measurements as JSON here")
    p.add_argument("--tasks", default="", help="only these tasks, and only their data (comma-separated; default: all)")
    p.set_defaults(func=cmd_calibrate)

    p = sub.add_parser("bench", help="time the worker, a submission's grading (split), throughput at -j 1 and -j 2, "
                                     "a training epoch and otter-grader on the reference solution")
    with_assignment(p)
    with_profile(p)
    p.add_argument("--out", help="write the figures as JSON here")
    p.add_argument("--copies", type=int, default=8, help="copies of the reference per throughput run (default 8)")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("starter", help="generate the student material from the solutions and course.yml: starter "
                                       "modules, notebook, submit.py and point tables")
    with_assignment(p)
    p.add_argument("--check", action="store_true", help="change nothing; list stale files and exit 1 if any")
    p.set_defaults(func=cmd_starter)

    p = sub.add_parser("notebook", help="regenerate the student notebook from its percent-format source")
    with_assignment(p)
    p.set_defaults(func=cmd_notebook)
    return parser


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: Sequence[str] | None = None) -> int:
    from .sandbox.mounts import private_mount_namespace

    private_mount_namespace()  # root: the workers' size-capped tmpfs mounts go with this process, whatever ends it
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    signal.signal(signal.SIGTERM, _terminate)  # a kill cleans up like Ctrl-C: workers die, no half-written file
    try:
        return int(args.func(args))
    except Exception as exc:
        if not _user_error(exc):
            raise
        print(f"autograder: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("autograder: interrupted; finished results are saved, workers stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
