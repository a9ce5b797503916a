"""The autograder command line: one verb per job, each a module of autograder/commands/.

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
import importlib
import logging
import signal
import sys
from collections.abc import Sequence
from types import FrameType

from .commands import VERBS

# Start-up cost: ``autograder --help`` and building any verb's parser import nothing beyond the standard library;
# each verb imports what it needs in its ``run`` (pydantic and yaml with the course, numpy, torch, scikit-learn or
# pandas only with the checks and data sets that use them). tests/test_lazy_imports.py keeps it so.


def _user_error(exc: Exception) -> bool:
    """A mistake in the input (exit 2 with one line), not a bug: imported here, on failure, so start-up stays light."""
    from .config import ConfigError
    from .data.errors import DataError
    from .grading.submissions import SubmissionError
    from .release.errors import ReleaseError
    from .sandbox.confine.isolation import IsolationError

    return isinstance(exc, (ConfigError, SubmissionError, FileNotFoundError, IsolationError, DataError,
                            ReleaseError))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="autograder", description=__doc__.split("\n\n")[0])
    parser.add_argument("--course", help="path of course.yml (default: $AUTOGRADER_COURSE or the nearest upwards)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what the grader does")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in VERBS:
        verb = importlib.import_module(f".commands.{name}", __package__)
        verb.add_arguments(sub.add_parser(name, help=verb.HELP))
        sub.choices[name].set_defaults(verb=verb)
    return parser


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: Sequence[str] | None = None) -> int:
    from .sandbox.confine.mounts import private_mount_namespace

    private_mount_namespace()  # root: the workers' size-capped tmpfs mounts go with this process, whatever ends it
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    signal.signal(signal.SIGTERM, _terminate)  # a kill cleans up like Ctrl-C: workers die, no half-written file
    try:
        return int(args.verb.run(args))
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
