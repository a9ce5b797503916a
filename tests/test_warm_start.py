"""A batch prepares each job's next submission while it grades the current one: the next worker starts warm.

``prepare_submission(..., warm=True)`` starts the worker in the background before any check runs; grading the
prepared submission then uses that worker, and the scratch folder goes when it is done (or when a prepared
submission is closed unused). A batch with one job grades every submission exactly once, in any case.
"""

from __future__ import annotations

import ast
import time
from pathlib import Path

import pytest

from autograder.config import load_course
from autograder.grading.batch import BatchOptions, grade_batch
from autograder.grading.grader import Grader, load_grader
from autograder.grading.inspection import imported_modules
from autograder.grading.runner import grade_prepared, prepare_submission
from autograder.grading.submissions import Submission, find_modules
from autograder.requirements import import_names
from autograder.sandbox import WorkerSession

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "tests" / "engine_course" / "course.yml"
GOOD = "def add(a, b):\n    return a + b\n\n\ndef slow():\n    return 'done'\n"


@pytest.fixture(scope="module")
def grader() -> Grader:
    return load_grader(load_course(COURSE), "demo", reference_cache=False)


def student(root: Path, name: str, source: str = GOOD) -> Submission:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "calc.py").write_text(source)
    return Submission(name, folder, find_modules(folder, ["calc"]))


def test_a_warm_prepared_submission_starts_its_worker_before_any_check(grader: Grader, tmp_path: Path) -> None:
    prepared = prepare_submission(grader, student(tmp_path, "ann"), scratch_root=tmp_path, warm=True)
    assert prepared.worker is not None and prepared.scratch is not None
    deadline = time.monotonic() + 120
    while not prepared.worker.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert prepared.worker.started  # no call was made: the background start did it
    scratch = prepared.scratch
    result = grade_prepared(grader, prepared)
    assert result.score == result.max_score == 4
    assert not scratch.exists() and not prepared.worker.started


def test_a_prepared_submission_closed_unused_leaves_nothing(grader: Grader, tmp_path: Path) -> None:
    prepared = prepare_submission(grader, student(tmp_path, "bo"), scratch_root=tmp_path, warm=True)
    prepared.close()
    assert prepared.scratch is not None and not prepared.scratch.exists()
    assert prepared.worker is not None and not prepared.worker.started


def test_one_job_grades_every_submission_once(grader: Grader, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOGRADER_KEY_FILE", str(tmp_path / "record.key"))
    subs = [student(tmp_path / "class", f"s{i}", GOOD if i % 2 else GOOD.replace("a + b", "a - b"))
            for i in range(4)]
    subs.append(Submission("empty", tmp_path / "class", {}))
    results = grade_batch(grader, subs, BatchOptions(out=tmp_path / "out", jobs=1, report=False))
    assert [r.submission_id for r in results] == ["s0", "s1", "s2", "s3", "empty"]
    assert [r.score for r in results] == [1, 4, 1, 4, 0]


def test_a_worker_without_torch_preloaded_imports_it_only_when_the_student_does(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("import sys\n\n\ndef loaded():\n    return 'torch' in sys.modules\n\n\n"
                                   "def draw():\n    import torch\n    return float(torch.rand(1))\n")
    with WorkerSession(tmp_path, ["m"], scratch=tmp_path / "lazy", preload=()) as lazy, \
            WorkerSession(tmp_path, ["m"], scratch=tmp_path / "eager") as eager:
        assert lazy.call("m.loaded", timeout=60).value is False
        assert eager.call("m.loaded", timeout=60).value is True
        lazy.call("m.draw", timeout=120)  # imports torch: unseeded, as documented
        assert lazy.call("m.draw", timeout=60).value == eager.call("m.draw", timeout=60).value  # seeded from then on


def test_preloaded_libraries_are_loaded_before_the_first_call_and_a_missing_one_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("import sys\n\n\ndef loaded(name):\n    return name in sys.modules\n")
    with WorkerSession(tmp_path, ["m"], scratch=tmp_path / "lazy", preload=()) as lazy, \
            WorkerSession(tmp_path, ["m"], scratch=tmp_path / "eager",
                          preload=("colorsys", "no_such_library_here", "email.mime.text")) as eager:
        for name in ("colorsys", "email.mime.text"):
            assert lazy.call("m.loaded", name, timeout=60).value is False
            assert eager.call("m.loaded", name, timeout=60).value is True
    with pytest.raises(ValueError, match="module names"):
        WorkerSession(tmp_path, ["m"], scratch=tmp_path / "bad", preload=("os; rm -rf",))


PENGUINS = ("numpy", "pandas", "sklearn.base", "sklearn.linear_model", "sklearn.pipeline", "sklearn.preprocessing")


@pytest.mark.parametrize(("tasks", "preloaded"), [
    (["penguins"], PENGUINS),
    (["mnist_mlp"], ("numpy", "numpy.typing", "torch", "torch.nn.functional")),
])
def test_workers_preload_what_the_graded_modules_import_from_the_course_requirements(
        tmp_path: Path, tasks: list[str], preloaded: tuple[str, ...]) -> None:
    """hw2 uses torch, but its penguins module does not: grading that task alone starts no torch in the worker, and
    the worker imports pandas and scikit-learn before the first call instead of during it. ``os`` and
    ``autograder.data`` (not course requirements) and imports under ``if TYPE_CHECKING:`` are not preloaded."""
    hw2 = load_grader(load_course(ROOT / "course.yml"), "hw2", "smoke", tasks=tasks, reference_cache=False)
    modules = ["trees", "mnist_mlp", "penguins", "posenc"]
    submission = Submission("ref", ROOT / "solutions" / "hw2", find_modules(ROOT / "solutions" / "hw2", modules))
    prepared = prepare_submission(hw2, submission, scratch_root=tmp_path)
    try:
        assert prepared.worker is not None and prepared.worker.preload == preloaded
    finally:
        prepared.close()


def test_the_modules_a_module_imports_are_read_from_its_syntax_tree() -> None:
    source = ("import numpy as np, os.path\nfrom torch import nn\nfrom . import helpers\n"
              "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pandas\nelse:\n    import json\n"
              "def late():\n    import sklearn.tree\n")
    assert imported_modules(ast.parse(source)) == {"numpy", "os.path", "torch", "typing", "json", "sklearn.tree"}


def test_the_course_requirements_name_their_import_names() -> None:
    names = import_names(["scikit-learn", "numpy>=1.24", "Palmer_Penguins", "not-a-package-anywhere"])
    assert {"sklearn", "numpy"} <= names and "palmerpenguins" not in names and "not_a_package_anywhere" not in names
    assert "palmerpenguins" in import_names(["palmerpenguins"])
