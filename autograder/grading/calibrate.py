"""``autograder calibrate``: measure the figures thresholds are set from.

The reference solution is graded once per calibration seed, and each typical wrong answer once;
every figure a check judges against a threshold (held-out error, PSNR, accuracy...) is collected.
A threshold is well placed when every reference figure passes it with a clear margin and the wrong
answers fail it. The measurements are printed as a table and the YAML to paste next to each threshold
in ``course.yml`` (``reference``, ``wrong``, ``measured_by``), and optionally written as JSON.
"""

from __future__ import annotations

import json
import math
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ..checks.context import Judge
from ..config import Course
from ..results import SubmissionResult
from .grader import load_grader
from .runner import grade_submission
from .submissions import Submission, find_modules
from .wrong_submissions import load_wrong_answers, make_wrong_submission


@dataclass
class Calibration:
    assignment: str
    profile: str
    seeds: list[int]
    reference: dict[str, list[float]] = field(default_factory=dict)  # figure -> one value per seed
    wrong: dict[str, dict[str, float]] = field(default_factory=dict)  # figure -> wrong answer -> value
    seconds: dict[str, float] = field(default_factory=dict)


def _figures(result: SubmissionResult) -> dict[str, float]:
    return {name: value for check in result.checks for name, value in check.figures.items()}


def calibrate(course: Course, assignment: str, profile: str | None, console: Console | None = None,
              tasks: list[str] | None = None) -> Calibration:
    """Grade the reference solution once per calibration seed and each wrong answer once (only ``tasks``, if given,
    whose data alone is loaded); collect every thresholded figure."""
    console = console or Console()
    base = load_grader(course, assignment, profile, tasks=tasks)  # only the selected tasks' data is loaded
    config = base.config
    solution = course.path(config.solution)
    seeds = list(base.profile.calibration_seeds)
    calibration = Calibration(assignment, base.profile_name, seeds)
    for seed in seeds:
        # Fresh caches and references per seed; the preloaded data sets do not depend on it and are shared.
        grader = replace(base, seed=seed, judge=Judge(data=base.judge.data, needs=base.judge.needs))
        result = grade_submission(grader, Submission("solution", solution, find_modules(solution, config.modules)),
                                  budget_s=math.inf)  # measuring the reference: no submission budget
        calibration.seconds[f"solution seed {seed}"] = result.seconds
        for name, value in _figures(result).items():
            calibration.reference.setdefault(name, []).append(round(value, 4))
        console.print(f"reference solution, seed {seed}: {result.score:g}/{result.max_score:g}"
                      f" in {result.seconds:.0f} s")
        for check in result.checks:
            if not check.passed:  # the reference must pass everything: show why it did not
                console.print(f"  [red]{check.id}: {check.status}[/] {check.message.splitlines()[0][:160]}")
    with tempfile.TemporaryDirectory(prefix="calibrate-") as tmp:
        for wrong in load_wrong_answers(course, assignment):
            if tasks and not config.tasks_of(wrong.module) & set(tasks):
                continue
            folder = make_wrong_submission(solution, wrong, Path(tmp) / wrong.name)
            result = grade_submission(base, Submission(wrong.name, folder, find_modules(folder, config.modules)))
            calibration.seconds[wrong.name] = result.seconds
            for check in result.checks:
                if check.id in wrong.fails:  # the figures this wrong answer is meant to spoil
                    for name, value in check.figures.items():
                        calibration.wrong.setdefault(name, {})[wrong.name] = round(value, 4)
            failed = sorted(c.id for c in result.checks if not c.passed)
            console.print(f"wrong answer {wrong.name}: {result.score:g}/{result.max_score:g}, failed {failed}"
                          f" (expected {sorted(wrong.fails)})")
    return calibration


def report(course: Course, calibration: Calibration, console: Console) -> None:
    thresholds = course.assignment(calibration.assignment).profile(calibration.profile).thresholds
    table = Table(title=f"{calibration.assignment} / {calibration.profile}: figures over seeds {calibration.seeds}")
    for column in ("figure", "threshold", "reference", "wrong answers"):
        table.add_column(column)
    for name, values in sorted(calibration.reference.items()):
        threshold = thresholds.get(name)
        bound = "-" if threshold is None else ("<= " if threshold.max is not None else ">= ") + f"{threshold.bound:g}"
        wrong = ", ".join(f"{k}: {v:g}" for k, v in calibration.wrong.get(name, {}).items()) or "-"
        table.add_row(name, bound, ", ".join(f"{v:g}" for v in values), wrong)
    console.print(table)
    console.print("YAML for course.yml (keep your max/min; these are the measurements):")
    command = f"autograder calibrate {calibration.assignment} --profile {calibration.profile}"
    for name, values in sorted(calibration.reference.items()):
        wrong = calibration.wrong.get(name, {})
        console.print(f"  {name}: {{reference: {values}, wrong: {json.dumps(wrong)}, measured_by: \"{command}\"}}",
                      markup=False, highlight=False)
