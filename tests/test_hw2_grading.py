"""HW2 graded end to end through the CLI on the smoke profile (the slow tests: real training).

- ``autograder validate hw2``: the reference solution earns full marks and the starter zero, with the
  student's NotImplementedError on every check, through the same engine as ``autograder grade``.
- Each typical wrong answer (``solutions/hw2/wrong_answers.py``) loses exactly the points of the checks
  it should fail. Tasks are independent modules, so only the task holding the bug is graded.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.config import load_course
from autograder.grading.mutants import load_wrong_answers, make_wrong_submission

ROOT = Path(__file__).resolve().parents[1]
COURSE = load_course(ROOT / "course.yml")
HW2 = COURSE.assignment("hw2")
WRONG = load_wrong_answers(COURSE, "hw2")

pytestmark = pytest.mark.slow


def autograder(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=3000)


def test_validate_solution_full_marks_starter_zero() -> None:
    proc = autograder("validate", "hw2", "--profile", "smoke")
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert "valid:" in proc.stdout
    assert f"reference solution (smoke profile): {HW2.points:g} / {HW2.points:g}" in proc.stdout
    assert f"starter templates: 0 / {HW2.points:g}" in proc.stdout


def test_validate_reports_a_broken_solution(tmp_path: Path) -> None:
    """A deviation (here: a solution with a bug) makes validate fail and name the check."""
    import shutil

    copy = tmp_path / "course"
    shutil.copytree(ROOT / "assignments", copy / "assignments")
    shutil.copytree(ROOT / "solutions", copy / "solutions")
    shutil.copy(ROOT / "course.yml", copy / "course.yml")
    wrong = next(w for w in WRONG if w.module == "penguins")
    make_wrong_submission(ROOT / "solutions" / "hw2", wrong, copy / "solutions" / "hw2")
    course = load_course(copy / "course.yml")
    from autograder.release.validate import validate

    deviations = validate(course, "hw2", "smoke", public_checks=False, tasks=["penguins"])
    assert [(d.what, d.check) for d in deviations] == [("solution", "penguins.is_gentoo")]


@pytest.fixture(scope="module")
def wrong_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    graded: dict[str, dict] = {}
    for wrong in WRONG:
        subs = tmp_path_factory.mktemp(wrong.name)
        make_wrong_submission(ROOT / "solutions" / "hw2", wrong, subs / wrong.name)
        out = subs / "out"
        proc = autograder("grade", str(subs / wrong.name), "--assignment", "hw2", "--profile", "smoke",
                          "--out", str(out), "--tasks", wrong.module, "--threads", "1")
        assert proc.returncode == 0, proc.stderr
        graded[wrong.name] = json.loads((out / wrong.name / "grading.json").read_text())
    return graded


@pytest.mark.parametrize("wrong", WRONG, ids=[w.name for w in WRONG])
def test_wrong_answer_loses_exactly_its_checks(wrong_results: dict[str, dict], wrong) -> None:
    record = wrong_results[wrong.name]
    task = HW2.tasks[wrong.module]
    failed = {c["id"] for c in record["checks"] if c["status"] != "passed"}
    assert failed == set(wrong.fails), {c["id"]: (c["status"], c["message"][:200]) for c in record["checks"]}
    lost = sum(task.checks[f.split(".", 1)[1]].points for f in wrong.fails)
    score = sum(c["score"] for c in record["checks"])
    assert score == task.points - lost
    for check in record["checks"]:
        if check["id"] in wrong.fails:
            assert check["status"] == "failed", check  # judged wrong, not a crash or a grader error


def test_history_is_judged_on_the_model_and_returns_are_declared(wrong_results: dict[str, dict]) -> None:
    """``made_up_history`` is caught only by the judge measuring the model train() returned; ``rule_returns_a_column``
    is refused by the check's declared return, and the check fails (not crashes) naming what was expected."""
    names = ("made_up_history", "rule_returns_a_column")
    checks = {c["id"]: c for name in names for c in wrong_results[name]["checks"]}
    history = checks["mnist_mlp.train_history"]
    assert "is not the validation loss of the trained model" in history["message"], history
    column = checks["penguins.is_gentoo_without_flipper"]
    assert column["status"] == "failed", column
    assert "should be a NumPy array" in column["message"] and "got one of shape (" in column["message"], column
