"""Point tables for the students' handout, generated from ``course.yml`` so that they cannot go stale.

The points of every task and check live in ``course.yml`` only. The handout shows them in two places:

* the handout ``README.md`` has a marked region, ``<!-- BEGIN POINTS -->`` ... ``<!-- END POINTS -->``, whose
  content :func:`fill_points_region` replaces with :func:`points_table` (the markers stay, so the file can be
  regenerated in place);
* the notebook source (a percent script) writes placeholders in its markdown cells, which the notebook builder
  fills with :func:`fill_placeholders`: ``{{ points_table }}`` (the table) and ``{{ points:<task> }}`` (one task's
  points, e.g. in a heading).
"""

from __future__ import annotations

import re

from ...config import AssignmentConfig
from ..errors import ReleaseError

__all__ = ["BEGIN_MARK", "END_MARK", "PLACEHOLDER", "fill_placeholders", "fill_points_region", "format_points",
           "points_table"]

BEGIN_MARK = "<!-- BEGIN POINTS -->"
END_MARK = "<!-- END POINTS -->"

#: ``{{ name }}`` or ``{{ name:argument }}``; only these two forms are placeholders.
PLACEHOLDER = re.compile(r"\{\{\s*(?P<name>[A-Za-z_]\w*)\s*(?::\s*(?P<arg>[A-Za-z_]\w*)\s*)?\}\}")


def format_points(value: float) -> str:
    """A number of points as people write it: ``25``, ``2.5``."""
    return f"{value:g}"


def points_table(config: AssignmentConfig) -> str:
    """The Markdown table of an assignment's points: one row per task, with each check's points and the total.

    Args:
        config: the assignment, as loaded from ``course.yml``.

    Returns:
        The table, without a trailing newline.
    """
    lines = ["| Part | Module | Topic | Checks (points) | Points |", "| --- | --- | --- | --- | --- |"]
    for number, task in enumerate(config.tasks.values(), start=1):
        checks = ", ".join(f"`{name}` {format_points(check.points)}" for name, check in task.checks.items())
        lines.append(f"| {number} | `{task.module}.py` | {task.title} | {checks} | {format_points(task.points)} |")
    lines.append(f"|   |   |   | **Total** | **{format_points(config.points)}** |")
    return "\n".join(lines)


def fill_points_region(text: str, config: AssignmentConfig, *, where: str) -> str:
    """``text`` with the content between :data:`BEGIN_MARK` and :data:`END_MARK` replaced by the points table.

    Args:
        text: the document (a handout ``README.md``).
        config: the assignment whose points go in the table.
        where: the document's name, for error messages.

    Raises:
        ReleaseError: when the markers are missing, repeated or out of order.
    """
    begins, ends = text.count(BEGIN_MARK), text.count(END_MARK)
    start, end = text.find(BEGIN_MARK), text.find(END_MARK)
    if begins != 1 or ends != 1 or end < start:
        raise ReleaseError(f"{where} must hold exactly one region {BEGIN_MARK} ... {END_MARK} (in that order) for the "
                           f"generated points table; found {begins} begin and {ends} end marker(s)")
    return f"{text[:start + len(BEGIN_MARK)]}\n{points_table(config)}\n{text[end:]}"


def fill_placeholders(text: str, config: AssignmentConfig, *, where: str) -> str:
    """Replace ``{{ points_table }}`` and ``{{ points:<task> }}`` in ``text``.

    Raises:
        ReleaseError: for any other ``{{ ... }}`` placeholder, or a task that ``course.yml`` does not define.
    """
    problems: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name, arg = match["name"], match["arg"]
        if name == "points_table" and arg is None:
            return points_table(config)
        if name == "points" and arg is not None:
            if arg in config.tasks:
                return format_points(config.tasks[arg].points)
            problems.append(f"{match[0]}: no task {arg!r} (tasks: {', '.join(config.tasks)})")
            return match[0]
        problems.append(f"{match[0]}: unknown placeholder (use {{{{ points_table }}}} or {{{{ points:<task> }}}})")
        return match[0]

    filled = PLACEHOLDER.sub(replace, text)
    leftover = [m for m in re.findall(r"\{\{.*?\}\}", filled) if not PLACEHOLDER.fullmatch(m)]
    problems += [f"{m}: malformed placeholder" for m in leftover]
    if problems:
        raise ReleaseError(f"{where}: " + "; ".join(problems))
    return filled
