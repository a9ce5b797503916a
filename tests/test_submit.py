"""The students' packager ``assignments/<hw>/submit.py``, for every assignment in course.yml.

It is rendered from the engine's one template with the assignment's modules and zip name (the committed file must
equal the rendered one), zips exactly the graded modules, and says what is wrong.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder.config import load_course
from autograder.release.authoring.submit_script import SUBMIT_TEMPLATE, render_submit, submission_zip_name, submit_text

REPO = Path(__file__).resolve().parents[1]
COURSE = load_course(REPO / "course.yml")
ASSIGNMENTS = sorted(COURSE.config.assignments)

FINISHED = "def answer():\n    return 42\n"
UNFINISHED = (
    "def done():\n    return 1\n\n"
    "def todo(x):\n    raise NotImplementedError('todo: write me')\n\n"
    "class Model:\n    def forward(self, x):\n        raise NotImplementedError\n"
)


def _modules(assignment: str) -> list[str]:
    return [f"{module}.py" for module in COURSE.assignment(assignment).modules]


def _starter(assignment: str) -> Path:
    return COURSE.path(COURSE.assignment(assignment).starter)


def _folder(tmp_path: Path, assignment: str, files: dict[str, str]) -> Path:
    """An assignment folder with submit.py, the given files and some clutter that must not be submitted."""
    folder = tmp_path / assignment
    folder.mkdir()
    shutil.copy2(_starter(assignment) / "submit.py", folder / "submit.py")
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / f"{assignment}.ipynb").write_text("{}", encoding="utf-8")
    (folder / "notes.txt").write_text("not submitted", encoding="utf-8")
    (folder / "tests").mkdir()
    (folder / "tests" / _modules(assignment)[0]).write_text("OK_FORMAT = False\n", encoding="utf-8")
    return folder


def _run(folder: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(folder / "submit.py"), *args],
        cwd=cwd or folder,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _zip_names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


# --------------------------------------------------------------------------------------------------------------
# Rendered from one template
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_committed_submit_is_rendered_from_the_template(assignment: str) -> None:
    committed = (_starter(assignment) / "submit.py").read_text(encoding="utf-8")
    assert committed == render_submit(COURSE, assignment), (
        f"{COURSE.assignment(assignment).starter}/submit.py is stale; run `autograder starter {assignment}`")


def test_template_knows_no_assignment() -> None:
    template = SUBMIT_TEMPLATE.read_text(encoding="utf-8")
    for assignment in ASSIGNMENTS:
        assert assignment not in template
        for module in COURSE.assignment(assignment).modules:
            assert module not in template, module


def test_another_assignment_gets_its_own_modules_and_zip(tmp_path: Path) -> None:
    text = submit_text("lab7", ["alpha"])
    assert 'MODULES = ("alpha.py",)' in text and 'ZIP_NAME = "lab7-submission.zip"' in text
    prose = " ".join(text.split())
    assert "the one file that is graded, ``alpha.py``, into ``lab7-submission.zip``" in prose
    assert "only this file, so it must not" in prose and "``alpha.py`` was not found" in prose
    assert not any(name in text for name in ASSIGNMENTS)
    folder = tmp_path / "lab7"
    folder.mkdir()
    (folder / "submit.py").write_text(text, encoding="utf-8")
    (folder / "alpha.py").write_text(FINISHED, encoding="utf-8")
    result = _run(folder)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _zip_names(folder / "lab7-submission.zip") == ["alpha.py"]


# --------------------------------------------------------------------------------------------------------------
# What it does
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_zips_exactly_the_modules(assignment: str, tmp_path: Path) -> None:
    modules, zip_name = _modules(assignment), submission_zip_name(assignment)
    folder = _folder(tmp_path, assignment, {name: FINISHED for name in modules})
    result = _run(folder)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _zip_names(folder / zip_name) == modules  # flat, nothing else
    with zipfile.ZipFile(folder / zip_name) as archive:
        for name in modules:
            assert archive.read(name).decode() == FINISHED
    for name in modules:
        assert name in result.stdout
    assert "WARNING" not in result.stdout
    assert "Gradescope" in result.stdout


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_zip_is_deterministic(assignment: str, tmp_path: Path) -> None:
    modules, zip_name = _modules(assignment), submission_zip_name(assignment)
    folder = _folder(tmp_path, assignment, {name: FINISHED for name in modules})
    assert _run(folder).returncode == 0
    first = hashlib.sha256((folder / zip_name).read_bytes()).hexdigest()
    for name in modules:  # new modification times, same contents
        (folder / name).write_text(FINISHED, encoding="utf-8")
    assert _run(folder).returncode == 0
    assert hashlib.sha256((folder / zip_name).read_bytes()).hexdigest() == first
    with zipfile.ZipFile(folder / zip_name) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_missing_modules_are_warned_about_and_the_rest_zipped(assignment: str, tmp_path: Path) -> None:
    modules = _modules(assignment)
    present = modules[::2]
    folder = _folder(tmp_path, assignment, {name: FINISHED for name in present})
    result = _run(folder)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _zip_names(folder / submission_zip_name(assignment)) == present
    warnings = [line for line in result.stdout.splitlines() if line.startswith("WARNING")]
    missing = [name for name in modules if name not in present]
    assert len(warnings) == len(missing)
    for warning, name in zip(warnings, missing, strict=True):
        assert f"{name} is missing" in warning


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_module_at_all_fails_without_a_zip(assignment: str, tmp_path: Path) -> None:
    folder = _folder(tmp_path, assignment, {})
    result = _run(folder)
    assert result.returncode == 1
    assert not (folder / submission_zip_name(assignment)).exists()
    assert "nothing to submit" in result.stdout
    assert result.stdout.count("is missing") == len(_modules(assignment))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_unfinished_modules_are_flagged(assignment: str, tmp_path: Path) -> None:
    modules = _modules(assignment)
    unfinished = modules[-1]
    folder = _folder(tmp_path, assignment, {name: FINISHED for name in modules} | {unfinished: UNFINISHED})
    result = _run(folder)
    assert result.returncode == 0
    assert _zip_names(folder / submission_zip_name(assignment)) == modules  # unfinished modules are still submitted
    flagged = [line for line in result.stdout.splitlines() if "NotImplementedError" in line]
    assert len(flagged) == 1
    assert unfinished in flagged[0] and "todo" in flagged[0] and "Model.forward" in flagged[0]
    assert "done" not in flagged[0]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_syntax_errors_are_flagged(assignment: str, tmp_path: Path) -> None:
    modules = _modules(assignment)
    broken = modules[0]
    folder = _folder(tmp_path, assignment, {name: FINISHED for name in modules} | {broken: "def broken(:\n    pass\n"})
    result = _run(folder)
    assert result.returncode == 0
    assert f"{broken} has a syntax error (line 1" in result.stdout


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_real_starter_is_flagged_and_the_solution_is_not(assignment: str, tmp_path: Path) -> None:
    config = COURSE.assignment(assignment)
    modules = _modules(assignment)
    runs = {}
    for kind, source in (("starter", COURSE.path(config.starter)), ("solution", COURSE.path(config.solution))):
        folder = tmp_path / kind
        folder.mkdir()
        shutil.copy2(_starter(assignment) / "submit.py", folder)
        for name in modules:
            shutil.copy2(source / name, folder / name)
        runs[kind] = _run(folder)
        assert runs[kind].returncode == 0, runs[kind].stdout + runs[kind].stderr

    for name in modules:
        assert f"WARNING: {name} still contains `raise NotImplementedError`" in runs["starter"].stdout
    assert "WARNING" not in runs["solution"].stdout, runs["solution"].stdout
    assert _zip_names(tmp_path / "solution" / submission_zip_name(assignment)) == modules


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_runs_from_another_folder_and_with_dir(assignment: str, tmp_path: Path) -> None:
    modules, zip_name = _modules(assignment), submission_zip_name(assignment)
    folder = _folder(tmp_path, assignment, {name: FINISHED for name in modules})
    # From elsewhere: the modules next to submit.py are packed, and the zip is written there.
    assert _run(folder, cwd=tmp_path).returncode == 0
    assert (folder / zip_name).is_file() and not (tmp_path / zip_name).exists()
    other = tmp_path / "other"
    other.mkdir()
    (other / modules[0]).write_text(FINISHED, encoding="utf-8")
    assert _run(folder, "--dir", str(other)).returncode == 0
    assert _zip_names(other / zip_name) == [modules[0]]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_main_from_a_notebook(assignment: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    """``import submit; submit.main()`` works even though a kernel's sys.argv holds its own arguments."""
    modules = _modules(assignment)
    folder = _folder(tmp_path, assignment, {name: FINISHED for name in modules})
    monkeypatch.chdir(folder)
    monkeypatch.setattr(sys, "argv", ["ipykernel_launcher.py", "-f", "/tmp/kernel-123.json"])
    spec = importlib.util.spec_from_file_location("submit", folder / "submit.py")
    submit = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(submit)
    assert submit.main() == 0
    assert f"Packed {len(modules)} of {len(modules)} modules" in capsys.readouterr().out
    assert _zip_names(folder / submission_zip_name(assignment)) == modules


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_uses_only_the_standard_library(assignment: str) -> None:
    tree = ast.parse((_starter(assignment) / "submit.py").read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported
