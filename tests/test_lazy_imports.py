"""The command line starts light: ``--help`` and the sub-commands' parsers import none of the heavy libraries.

torch, scikit-learn, pandas and matplotlib are imported only by the checks and data sets that use them (and
matplotlib only to draw); pydantic, yaml and numpy only once a command loads the course. Each case runs in a fresh
interpreter, since this test process has imported everything already.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "torchvision", "sklearn", "pandas", "matplotlib", "scipy")
COURSE_LIBRARIES = ("pydantic", "yaml", "numpy", "rich")  # needed by commands, not by their parsers

PROBE = """
import contextlib, io, json, sys
from autograder import cli
argv = json.loads(sys.argv[1])
with contextlib.redirect_stdout(io.StringIO()):
    if argv is None:
        cli.build_parser()
    else:
        try:
            cli.main(argv)
        except SystemExit:
            pass
print(json.dumps(sorted(name.split(".")[0] for name in sys.modules)))
"""


def _loaded(argv: list[str] | None) -> set[str]:
    """Top-level modules imported after ``autograder.cli`` ran ``argv`` (``None``: only built the parser)."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run([sys.executable, "-c", PROBE, json.dumps(argv)], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return set(json.loads(proc.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("argv", [None, ["--help"], ["grade", "--help"], ["validate", "--help"],
                                  ["gradescope", "--help"], ["diff", "--help"], ["calibrate", "--help"]],
                         ids=lambda argv: "parser" if argv is None else " ".join(argv))
def test_the_command_line_imports_no_heavy_library_to_start(argv: list[str] | None) -> None:
    loaded = _loaded(argv)
    assert not loaded & set(HEAVY), f"imported at start-up: {sorted(loaded & set(HEAVY))}"
    assert not loaded & set(COURSE_LIBRARIES), f"imported before the course is loaded: " \
                                               f"{sorted(loaded & set(COURSE_LIBRARIES))}"


def test_python_m_autograder_help_stays_light() -> None:
    probe = ("import runpy, sys\nsys.argv = ['autograder', '--help']\n"
             "try:\n    runpy.run_module('autograder', run_name='__main__')\nexcept SystemExit:\n    pass\n"
             "print('LOADED', sorted(m for m in " + repr(HEAVY) + " if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "usage: autograder" in proc.stdout
    assert proc.stdout.strip().splitlines()[-1] == "LOADED []"


def test_the_grade_command_path_imports_no_heavy_library_before_the_checks() -> None:
    """What ``grade`` imports before it loads an assignment's checks and data: the engine only."""
    probe = ("import json, sys\nimport autograder.commands.grade, autograder.grading.batch, autograder.grading.grader, "
             "autograder.grading.submissions, autograder.results.summary\n"
             "print(json.dumps(sorted(name.split('.')[0] for name in sys.modules)))")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    loaded = set(json.loads(proc.stdout.strip().splitlines()[-1]))
    assert not loaded & set(HEAVY), f"imported by the grade command's modules: {sorted(loaded & set(HEAVY))}"


def test_a_bad_isolation_level_is_still_refused_by_the_parser() -> None:
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", "x", "--isolation", "chroot"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 2
    assert "invalid choice: 'chroot' (choose from auto, bwrap, user, none)" in proc.stderr


def test_grading_one_task_imports_only_what_its_checks_use(tmp_path: Path) -> None:
    """``grade --tasks penguins`` of the reference: full marks, and the judge never imports torch, which only the
    MNIST and positional-encoding checks (and the workers of the reference) use."""
    submission = tmp_path / "reference"
    submission.mkdir()
    for name in ("trees", "mnist_mlp", "penguins", "posenc"):
        (submission / f"{name}.py").write_text((ROOT / "solutions" / "hw2" / f"{name}.py").read_text())
    argv = ["grade", str(submission), "--assignment", "hw2", "--profile", "smoke", "--tasks", "penguins", "-q",
            "--out", str(tmp_path / "out"), "--no-reference-cache", "--isolation", "auto"]
    loaded = _loaded(argv)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["graded"] == 1 and summary["scores"]["min"] == summary["max_score"] > 0, summary
    assert "torch" not in loaded and "torchvision" not in loaded


def test_the_sandbox_package_exports_what_it_names_and_imports_it_on_first_use() -> None:
    import autograder.sandbox as sandbox

    assert sorted(sandbox.__all__) == sorted(sandbox._EXPORTS)
    assert all(getattr(sandbox, name) is not None for name in sandbox.__all__)
