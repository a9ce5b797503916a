"""Reference figures for ``reference.json``: computed at release time by grading the reference solution.

The Gradescope bundle carries no solution code; whatever reference figures the hidden checks need (keyed
``<profile>/seed<n>/<name>``) are computed here, once, by grading the reference solution through the real
engine (:func:`~autograder.grading.grader.load_grader` + :func:`~autograder.grading.runner.grade_submission`,
exactly what ``autograder grade`` does) and reading what the judge stored. The solution must earn full marks,
or the release stops and lists the failing checks.

Before any grading, :func:`~autograder.release.datasets.data_problems` loads every data set the profiles name,
so that a profile whose data is unavailable (the ``full`` profile's MNIST training set on an offline machine)
fails in seconds, not after minutes of grading the other profiles.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any

from ..config import ConfigError, Course
from ..results import SubmissionStatus
from .datasets import data_problems
from .errors import ReleaseError

__all__ = ["compute_references", "resolve_profiles"]

Echo = Callable[[str], None]


def resolve_profiles(course: Course, assignment: str, profiles: str | Sequence[str] | None) -> list[str]:
    """``"smoke,full"`` or a list -> profile names in that order; empty or ``None`` -> every profile of the assignment.

    Raises :class:`ConfigError` for a profile course.yml does not define.
    """
    config = course.assignment(assignment)
    if isinstance(profiles, str):
        profiles = [p.strip() for p in profiles.split(",") if p.strip()]
    names = list(dict.fromkeys(profiles or config.profiles))
    unknown = [p for p in names if p not in config.profiles]
    if unknown:
        raise ConfigError(f"unknown profile(s) {unknown};"
                          f" course.yml defines {sorted(config.profiles)} for {assignment}")
    return names


def compute_references(course: Course, assignment: str, profiles: Sequence[str], *,
                       echo: Echo = print) -> dict[str, Any]:
    """Grade the reference solution on each profile; return every reference figure the checks computed.

    Raises :class:`ReleaseError` when a profile's data is unavailable or the solution loses points.
    """
    from ..grading.grader import load_grader
    from ..grading.runner import grade_submission
    from ..grading.submissions import Submission, find_modules

    missing = data_problems(course, assignment, profiles)
    if missing:
        ready = [p for p in profiles if not any(line.startswith(f"profile {p!r}:") for line in missing)]
        ready += [p for p in course.assignment(assignment).profiles
                  if p not in profiles and not data_problems(course, assignment, [p])]
        hint = "build where the data is available (with internet, or AUTOGRADER_DATA naming an offline data folder)"
        if ready:
            hint += f", or release only the profiles whose data is here: --profiles {','.join(ready)}"
        raise ReleaseError(
            "cannot compute the reference figures: the data of a requested profile is not available here\n"
            + "\n".join(f"  - {line}" for line in missing) + f"\n{hint}"
        )
    config = course.assignment(assignment)
    folder = course.path(config.solution)
    references: dict[str, Any] = {}
    for profile in profiles:
        echo(f"grading the reference solution on the {profile!r} profile to compute its reference figures ...")
        start = time.monotonic()
        grader = load_grader(course, assignment, profile)
        result = grade_submission(grader, Submission("solution", folder, find_modules(folder, config.modules)),
                                  budget_s=math.inf)  # the reference is trusted: no submission budget
        failing = [c for c in result.checks if not c.passed or c.score < c.max_score]
        if failing or result.status != SubmissionStatus.GRADED:
            lines = [f"{c.id}: {c.status}: {(c.message.strip().splitlines() or [''])[0][:300]}" for c in failing]
            if result.message:
                lines.insert(0, result.message)
            raise ReleaseError(
                f"the reference solution does not earn full marks on the {profile!r} profile "
                f"({result.score:g} / {result.max_score:g}); failing checks:\n" + "\n".join(f"  - {x}" for x in lines)
            )
        figures = {k: v for k, v in grader.judge.references.as_dict().items() if k.startswith(f"{profile}/")}
        references.update(figures)
        echo(f"  {profile}: {result.score:g} / {result.max_score:g} points in {time.monotonic() - start:.0f} s, "
             f"{len(figures)} reference figure(s)")
    return dict(sorted(references.items()))
