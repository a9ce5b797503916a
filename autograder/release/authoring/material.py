"""Every generated file of an assignment's student material, regenerated or checked from one place.

The starter folder (``course.assignments[<hw>].starter``) holds hand-written files and generated ones. The
generated ones are committed, so that a reviewer sees what students get, and must equal what the engine makes
from their sources and ``course.yml``:

* ``<hw>.ipynb``, from ``notebook_source.py`` (jupytext percent format), its points placeholders filled
  (:mod:`autograder.release.authoring.notebook`);
* ``submit.py``, from the engine's one template, with the assignment's modules and zip name
  (:mod:`autograder.release.authoring.submit_script`);
* the points table of ``README.md``, between ``<!-- BEGIN POINTS -->`` and ``<!-- END POINTS -->``
  (:mod:`autograder.release.authoring.points`); the rest of the handout is hand-written.

The starter modules are not covered here (they are generated from the solutions elsewhere), nor the public checks
(hand-written). :func:`write_student_material` rewrites what is out of date; :func:`stale_student_material`
only reports it, each problem naming the file and the command that fixes it (``autograder starter <hw>``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ...config import Course
from ...results.atomic import write_if_changed
from ..errors import ReleaseError
from .notebook import NOTEBOOK_SOURCE, build_notebook
from .points import fill_points_region
from .submit_script import render_submit

__all__ = ["GeneratedFile", "README", "expected_student_material", "fix_command", "is_current", "notebook_file",
           "stale_student_material",
           "write_student_material"]

README = "README.md"


@dataclass(frozen=True)
class GeneratedFile:
    """One generated file of the student material: where it goes, what it must hold, what it is made from."""

    path: Path
    text: str
    made_from: str


def fix_command(assignment: str) -> str:
    """The command that regenerates an assignment's student material."""
    return f"autograder starter {assignment}"


def expected_student_material(course: Course, assignment: str) -> list[GeneratedFile]:
    """What every generated file of ``assignment``'s starter folder must hold, in a fixed order.

    Raises:
        ReleaseError: when a source is missing or malformed (no ``notebook_source.py``, no ``README.md``, no
            points region in it, a bad placeholder ...).
    """
    config = course.assignment(assignment)
    folder = course.path(config.starter)
    readme = folder / README
    if not readme.is_file():
        raise ReleaseError(f"{readme} is missing: the handout is written by hand, with a points region that "
                           f"`{fix_command(assignment)}` fills")
    return [
        notebook_file(course, assignment),
        GeneratedFile(folder / "submit.py", render_submit(course, assignment),
                      "the engine's submit.py template and the modules in course.yml"),
        GeneratedFile(readme, fill_points_region(readme.read_text(encoding="utf-8"), config, where=str(readme)),
                      "the points in course.yml (its points region)"),
    ]


def notebook_file(course: Course, assignment: str) -> GeneratedFile:
    """The student notebook ``<assignment>.ipynb`` as it must be (what ``autograder notebook`` writes)."""
    folder = course.path(course.assignment(assignment).starter)
    return GeneratedFile(folder / f"{assignment}.ipynb", build_notebook(course, assignment),
                         f"{NOTEBOOK_SOURCE} and the points in course.yml")


def is_current(generated: GeneratedFile) -> bool:
    """Whether the file on disk holds exactly what it must."""
    return _current(generated.path) == generated.text


def _current(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def write_student_material(course: Course, assignment: str) -> list[Path]:
    """Regenerate the generated files of ``assignment``'s student material (not the starter modules).

    Only files whose content changes are written (atomically, UTF-8, LF line ends).

    Returns:
        The paths written, in a fixed order; empty when everything was up to date.

    Raises:
        ReleaseError: as :func:`expected_student_material`; nothing is written then.
    """
    return [generated.path for generated in expected_student_material(course, assignment)
            if write_if_changed(generated.path, generated.text)]


def stale_student_material(course: Course, assignment: str) -> list[str]:
    """What is out of date in ``assignment``'s generated student material; empty when all is fresh.

    Each problem names the file (relative to the course folder) and the command that fixes it. A source that
    cannot be used at all (see :func:`expected_student_material`) is reported as one problem too.
    """
    fix = fix_command(assignment)
    try:
        expected = expected_student_material(course, assignment)
    except ReleaseError as exc:
        return [f"the student material of {assignment} cannot be generated: {exc}; fix it, then run `{fix}`"]
    problems: list[str] = []
    for generated in expected:
        if not is_current(generated):
            try:
                name = generated.path.relative_to(course.root.resolve()).as_posix()
            except ValueError:
                name = str(generated.path)
            state = "out of date" if generated.path.is_file() else "missing"
            problems.append(f"{name} is {state} (generated from {generated.made_from}); regenerate it with `{fix}`")
    return problems
