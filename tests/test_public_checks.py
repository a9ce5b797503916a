"""The public otter checks in assignments/hw2/tests pass on the reference solution and fail on the starter.

Every check runs the way a student runs it, in a temporary copy of the assignment folder:

* ``otter check <module>.py -q <question>`` (the command in the README), once per question, on the solution;
* ``otter check`` with no ``-q`` (all questions) on the starter: every question fails, with the
  ``NotImplementedError`` in the output, and otter itself does not crash;
* ``grader.check(...)`` inside a notebook kernel, the way ``hw2.ipynb`` calls it, including after the student
  edits a module that the notebook has already imported.

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
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENT = REPO / "assignments" / "hw2"
SOLUTION = REPO / "solutions" / "hw2"
QUESTIONS = ("trees", "mnist_mlp", "penguins", "posenc")
OTTER_TIMEOUT_S = 300


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
    env["AUTOGRADER_DATA"] = str(Path(tempfile.gettempdir()) / "hw2-public-checks-no-data")
    # One thread per library: on a small shared machine, torch's thread pool under contention makes tiny models
    # 10-100 times slower.
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[var] = "1"
    env["MPLBACKEND"] = "Agg"
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # a re-written module is re-read from source, whatever its mtime
    return env


def _assignment_copy(dest: Path, modules_from: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for question in QUESTIONS:
        shutil.copy2(modules_from / f"{question}.py", dest / f"{question}.py")
    shutil.copytree(ASSIGNMENT / "tests", dest / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def _otter_check(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "otter", "check", *args],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=OTTER_TIMEOUT_S,
    )
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


@pytest.fixture(scope="module")
def solution_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _assignment_copy(tmp_path_factory.mktemp("solution") / "hw2", SOLUTION)


@pytest.fixture(scope="module")
def starter_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _assignment_copy(tmp_path_factory.mktemp("starter") / "hw2", ASSIGNMENT)


def test_every_question_has_a_well_formed_public_ok_test() -> None:
    """A malformed test file does not show up as a failed check: otter check dies with a ZeroDivisionError."""
    import doctest

    from otter.test_files import OKTestFile

    for question in QUESTIONS:
        test_file = OKTestFile.from_file(str(ASSIGNMENT / "tests" / f"{question}.py"))
        assert test_file.name == question
        assert test_file.test_cases, question
        assert all(not case.hidden for case in test_file.test_cases), f"{question}: public cases must not be hidden"
        for case in test_file.test_cases:
            assert doctest.DocTestParser().get_examples(case.body, case.name), case.name  # parses, not empty
            assert "load_data" not in case.body, f"{case.name}: public checks must not load data"
            assert case.failure_message, f"{case.name}: give students a hint when the case fails"


@pytest.mark.parametrize("question", QUESTIONS)
def test_solution_passes_the_students_command(kernel: None, solution_dir: Path, question: str) -> None:
    result = _otter_check(solution_dir, f"{question}.py", "-q", question)
    assert result.stdout.strip().endswith("All tests passed!"), result.stdout


def test_starter_fails_every_case_without_crashing_otter(kernel: None, starter_dir: Path) -> None:
    result = _otter_check(starter_dir, "trees.py")  # no -q: all questions, against the starter modules
    assert "All tests passed!" not in result.stdout
    sections = _sections(result.stdout)
    assert sorted(sections) == sorted(QUESTIONS), result.stdout
    for question, report in sections.items():
        assert "NotImplementedError" in report, f"{question}:\n{report}"
        cases = _case_results(report)
        assert cases and not any(cases.values()), f"a public case of {question} passes on the starter:\n{report}"


def test_grader_check_in_a_notebook_kernel(kernel: None, tmp_path: Path) -> None:
    """grader.check as hw2.ipynb calls it: after the modules were imported, and after a module is edited."""
    import nbformat
    from nbclient import NotebookClient

    work = _assignment_copy(tmp_path / "hw2", SOLUTION)
    cells = [
        "import otter\ngrader = otter.Notebook(tests_dir='tests')\nimport trees, mnist_mlp, penguins, posenc",
        *[f"print(repr(grader.check({q!r})))" for q in QUESTIONS],
        # The student breaks rmse in the file; the next check must see the edit although trees is imported.
        "from pathlib import Path\n"
        "src = Path('trees.py').read_text()\n"
        "Path('trees.py').write_text(src.replace('return float(np.sqrt(np.mean(errors**2)))', "
        "'return float(np.mean(errors**2))'))",
        "print(repr(grader.check('trees')))",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in cells])
    old_env = dict(os.environ)
    os.environ.update(_env())
    try:
        NotebookClient(nb, kernel_name="python3", timeout=OTTER_TIMEOUT_S, resources={"metadata": {"path": str(work)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(old_env)

    def text(cell: dict) -> str:
        return "".join(out.get("text", "") for out in cell["outputs"] if out["output_type"] == "stream")

    for question, cell in zip(QUESTIONS, nb.cells[1:5]):
        assert text(cell).strip() == f"{question} results: All test cases passed!", text(cell)
    after_edit = _case_results(text(nb.cells[-1]))
    assert after_edit.get("trees: rmse") is False, text(nb.cells[-1])
    assert after_edit.get("trees: best_depths") is True, text(nb.cells[-1])
