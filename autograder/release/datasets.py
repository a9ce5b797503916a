"""Is a profile's data available here? Load every data set it names, with its settings.

Used before grading at release time (a profile whose data is missing fails in seconds), and by the Gradescope
bundle's ``setup.sh`` to download and cache the data once, when the image is built, instead of once per
submission::

    python -m autograder.release.datasets --course course.yml hw2 full
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

from ..config import ConfigError, Course, ProfileConfig, load_course

__all__ = ["data_problems", "load_profile_data"]


def _loaders() -> dict[str, Callable[[dict[str, Any]], Any]]:
    from ..data import (
        image_splits,
        load_image,
        load_mnist,
        load_penguins,
        load_temperature_splits,
        penguin_split,
    )

    return {
        "temperature": lambda s: load_temperature_splits(**s),
        "mnist": lambda s: load_mnist(**s),
        "penguins": lambda s: penguin_split(load_penguins(), **s),
        "image": lambda s: image_splits(load_image(**s)),
    }


def load_profile_data(profile: ProfileConfig) -> dict[str, str]:
    """Load every data set ``profile.data`` names (with its settings); return {name: problem} for those that fail.

    Data sets the data layer does not know are skipped (the checks will load them).
    """
    problems: dict[str, str] = {}
    loaders = _loaders()
    for name, settings in profile.data.items():
        if name not in loaders:
            continue
        try:
            loaders[name](dict(settings))
        except Exception as exc:  # noqa: BLE001 - any failure means the profile cannot be graded here
            problems[name] = f"{type(exc).__name__}: {exc}"
    return problems


def data_problems(course: Course, assignment: str, profiles: Sequence[str]) -> list[str]:
    """One line per data set of ``profiles`` that cannot be loaded on this machine."""
    config = course.assignment(assignment)
    return [f"profile {p!r}: data set {name!r} is unavailable: {problem}"
            for p in profiles for name, problem in load_profile_data(config.profile(p)).items()]


def main(argv: Sequence[str] | None = None) -> int:
    """Load (and so download and cache) every data set of the given profiles; exit 1 if one fails."""
    parser = argparse.ArgumentParser(prog="python -m autograder.release.datasets", description=__doc__.splitlines()[0])
    parser.add_argument("--course", default="course.yml")
    parser.add_argument("assignment")
    parser.add_argument("profiles", nargs="?", default="", help="comma-separated (default: all)")
    args = parser.parse_args(argv)
    try:
        course = load_course(args.course)
        config = course.assignment(args.assignment)
        profiles = [p.strip() for p in args.profiles.split(",") if p.strip()] or list(config.profiles)
        for name in profiles:
            config.profile(name)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    problems = data_problems(course, args.assignment, profiles)
    for line in problems:
        print(f"warning: {line}", file=sys.stderr)
    print(f"data of {', '.join(profiles)}: {'ready' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
