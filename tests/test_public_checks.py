"""The public otter checks of every assignment in course.yml pass on the reference solution and fail on the starter.

The checks are otter test files in otter's Python format (``OK_FORMAT = False``, ``@test_case`` functions). They
run the ways students and the release run them, in temporary copies of the assignment folder:

* with otter's own test-file runner, once per module (quick: no kernel): the solution earns every public point,
  the starter none, each case failing with the starter's ``NotImplementedError`` or a failed assertion;
* ``otter check <module>.py -q <module>`` (the command in the README) on the solution, and ``otter check`` with
  no ``-q`` (all questions) on the starter: every question fails and otter itself does not crash;
* ``grader.check(...)`` inside a notebook kernel, the way the notebook calls it, including after the student's
  module changes on disk although the notebook has already imported it.

Otter runs the checks in a Jupyter kernel, so ``ipykernel`` must be installed (these tests fail, rather than
skip, when it is not: students would be stuck the same way). The public checks never load data: here
``AUTOGRADER_DATA`` points at a folder that does not exist, so a check that tried would fail.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from autograder.config import load_course
from autograder.release.public_checks import public_check_problems, public_check_score

REPO = Path(__file__).resolve().parents[1]
COURSE = load_course(REPO / "course.yml")
ASSIGNMENTS = sorted(COURSE.config.assignments)
QUESTIONS = [(a, m) for a in ASSIGNMENTS for m in dict.fromkeys(t.module for t in COURSE.assignment(a).tasks.values())]
OTTER_TIMEOUT_S = 300


def _starter(assignment: str) -> Path:
    return COURSE.path(COURSE.assignment(assignment).starter)


def _solution(assignment: str) -> Path:
    return COURSE.path(COURSE.assignment(assignment).solution)


def _questions(assignment: str) -> list[str]:
    return [m for a, m in QUESTIONS if a == assignment]


@pytest.fixture
def kernel() -> None:
    """otter check and grader.check run the checks in a Jupyter kernel: without ipykernel, students cannot either."""
    if importlib.util.find_spec("ipykernel") is None:
        pytest.fail("ipykernel is not installed, so `otter check` cannot start a kernel: it must be a dependency of "
                    "the project (pyproject.toml) and of the students' requirements.txt")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # The public checks must never touch data: point the data layer at an empty folder, so that any load fails
    # instead of reading the offline copies or downloading.
    env["AUTOGRADER_DATA"] = str(Path(tempfile.gettempdir()) / "public-checks-no-data")
    # One thread per library: on a small shared machine, torch's thread pool under contention makes tiny models
    # 10-100 times slower.
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[var] = "1"
    env["MPLBACKEND"] = "Agg"
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # a re-written module is re-read from source, whatever its mtime
    return env


@pytest.fixture(autouse=True)
def public_check_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The environment above, for every subprocess and kernel these tests start."""
    for key, value in _env().items():
        monkeypatch.setenv(key, value)
    yield


def _assignment_copy(dest: Path, assignment: str, modules_from: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for module in COURSE.assignment(assignment).modules:
        shutil.copy2(modules_from / f"{module}.py", dest / f"{module}.py")
    shutil.copytree(_starter(assignment) / "tests", dest / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def _otter_check(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "otter", "check", *args], cwd=cwd, env=_env(),
                            capture_output=True, text=True, timeout=OTTER_TIMEOUT_S)
    assert result.returncode == 0, f"otter crashed:\n{result.stdout}\n{result.stderr}"
    assert "Traceback" not in result.stderr, result.stderr
    return result


def _case_results(report: str) -> dict[str, bool]:
    """``{case name: passed}`` for every test case in otter's report of a failed question."""
    return {
        m.group(1).strip(): m.group(2) == "\u2705"
        for m in re.finditer(r"^\s*(\S.*?) result:\n\s*(\u2705|\u274c) Test case", report, flags=re.MULTILINE)
    }


def _sections(output: str) -> dict[str, str]:
    """Split otter's report of failed questions into ``{question: its part of the report}``."""
    starts = [(m.start(), m.group(1)) for m in re.finditer(r"^(\w+) results:", output, flags=re.MULTILINE)]
    return {
        name: output[start : starts[i + 1][0] if i + 1 < len(starts) else len(output)]
        for i, (start, name) in enumerate(starts)
    }


# --------------------------------------------------------------------------------------------------------------
# Form
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_module_has_well_formed_public_checks(assignment: str) -> None:
    """A malformed test file does not show up as a failed check: otter check dies (e.g. with a ZeroDivisionError)."""
    from otter.test_files import ExceptionTestFile, create_test_file

    assert public_check_problems(COURSE, assignment) == []
    for question in _questions(assignment):
        test_file = create_test_file(str(_starter(assignment) / "tests" / f"{question}.py"), None)
        assert isinstance(test_file, ExceptionTestFile), f"{question}: use otter's Python format (OK_FORMAT = False)"
        assert test_file.name == question
        assert test_file.test_cases and test_file.possible > 0, question
        for case in test_file.test_cases:
            assert not case.hidden, f"{case.name}: public cases must not be hidden"
            assert case.failure_message, f"{case.name}: give students a hint when the case fails"
            assert case.name.startswith(f"{question}: "), case.name
        assert len({case.name for case in test_file.test_cases}) == len(test_file.test_cases), question


def test_form_problems_are_reported(tmp_path: Path) -> None:
    assignment = ASSIGNMENTS[0]
    questions = _questions(assignment)
    shutil.copy(REPO / "course.yml", tmp_path / "course.yml")
    tests = tmp_path / COURSE.assignment(assignment).starter / "tests"
    shutil.copytree(_starter(assignment) / "tests", tests)
    path = tests / f"{questions[0]}.py"
    text = path.read_text(encoding="utf-8").replace("OK_FORMAT = False", "OK_FORMAT = True")
    text = text.replace("points=1,", "points=0,", 1).replace("hidden=False", "hidden=True", 1)
    path.write_text(text + "\n\ndef _peek(module):\n    return module.load_data()\n", encoding="utf-8")
    (tests / f"{questions[-1]}.py").unlink()
    problems = "\n".join(public_check_problems(load_course(tmp_path / "course.yml"), assignment))
    assert "OK_FORMAT = False" in problems and "positive number of points" in problems
    assert "must not be hidden" in problems and "must not load data" in problems
    assert f"tests/{questions[-1]}.py is missing" in problems


# --------------------------------------------------------------------------------------------------------------
# Outcomes, with otter's test-file runner (no kernel)
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("assignment", "question"), QUESTIONS)
def test_solution_earns_every_public_point(assignment: str, question: str) -> None:
    result = public_check_score(_solution(assignment), _starter(assignment) / "tests", question)
    assert result.possible > 0 and result.score == result.possible, result.output
    assert result.cases and all(result.cases.values()), result.output


@pytest.mark.parametrize(("assignment", "question"), QUESTIONS)
def test_starter_earns_no_public_point(assignment: str, question: str) -> None:
    result = public_check_score(_starter(assignment), _starter(assignment) / "tests", question)
    assert result.possible > 0 and result.score == 0, result.output
    assert result.cases and not any(result.cases.values()), result.output
    assert "NotImplementedError" in result.output, result.output


# --------------------------------------------------------------------------------------------------------------
# Outcomes, as students run them (otter check, grader.check in a kernel)
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_passes_the_students_command(kernel: None, assignment: str, tmp_path: Path) -> None:
    question = _questions(assignment)[0]
    work = _assignment_copy(tmp_path / assignment, assignment, _solution(assignment))
    result = _otter_check(work, f"{question}.py", "-q", question)
    assert result.stdout.strip().endswith("All tests passed!"), result.stdout


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_starter_fails_every_case_without_crashing_otter(kernel: None, assignment: str, tmp_path: Path) -> None:
    questions = _questions(assignment)
    work = _assignment_copy(tmp_path / assignment, assignment, _starter(assignment))
    result = _otter_check(work, f"{questions[0]}.py")  # no -q: all questions, against the starter modules
    assert "All tests passed!" not in result.stdout
    sections = _sections(result.stdout)
    assert sorted(sections) == sorted(questions), result.stdout
    for question, report in sections.items():
        assert "NotImplementedError" in report, f"{question}:\n{report}"
        cases = _case_results(report)
        assert cases and not any(cases.values()), f"a public case of {question} passes on the starter:\n{report}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_grader_check_in_a_notebook_kernel(kernel: None, assignment: str, tmp_path: Path) -> None:
    """grader.check as the notebook calls it: after the modules were imported, and after a module changes on disk."""
    import nbformat
    from nbclient import NotebookClient

    questions = _questions(assignment)
    modules = COURSE.assignment(assignment).modules
    work = _assignment_copy(tmp_path / assignment, assignment, _solution(assignment))
    broken = questions[0]
    cells = [
        "import otter\ngrader = otter.Notebook(tests_dir='tests')\n" + "\n".join(f"import {m}" for m in modules),
        *[f"print(repr(grader.check({q!r})))" for q in questions],
        # The student's module goes back to the starter; the next check must see it although it is imported.
        f"import shutil\nshutil.copy({str(_starter(assignment) / f'{broken}.py')!r}, {f'{broken}.py'!r})",
        f"print(repr(grader.check({broken!r})))",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in cells])
    client = NotebookClient(nb, kernel_name="python3", timeout=OTTER_TIMEOUT_S,
                            resources={"metadata": {"path": str(work)}})
    client.execute()

    def text(cell: dict) -> str:
        return "".join(out.get("text", "") for out in cell["outputs"] if out["output_type"] == "stream")

    for question, cell in zip(questions, nb.cells[1 : 1 + len(questions)], strict=True):
        assert text(cell).strip() == f"{question} results: All test cases passed!", text(cell)
    after_edit = _case_results(text(nb.cells[-1]))
    assert after_edit and not any(after_edit.values()), text(nb.cells[-1])
