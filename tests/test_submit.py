"""assignments/hw2/submit.py: the students' packager zips exactly the graded modules, and says what is wrong."""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENT = REPO / "assignments" / "hw2"
SOLUTION = REPO / "solutions" / "hw2"
MODULES = ("trees.py", "mnist_mlp.py", "penguins.py", "posenc.py")
ZIP_NAME = "hw2-submission.zip"

FINISHED = "def answer():\n    return 42\n"
UNFINISHED = (
    "def done():\n    return 1\n\n"
    "def todo(x):\n    raise NotImplementedError('todo: write me')\n\n"
    "class Model:\n    def forward(self, x):\n        raise NotImplementedError\n"
)


def _folder(tmp_path: Path, files: dict[str, str]) -> Path:
    """An assignment folder with submit.py, the given files and some clutter that must not be submitted."""
    folder = tmp_path / "hw2"
    folder.mkdir()
    shutil.copy2(ASSIGNMENT / "submit.py", folder / "submit.py")
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "hw2.ipynb").write_text("{}", encoding="utf-8")
    (folder / "notes.txt").write_text("not submitted", encoding="utf-8")
    (folder / "tests").mkdir()
    (folder / "tests" / "trees.py").write_text("OK_FORMAT = True\n", encoding="utf-8")
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


def test_zips_exactly_the_four_modules(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {name: FINISHED for name in MODULES})
    result = _run(folder)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _zip_names(folder / ZIP_NAME) == list(MODULES)  # flat, nothing else
    with zipfile.ZipFile(folder / ZIP_NAME) as archive:
        for name in MODULES:
            assert archive.read(name).decode() == FINISHED
    for name in MODULES:
        assert name in result.stdout
    assert "WARNING" not in result.stdout
    assert "Gradescope" in result.stdout


def test_zip_is_deterministic(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {name: FINISHED for name in MODULES})
    assert _run(folder).returncode == 0
    first = hashlib.sha256((folder / ZIP_NAME).read_bytes()).hexdigest()
    for name in MODULES:  # new modification times, same contents
        (folder / name).write_text(FINISHED, encoding="utf-8")
    assert _run(folder).returncode == 0
    assert hashlib.sha256((folder / ZIP_NAME).read_bytes()).hexdigest() == first
    with zipfile.ZipFile(folder / ZIP_NAME) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_missing_modules_are_warned_about_and_the_rest_zipped(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"trees.py": FINISHED, "posenc.py": FINISHED})
    result = _run(folder)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _zip_names(folder / ZIP_NAME) == ["trees.py", "posenc.py"]
    warnings = [line for line in result.stdout.splitlines() if line.startswith("WARNING")]
    assert len(warnings) == 2
    assert "mnist_mlp.py is missing" in warnings[0] and "penguins.py is missing" in warnings[1]


def test_no_module_at_all_fails_without_a_zip(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {})
    result = _run(folder)
    assert result.returncode == 1
    assert not (folder / ZIP_NAME).exists()
    assert "nothing to submit" in result.stdout
    assert result.stdout.count("is missing") == 4


def test_unfinished_modules_are_flagged(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"trees.py": FINISHED, "mnist_mlp.py": UNFINISHED, "penguins.py": FINISHED,
                                "posenc.py": FINISHED})
    result = _run(folder)
    assert result.returncode == 0
    assert _zip_names(folder / ZIP_NAME) == list(MODULES)  # unfinished modules are still submitted
    flagged = [line for line in result.stdout.splitlines() if "NotImplementedError" in line]
    assert len(flagged) == 1
    assert "mnist_mlp.py" in flagged[0] and "todo" in flagged[0] and "Model.forward" in flagged[0]
    assert "done" not in flagged[0]


def test_syntax_errors_are_flagged(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {name: FINISHED for name in MODULES} | {"penguins.py": "def broken(:\n    pass\n"})
    result = _run(folder)
    assert result.returncode == 0
    assert "penguins.py has a syntax error (line 1" in result.stdout


def test_the_real_starter_is_flagged_and_the_solution_is_not(tmp_path: Path) -> None:
    starter = tmp_path / "starter"
    starter.mkdir()
    solution = tmp_path / "solution"
    solution.mkdir()
    shutil.copy2(ASSIGNMENT / "submit.py", starter)
    shutil.copy2(ASSIGNMENT / "submit.py", solution)
    for name in MODULES:
        shutil.copy2(ASSIGNMENT / name, starter / name)
        shutil.copy2(SOLUTION / name, solution / name)

    starter_run = _run(starter)
    assert starter_run.returncode == 0
    for name in MODULES:
        assert f"WARNING: {name} still contains `raise NotImplementedError`" in starter_run.stdout

    solution_run = _run(solution)
    assert solution_run.returncode == 0 and "WARNING" not in solution_run.stdout, solution_run.stdout
    assert _zip_names(solution / ZIP_NAME) == list(MODULES)


def test_runs_from_another_folder_and_with_dir(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {name: FINISHED for name in MODULES})
    # From elsewhere: the modules next to submit.py are packed, and the zip is written there.
    assert _run(folder, cwd=tmp_path).returncode == 0
    assert (folder / ZIP_NAME).is_file() and not (tmp_path / ZIP_NAME).exists()
    other = tmp_path / "other"
    other.mkdir()
    (other / "trees.py").write_text(FINISHED, encoding="utf-8")
    assert _run(folder, "--dir", str(other)).returncode == 0
    assert _zip_names(other / ZIP_NAME) == ["trees.py"]


def test_main_from_a_notebook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """``import submit; submit.main()`` works even though a kernel's sys.argv holds its own arguments."""
    folder = _folder(tmp_path, {name: FINISHED for name in MODULES})
    monkeypatch.chdir(folder)
    monkeypatch.setattr(sys, "argv", ["ipykernel_launcher.py", "-f", "/tmp/kernel-123.json"])
    spec = importlib.util.spec_from_file_location("submit", folder / "submit.py")
    submit = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(submit)
    assert submit.main() == 0
    assert "Packed 4 of 4 modules" in capsys.readouterr().out
    assert _zip_names(folder / ZIP_NAME) == list(MODULES)


def test_uses_only_the_standard_library() -> None:
    import ast

    tree = ast.parse((ASSIGNMENT / "submit.py").read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported
