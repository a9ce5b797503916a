"""The grader's version (what makes earlier grades stale) is computed once per loaded grader."""

from __future__ import annotations

import shutil
from pathlib import Path

from autograder.config import load_course
from autograder.grading.grader import load_grader

ENGINE_COURSE = Path(__file__).resolve().parent / "engine_course"


def test_the_version_is_computed_once_and_follows_the_checks(tmp_path: Path) -> None:
    shutil.copytree(ENGINE_COURSE, tmp_path / "course")
    course = load_course(tmp_path / "course" / "course.yml")
    grader = load_grader(course, "demo", reference_cache=False)
    version = grader.version
    check = tmp_path / "course" / "demo" / "checks" / "calc.py"
    check.write_text(check.read_text() + "\n# a changed check\n")
    assert grader.version == version  # read per submission: not rehashed while the batch runs
    assert load_grader(course, "demo", reference_cache=False).version != version  # a new run sees the change
