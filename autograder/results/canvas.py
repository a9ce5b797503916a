"""``canvas.csv``: the batch's totals in the layout of Canvas's gradebook CSV import (``autograder grade --canvas``).

Canvas imports scores from a CSV laid out like its own gradebook export (Grades > Import): a mandatory header row,
then one row per student, UTF-8, standard CSV quoting. Columns, in order:

``Student``
    the student's name ("Last, First"); left empty: the grader knows only submission ids.
``ID``
    Canvas's numeric user id; left empty.
``SIS User ID``
    the student's SIS id; left empty.
``SIS Login ID``
    **the submission id** (its folder or zip name). Canvas matches a row to a student by one of the identifying
    columns, so name submissions after the students' SIS login ids (or fill ``Student``/``ID`` in afterwards)
    for the import to find them.
``Section``
    left empty (Canvas ignores it on import).
``<assignment title> (<points> pts)``
    the submission's total. Canvas takes a number in parentheses at the end of an assignment column's name for
    the id of an existing Canvas assignment (its export writes ``Title (12345)``), so the points are written
    ``(4 pts)``: a column that names no existing assignment creates a new one on import; rename the header to
    the exported ``Title (id)`` to fill in an assignment that already exists.

The second row is Canvas's ``Points Possible`` row (as in its export): the assignment's maximum score, which a new
assignment created on import takes as its points possible.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

from .atomic import write_atomic
from .records import SubmissionResult

__all__ = ["CANVAS", "COLUMNS", "assignment_column", "render_canvas", "write_canvas"]

CANVAS = "canvas.csv"
COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
POINTS_POSSIBLE = "    Points Possible"  # the first cell of the export's points row, indented as Canvas writes it


def assignment_column(title: str, points: float) -> str:
    """The assignment column's header: ``"<title> (<points> pts)"``."""
    return f"{title} ({points:g} pts)"


def render_canvas(results: Iterable[SubmissionResult], title: str, points: float | None = None) -> str:
    """The CSV text: header, points-possible row, one row per submission (sorted by id) with its total."""
    rows = sorted(results, key=lambda r: r.submission_id)
    if points is None:
        points = max((r.max_score for r in rows), default=0.0)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*COLUMNS, assignment_column(title, points)])
    writer.writerow([POINTS_POSSIBLE, "", "", "", "", f"{points:g}"])
    for r in rows:
        writer.writerow(["", "", "", r.submission_id, "", f"{round(r.score, 4):g}"])
    return buffer.getvalue()


def write_canvas(out: Path, results: Iterable[SubmissionResult], title: str, points: float | None = None) -> Path:
    """Write :func:`render_canvas` to ``out/canvas.csv`` atomically; returns the path."""
    path = Path(out) / CANVAS
    write_atomic(path, render_canvas(results, title, points))
    return path
