"""Fixtures and probes shared by the test modules.

- Every test runs with a throw-away record key and cache (``AUTOGRADER_KEY_FILE``, ``AUTOGRADER_CACHE`` under the
  session's temporary folder: never the developer's own) and, where there is one, the offline data folder
  (``AUTOGRADER_DATA``, made absolute; by default ``../shared/data`` beside the project).
- ``offline_data``: the data folder, for tests that need it (they skip without one); ``offline_profile``: the
  profile a test grades an assignment on.
- ``references``: each assignment's reference solution graded once per session on its offline profile (its result,
  the plots its checks declared, its reference figures), for every test that reads it.
- Where a sandboxed worker may run, and which isolation levels work here.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from autograder.config import Course
from autograder.sandbox.confine.bwrap import bwrap_problem
from autograder.sandbox.confine.user import can_run_interpreter, worker_user

if TYPE_CHECKING:  # the session may grade nothing: the grader's modules are imported when a reference is graded
    from autograder.grading.grader import Grader
    from autograder.plots import Plot
    from autograder.results import SubmissionResult

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session", autouse=True)
def private_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A record key and a cache of the test session's own, and the offline data folder, for every test (and every
    command a test runs: subprocesses inherit them). Yields the folder holding the key and the cache."""
    home = tmp_path_factory.mktemp("autograder-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AUTOGRADER_KEY_FILE", str(home / "record.key"))
        patch.setenv("AUTOGRADER_CACHE", str(home / "cache"))
        data = os.environ.get("AUTOGRADER_DATA") or (str(SHARED_DATA) if SHARED_DATA.is_dir() else "")
        if data:
            patch.setenv("AUTOGRADER_DATA", str(Path(data).resolve()))
        yield home


@pytest.fixture(scope="session")
def offline_data() -> Path:
    """The offline data folder (``AUTOGRADER_DATA``); a test that needs it is skipped without one."""
    value = os.environ.get("AUTOGRADER_DATA")
    if not value:
        pytest.skip(f"no offline data: set AUTOGRADER_DATA or provide {SHARED_DATA}")
    return Path(value)


def offline_profile(course: Course, assignment: str) -> str:
    """The profile tests grade ``assignment`` on: ``smoke`` (offline by design) where there is one, else the
    default."""
    config = course.assignment(assignment)
    return "smoke" if "smoke" in config.profiles else config.default_profile


@pytest.fixture(name="offline_profile", scope="session")
def offline_profile_fixture() -> Callable[[Course, str], str]:
    return offline_profile


@dataclass
class GradedReference:
    """An assignment's reference solution graded on its offline profile: the grader (its data and reference
    figures), the result, and the plots each check declared (by check id, in order)."""

    grader: Grader
    result: SubmissionResult
    plots: dict[str, list[Plot]]

    def reference_figures(self) -> dict[str, object]:
        """The reference figures the checks computed (``reference.json``'s content for this profile)."""
        return self.grader.judge.references.as_dict()


class References:
    """Each assignment's reference solution, graded at most once per test session (real training: minutes)."""

    def __init__(self, course: Course) -> None:
        self.course = course
        self._graded: dict[str, GradedReference] = {}

    def get(self, assignment: str) -> GradedReference:
        if assignment not in self._graded:
            self._graded[assignment] = self._grade(assignment)
        return self._graded[assignment]

    def _grade(self, assignment: str) -> GradedReference:
        from autograder.checks import Context
        from autograder.grading.grader import load_grader
        from autograder.grading.runner import grade_submission
        from autograder.grading.submissions import Submission, find_modules

        config = self.course.assignment(assignment)
        grader = load_grader(self.course, assignment, offline_profile(self.course, assignment))
        plots: dict[str, list[Plot]] = {}
        show = Context.figure

        def record(ctx: Context, plot: Plot) -> None:
            plots.setdefault(ctx.spec.id, []).append(plot)
            show(ctx, plot)

        folder = self.course.path(config.solution)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(Context, "figure", record)
            # one BLAS thread: the tests' machines are shared, where threaded BLAS is many times slower
            result = grade_submission(grader, Submission("solution", folder, find_modules(folder, config.modules)),
                                      budget_s=math.inf, threads=1)
        return GradedReference(grader, result, plots)


@pytest.fixture(scope="session")
def references(offline_data: Path) -> References:
    """The course's reference solutions, each graded once per session when a test first asks for it."""
    from autograder.config import load_course

    return References(load_course(ROOT / "course.yml"))


def bwrap_missing() -> str | None:
    """Why bubblewrap cannot confine a worker here (``None``: it can; CI installs it)."""
    return bwrap_problem()


def user_level_problem() -> str | None:
    """Why the ``user`` level cannot run here (``None``: it can): it needs root and an interpreter the worker user
    can run (CI's first run uses Debian's Python; its second a virtual environment under 0700 /root: it cannot)."""
    if os.geteuid() != 0:
        return "the user level needs root"
    try:
        return can_run_interpreter(worker_user())
    except (PermissionError, ValueError) as exc:
        return str(exc)


@pytest.fixture()
def scratch() -> Iterator[Path]:
    """A worker's scratch folder under /tmp, not pytest's 0700 tmp folder: an unprivileged worker user must pass
    through its parents."""
    with tempfile.TemporaryDirectory(prefix="autograder-isolation-test-") as folder:
        os.chmod(folder, 0o711)
        yield Path(folder)
