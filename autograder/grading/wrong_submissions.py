"""Wrong answers made on purpose: the reference solution with one typical bug.

An assignment may list them in a file named by ``wrong_answers`` in ``course.yml``: a module with a
dict ``WRONG_ANSWERS`` mapping a name to ``{"module": ..., "old": ..., "new": ..., "fails": [...]}``:
replace the text ``old`` (which must occur exactly once) in the solution's module by ``new``, and
``fails`` lists the checks that must then fail, and no others. They calibrate thresholds (a typical
wrong answer must fail) and test the grader end to end.
"""

from __future__ import annotations

import importlib.util
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..config import Course


@dataclass(frozen=True)
class WrongAnswer:
    name: str
    module: str
    old: str
    new: str
    fails: tuple[str, ...]


def load_wrong_answers(course: Course, assignment: str) -> list[WrongAnswer]:
    config = course.assignment(assignment)
    if not config.wrong_answers:
        return []
    path = course.path(config.wrong_answers)
    spec = importlib.util.spec_from_file_location(f"autograder_wrong_answers_{assignment}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [WrongAnswer(name, d["module"], d["old"], d["new"], tuple(d["fails"]))
            for name, d in module.WRONG_ANSWERS.items()]


def make_wrong_submission(solution: Path, wrong: WrongAnswer, dest: Path) -> Path:
    """Copy the solution's modules to ``dest`` and plant the bug; returns ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    for path in solution.glob("*.py"):
        shutil.copyfile(path, dest / path.name)
    target = dest / f"{wrong.module}.py"
    source = target.read_text(encoding="utf-8")
    if source.count(wrong.old) != 1:
        raise ValueError(f"wrong answer {wrong.name!r}: the text to replace occurs {source.count(wrong.old)} times "
                         f"in {wrong.module}.py (must be exactly once)")
    target.write_text(source.replace(wrong.old, wrong.new), encoding="utf-8")
    return dest
