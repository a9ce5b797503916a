"""Forbidden files: what must not be in the student zip, by name, by type and by content.

* **By name**: grader-only files (``course.yml``, ``reference.json``, calibration files, the notebook's source,
  the wrong answers, checksum lists) and the files of the course data, as the data registry names them
  (:func:`autograder.data.registry.data_file_names`: every file a registered data set reads or downloads, with
  its compressed variants). The engine itself knows no data set by name.
* **By type**: data and serialised-object suffixes (``.npy``, ``.npz``, ``.csv``, ``.pt``, ``.pkl``, archives,
  ``.json``/``.yml`` ...), and anything that is not a handout file type (``.py``, ``.md``, ``.ipynb``,
  ``requirements.txt``); and any file from the hidden solutions folder.
* **By content**: a byte-for-byte copy of a hidden check, of ``course.yml``, of the wrong answers or of a
  reference solution module (unless the starter module is identical), under any name.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath

from ...config import Course
from ..deterministic_zip import Entry
from ..student import NOTEBOOK_SOURCE

__all__ = ["DATA_SUFFIXES", "Files", "forbidden_files"]

Files = Mapping[str, Entry]
"""The files of an archive: archive name -> entry."""

DATA_SUFFIXES = (".npy", ".npz", ".csv", ".tsv", ".gz", ".bz2", ".xz", ".zip", ".tar", ".tgz", ".pt", ".pth",
                 ".ckpt", ".pkl", ".pickle", ".joblib", ".h5", ".hdf5", ".parquet", ".feather", ".arrow",
                 ".json", ".yml", ".yaml", ".npy.gz", ".idx", ".safetensors")
"""Suffixes of data and serialised objects (lower case): never part of a handout."""

_STUDENT_SUFFIXES = (".py", ".md", ".ipynb")
_SECRET_NAMES = frozenset({"course.yml", "course.yaml", "reference.json", "references.json", "thresholds.json",
                           "calibration.json", NOTEBOOK_SOURCE, "SHA256SUMS"})


def _data_file_names() -> frozenset[str]:
    """Base names (lower case) of the course data's files, from the data registry."""
    from autograder.data.registry import data_file_names  # the data layer owns the names

    return data_file_names()


def _secret_content(course: Course, assignment: str) -> dict[bytes, str]:
    """The bytes of every hidden file -> what it is."""
    config = course.assignment(assignment)
    secret: dict[bytes, str] = {}
    for path in sorted(course.path(config.checks).glob("*")):
        if path.is_file():
            secret.setdefault(path.read_bytes(), f"the hidden check {PurePosixPath(config.checks, path.name)}")
    course_file = course.root / "course.yml"
    if course_file.is_file():
        secret.setdefault(course_file.read_bytes(), "course.yml")
    if config.wrong_answers and course.path(config.wrong_answers).is_file():
        secret.setdefault(course.path(config.wrong_answers).read_bytes(), config.wrong_answers)
    solution_dir, starter_dir = course.path(config.solution), course.path(config.starter)
    for module in config.modules:
        solution, starter = solution_dir / f"{module}.py", starter_dir / f"{module}.py"
        if solution.is_file() and not (starter.is_file() and starter.read_bytes() == solution.read_bytes()):
            secret.setdefault(solution.read_bytes(), f"the reference solution {config.solution}/{module}.py")
    return secret


def forbidden_files(course: Course, assignment: str, files: Files, archive: str) -> list[str]:
    """Hidden, secret or data files among ``files`` (student archive), by name, type and content."""
    config = course.assignment(assignment)
    secret_content = _secret_content(course, assignment)
    data_names = _data_file_names()
    checks_dir = PurePosixPath(config.checks).as_posix().strip("/") + "/"
    solution_rel = PurePosixPath(config.solution).as_posix().strip("/") + "/"
    wrong_name = PurePosixPath(config.wrong_answers).name if config.wrong_answers else "wrong_answers.py"
    problems: list[str] = []
    for name in sorted(files):
        path = PurePosixPath(name)
        base = path.name
        reasons: list[str] = []
        if base in _SECRET_NAMES or base == wrong_name:
            reasons.append("a grader-only file")
        elif base.lower().endswith(DATA_SUFFIXES) or base.lower() in data_names:
            reasons.append("a data file")
        elif not base.endswith(_STUDENT_SUFFIXES) and base != "requirements.txt":
            reasons.append("not a handout file type (.py, .md, .ipynb, requirements.txt)")
        if f"/{checks_dir}" in f"/{name}" or f"/{solution_rel}" in f"/{name}" or "solutions" in path.parts:
            reasons.append("from the hidden solutions folder")
        if files[name].data in secret_content:
            reasons.append(f"a copy of {secret_content[files[name].data]}")
        if reasons:
            problems.append(f"{name} must not be in {archive}: " + "; ".join(dict.fromkeys(reasons)))
    return problems
