"""Is a profile's data available here? Load every data set the assignment's tasks read, with its settings.

Used before grading at release time (a profile whose data is missing fails in seconds), and by the Gradescope
bundle's ``setup.sh`` to download and cache the data once, when the image is built, instead of once per
submission::

    autograder --course course.yml data ASSIGNMENT [PROFILES]

Loading goes through the data registry (:mod:`autograder.data.registry`), which knows each data set's loader and
files; nothing here names a data set.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..config import AssignmentConfig, Course
from ..data.registry import preload

__all__ = ["data_problems", "load_profile_data"]


def load_profile_data(config: AssignmentConfig, profile: str) -> dict[str, str]:
    """Load every data set the tasks of ``config`` read, with ``profile``'s settings, through the data registry
    (:func:`~autograder.data.registry.preload`: the files are fetched, downloaded if need be, and checksummed).

    Returns:
        {data set name: problem} for those that cannot be loaded here (empty: all ready).
    """
    settings = config.profile(profile).data
    problems: dict[str, str] = {}
    for name in config.data_of():
        try:
            preload(settings, names=[name])
        except Exception as exc:  # any failure means the profile cannot be graded here
            problems[name] = f"{type(exc).__name__}: {exc}"
    return problems


def data_problems(course: Course, assignment: str, profiles: Sequence[str]) -> list[str]:
    """One line per data set of ``profiles`` that cannot be loaded on this machine."""
    config = course.assignment(assignment)
    return [f"profile {p!r}: data set {name!r} is unavailable: {problem}"
            for p in profiles for name, problem in load_profile_data(config, p).items()]
