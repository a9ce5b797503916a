"""Reference figures: no calibrated figure may be written out in a released file.

Reference values and the thresholds calibrated from them (``course.yml``), and the reference figures computed
for ``reference.json``, are searched for in the text of every file of an archive. Only figures precise enough not
to turn up by chance (8 or more significant digits) are searched for, in the ways Python prints them (``repr``,
``str`` and NumPy's shortest form are the same).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

from ...config import Course
from .files import Files

__all__ = ["figure_leaks", "threshold_figures"]

_MIN_DIGITS = 8


def _numbers(value: Any) -> Iterator[float]:
    if isinstance(value, bool):
        return
    if isinstance(value, float):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _numbers(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _numbers(item)


def _significant_digits(text: str) -> int:
    mantissa = text.lower().split("e")[0].lstrip("-").replace(".", "").lstrip("0")
    return len(mantissa)


def figure_leaks(files: Files, figures: Any, archive: str, what: str = "a reference figure") -> list[str]:
    """Reference or calibration figures (floats anywhere in ``figures``) written out in a text file of ``files``."""
    wanted = {repr(x) for x in _numbers(figures) if math.isfinite(x) and _significant_digits(repr(x)) >= _MIN_DIGITS}
    if not wanted:
        return []
    pattern = re.compile(r"(?<![\d.])(" + "|".join(map(re.escape, sorted(wanted, key=len, reverse=True))) + r")(?!\d)")
    problems = []
    for name in sorted(files):
        match = pattern.search(files[name].data.decode("utf-8", errors="replace"))
        if match:
            problems.append(f"{what} ({match[1]}) is written out in {archive}: {name}")
    return problems


def threshold_figures(course: Course, assignment: str) -> list[float]:
    """The reference and wrong-answer figures the thresholds of every profile were calibrated from."""
    figures: list[float] = []
    for profile in course.assignment(assignment).profiles.values():
        for threshold in profile.thresholds.values():
            figures += threshold.reference + list(threshold.wrong.values())
    return figures
