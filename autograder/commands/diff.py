"""``autograder diff OLD_DIR NEW_DIR``: after a regrade, who changed, and which checks."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "compare two graded batches (e.g. before and after a regrade)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("old", metavar="OLD_DIR", help="output folder of the earlier batch")
    parser.add_argument("new", metavar="NEW_DIR", help="output folder of the later batch")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--verify", action="store_true",
                        help="leave out records whose MAC does not verify with the record key")


def run(args: argparse.Namespace) -> int:
    import json

    from rich.console import Console

    from ..results.diff import diff_batches, render_diff
    from ..results.integrity import load_record_key

    diff = diff_batches(Path(args.old), Path(args.new), key=load_record_key() if args.verify else None)
    if args.json:
        print(json.dumps(diff.to_dict(), indent=1, ensure_ascii=False))
    else:
        render_diff(diff, Console())
    return 0
