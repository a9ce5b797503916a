"""Every assignment of course.yml graded end to end through the CLI on its offline profile (the slow tests: real
training). A new assignment is tested here without a new test file.

- ``autograder validate ASSIGNMENT``: the reference solution earns full marks and the starter zero, with the
  student's NotImplementedError on every check, through the same engine as ``autograder grade``.
- Each typical wrong answer (the assignment's ``wrong_answers`` module) loses exactly the points of the checks it
  should fail. Tasks are independent modules, so only the task holding the bug is graded.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.config import Course, load_course
from autograder.grading.wrong_submissions import WrongAnswer, load_wrong_answers, make_wrong_submission

ROOT = Path(__file__).resolve().parents[1]
COURSE = load_course(ROOT / "course.yml")
ASSIGNMENTS = COURSE.assignments
WRONG = [(name, wrong) for name in ASSIGNMENTS for wrong in load_wrong_answers(COURSE, name)]

pytestmark = pytest.mark.slow


def _profile(name: str) -> str:
    """The profile these tests grade on: ``smoke`` (offline by design) where there is one, else the default."""
    config = COURSE.assignment(name)
    return "smoke" if "smoke" in config.profiles else config.default_profile


def autograder(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder.cli", "--course", str(ROOT / "course.yml"), *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=3000)


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_validate_solution_full_marks_starter_zero(name: str) -> None:
    config = COURSE.assignment(name)
    proc = autograder("validate", name, "--profile", _profile(name))
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert "valid:" in proc.stdout
    assert f"reference solution ({_profile(name)} profile): {config.points:g} / {config.points:g}" in proc.stdout
    assert f"starter templates: 0 / {config.points:g}" in proc.stdout


def _copy_course(tmp_path: Path, name: str) -> Course:
    """The course file and the assignment's folders (starter, solution, checks, wrong answers) under ``tmp_path``."""
    config = COURSE.assignment(name)
    for folder in {config.starter, config.solution, config.checks}:
        shutil.copytree(COURSE.path(folder), tmp_path / folder, dirs_exist_ok=True)
    if config.wrong_answers:
        (tmp_path / config.wrong_answers).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(COURSE.path(config.wrong_answers), tmp_path / config.wrong_answers)
    shutil.copy(ROOT / "course.yml", tmp_path / "course.yml")
    return load_course(tmp_path / "course.yml")


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_validate_reports_a_broken_solution(tmp_path: Path, name: str) -> None:
    """A deviation (here: a solution with a bug) makes validate fail and name the check."""
    from autograder.release.validate import validate

    config = COURSE.assignment(name)
    candidates = [w for n, w in WRONG if n == name]
    if not candidates:
        pytest.skip(f"{name} has no wrong answers")
    # The wrong answer whose tasks are quickest to grade (the smallest sum of per-call budgets).
    wrong = min(candidates, key=lambda w: sum(c.timeout_s for t in config.tasks_of(w.module)
                                              for c in config.tasks[t].checks.values()))
    course = _copy_course(tmp_path, name)
    config = course.assignment(name)
    make_wrong_submission(COURSE.path(config.solution), wrong, course.path(config.solution))
    tasks = sorted(config.tasks_of(wrong.module))
    deviations = validate(course, name, _profile(name), public_checks=False, tasks=tasks)
    assert sorted((d.what, d.check) for d in deviations) == sorted(("solution", f) for f in wrong.fails)


@pytest.fixture(scope="module")
def wrong_results(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], dict]:
    graded: dict[tuple[str, str], dict] = {}
    for name, wrong in WRONG:
        config = COURSE.assignment(name)
        subs = tmp_path_factory.mktemp(f"{name}-{wrong.name}")
        make_wrong_submission(COURSE.path(config.solution), wrong, subs / wrong.name)
        out = subs / "out"
        tasks = ",".join(sorted(config.tasks_of(wrong.module)))
        proc = autograder("grade", str(subs / wrong.name), "--assignment", name, "--profile", _profile(name),
                          "--out", str(out), "--tasks", tasks, "--threads", "1")
        assert proc.returncode == 0, proc.stderr
        graded[name, wrong.name] = json.loads((out / wrong.name / "grading.json").read_text())
    return graded


@pytest.mark.parametrize(("name", "wrong"), WRONG, ids=[f"{n}-{w.name}" for n, w in WRONG])
def test_wrong_answer_loses_exactly_its_checks(wrong_results: dict[tuple[str, str], dict], name: str,
                                               wrong: WrongAnswer) -> None:
    config = COURSE.assignment(name)
    record = wrong_results[name, wrong.name]
    failed = {c["id"] for c in record["checks"] if c["status"] != "passed"}
    assert failed == set(wrong.fails), {c["id"]: (c["status"], c["message"][:200]) for c in record["checks"]}
    graded_tasks = config.tasks_of(wrong.module)
    lost = sum(config.tasks[f.split(".", 1)[0]].checks[f.split(".", 1)[1]].points for f in wrong.fails)
    score = sum(c["score"] for c in record["checks"])
    assert score == sum(config.tasks[t].points for t in graded_tasks) - lost
    for check in record["checks"]:
        if check["id"] in wrong.fails:
            assert check["status"] == "failed", check  # judged wrong, not a crash or a grader error


def test_hw2_history_is_judged_on_the_model_and_returns_are_declared(
        wrong_results: dict[tuple[str, str], dict]) -> None:
    """``made_up_history`` is caught only by the judge measuring the model train() returned; ``rule_returns_a_column``
    is refused by the check's declared return, and the check fails (not crashes) naming what was expected."""
    names = ("made_up_history", "rule_returns_a_column")
    if not all(("hw2", n) in wrong_results for n in names):
        pytest.skip("course.yml has no hw2 with these wrong answers")
    checks = {c["id"]: c for n in names for c in wrong_results["hw2", n]["checks"]}
    history = checks["mnist_mlp.train_history"]
    assert "is not the validation loss of the trained model" in history["message"], history
    column = checks["penguins.is_gentoo_without_flipper"]
    assert column["status"] == "failed", column
    assert "should be a NumPy array" in column["message"] and "got one of shape (" in column["message"], column
