"""Leak checks: nothing of the answers, the hidden checks or the held-out data may reach students.

Four families of checks run on the files of a release (archive name -> bytes), before anything is written:

* **Solution bodies** (:mod:`.bodies`, :mod:`.snippets`): no non-trivial function body of the reference
  solution, the hidden checks or the wrong answers appears, normalised, in any Python code of the archive
  (modules, notebook cells, fenced code in Markdown, doctest examples), under any name.
* **Forbidden files** (:mod:`.files`): hidden check files, grader-only files, the wrong answers, the notebook's
  source and data files, by name (the data registry names the course data's files), by type and by content.
* **Reference figures** (:mod:`.figures`): calibrated thresholds and reference figures written out anywhere in
  the text.
* **Stale starters** (:func:`autograder.release.authoring.starter.stale_starters`): the committed starter modules are
  generated from the solution (``# BEGIN SOLUTION`` / ``# END SOLUTION`` regions replaced by their ``# STUB``),
  so what students read is what is graded and nothing graded is left solved; a committed starter that differs
  from the generator's output fails the release.

:func:`check_leaks` runs all of them on the student zip (it can run on its own, without grading anything; the
reference figures, known only once the solution is graded, are checked by the build with :func:`figure_leaks`);
:func:`check_bundle` checks the Gradescope bundle for solution code and wrong answers. Both raise
:class:`~autograder.release.errors.ReleaseError` listing every problem, and return the verdicts otherwise.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from ...config import Course
from ..errors import ReleaseError
from ..student import student_entries, student_zip_name
from .bodies import Body, function_bodies, secret_bodies, solution_body_leaks
from .figures import figure_leaks, threshold_figures
from .files import Files, forbidden_files
from .snippets import python_sources

__all__ = [
    "Body", "Files", "check_bundle", "check_leaks", "figure_leaks", "forbidden_files", "function_bodies",
    "python_sources", "secret_bodies", "solution_body_leaks", "threshold_figures",
]


def _fail(title: str, problems: list[str]) -> None:
    """Raise :class:`ReleaseError` listing every problem under ``title``; nothing if there is none."""
    if problems:
        raise ReleaseError(f"{title} ({len(problems)} problem{'s' if len(problems) != 1 else ''}):\n"
                           + "\n".join(f"  - {p}" for p in problems))


def _stale_starters(course: Course, assignment: str) -> list[str]:
    """One problem per committed starter module that differs from what the solution generates."""
    from ..authoring.starter import stale_starters  # the starter generator lives in its own module

    return stale_starters(course, assignment)


def check_leaks(course: Course, assignment: str, student: Files | None = None) -> list[str]:
    """Run every leak check on the student zip's files (gathered here if not given); return the verdicts.

    Raises :class:`ReleaseError` naming every problem found. Grades nothing, so it is quick.
    """
    archive = student_zip_name(assignment)
    files = student_entries(course, assignment) if student is None else student
    stale = _stale_starters(course, assignment)
    secrets, given = secret_bodies(course, assignment)
    bodies = solution_body_leaks(files, secrets, archive)
    forbidden = forbidden_files(course, assignment, files, archive)
    figures = figure_leaks(files, threshold_figures(course, assignment), archive, "a calibrated threshold figure")
    _fail(f"the leak checks of {archive} failed", stale + bodies + forbidden + figures)
    n_solution = sum(1 for s in secrets if s.label.startswith("solution body"))
    return [
        (f"no solution code in {archive}: {n_solution} solution bodies and {len(secrets) - n_solution} hidden-check "
         f"and wrong-answer bodies searched for in {len(files)} files ({given} given helpers skipped)"),
        f"no hidden, secret or data file in {archive}",
        f"no calibrated threshold figure written out in {archive}",
        (f"the starter modules are generated from the solution "
         f"({len(course.assignment(assignment).modules)} modules up to date)"),
    ]


def check_bundle(course: Course, assignment: str, bundle: Files, archive: str) -> list[str]:
    """The Gradescope bundle holds no solution code and no wrong answers; return the verdicts."""
    config = course.assignment(assignment)
    secrets, _ = secret_bodies(course, assignment)
    solution_secrets = [s for s in secrets if s.label.startswith("solution body")]
    problems = solution_body_leaks(bundle, solution_secrets, archive)
    wrong = course.path(config.wrong_answers) if config.wrong_answers else None
    wrong_name = wrong.name if wrong is not None else "wrong_answers.py"
    wrong_bytes = wrong.read_bytes() if wrong is not None and wrong.is_file() else None
    solution_dir = course.path(config.solution)
    solution_files = {(solution_dir / f"{m}.py").read_bytes(): f"{config.solution}/{m}.py"
                      for m in config.modules if (solution_dir / f"{m}.py").is_file()}
    for name in sorted(bundle):
        data = bundle[name].data
        if PurePosixPath(name).name == wrong_name or (wrong_bytes is not None and data == wrong_bytes):
            problems.append(f"{name} must not be in {archive}: the wrong answers are never released")
        if data in solution_files:
            problems.append(f"{name} must not be in {archive}: a copy of the reference solution {solution_files[data]}")
    _fail(f"the leak checks of {archive} failed", problems)
    return [(f"no solution code and no wrong answers in {archive} ({len(solution_secrets)} solution bodies searched "
             f"for in {len(bundle)} files)")]
