"""The students' public checks: otter-grader test files in otter's Python format, one per module.

``<starter>/tests/<module>.py`` sets ``OK_FORMAT = False`` and ``name = "<module>"``, and declares its cases as
functions decorated with ``@otter.test_files.test_case(name=..., points=..., hidden=False, failure_message=...)``;
each case imports the student's module afresh (``importlib.reload``), so that ``otter check <module>.py -q
<module>`` (from the assignment folder) and ``grader.check("<module>")`` (in the notebook) both test the file as
it is on disk. A case fails at its first failed assertion or exception, and otter shows the hint
(``failure_message``), the line and the error.

* :func:`public_check_problems` checks the files' form statically (no code is run), for the release;
* :func:`run_public_check` runs ``otter check`` the way students do, in a subprocess and a scratch copy;
* :func:`public_check_score` runs one test file with otter's own test-file runner in a subprocess (no kernel:
  quick), and reports the points earned, the points possible and each case's outcome.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..config import Course

__all__ = ["PublicCheckResult", "PublicCheckScore", "public_check_problems", "public_check_score",
           "run_public_check"]


@dataclass(frozen=True)
class PublicCheckResult:
    """The outcome of ``otter check`` on one question: passed iff otter said ``All tests passed!``."""

    question: str
    passed: bool
    output: str


@dataclass(frozen=True)
class PublicCheckScore:
    """Points earned and possible on one public test file, and each case's outcome (``{case name: passed}``)."""

    question: str
    score: float
    possible: float
    cases: dict[str, bool]
    output: str


def _scratch(work: Path, modules: Path, tests: Path) -> None:
    for path in modules.glob("*.py"):
        shutil.copy(path, work / path.name)
    shutil.copytree(tests, work / "tests", ignore=shutil.ignore_patterns("__pycache__"))


def run_public_check(modules: Path, tests: Path, question: str, *, timeout: float = 300) -> PublicCheckResult:
    """``otter check <question>.py -q <question> -t tests`` on a copy of ``modules``; passed iff all cases pass."""
    with tempfile.TemporaryDirectory(prefix="public-check-") as tmp:
        work = Path(tmp)
        _scratch(work, modules, tests)
        otter = Path(sys.executable).with_name("otter")
        command = [str(otter) if otter.exists() else "otter", "check", f"{question}.py", "-q", question, "-t", "tests"]
        env = {**os.environ, "MPLBACKEND": "Agg"}
        try:
            proc = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return PublicCheckResult(question, False, f"otter check timed out after {timeout:g} s")
        output = proc.stdout + proc.stderr
        passed = proc.returncode == 0 and "All tests passed!" in output  # otter exits 0 on failures too
        return PublicCheckResult(question, passed, output)


# Run in a fresh interpreter in the scratch folder (so ``import <module>`` finds the copy): load the test file the
# way otter does (create_test_file honours OK_FORMAT), run it against an empty environment, print a JSON summary.
_SCORE_SCRIPT = """
import json, sys
from otter.test_files import create_test_file
test_file = create_test_file(sys.argv[1], None)
test_file.run({})
print("\\n" + json.dumps({
    "score": test_file.score,
    "possible": test_file.possible,
    "cases": {r.test_case.name: r.passed for r in test_file.test_case_results},
    "report": test_file.summary(),
}))
"""


def public_check_score(modules: Path, tests: Path, question: str, *, timeout: float = 300) -> PublicCheckScore:
    """Run ``tests/<question>.py`` on a copy of ``modules`` with otter's runner; return the points and outcomes.

    A file that cannot be loaded or run, or a timeout, gives a score of 0 of 0 with the reason in ``output``.
    """
    with tempfile.TemporaryDirectory(prefix="public-score-") as tmp:
        work = Path(tmp)
        _scratch(work, modules, tests)
        env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1"}
        command = [sys.executable, "-c", _SCORE_SCRIPT, str(Path("tests") / f"{question}.py")]
        try:
            proc = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return PublicCheckScore(question, 0.0, 0.0, {}, f"timed out after {timeout:g} s")
        output = proc.stdout + proc.stderr
        last = proc.stdout.strip().splitlines()[-1:] if proc.returncode == 0 else []
        try:
            summary = json.loads(last[0]) if last else None
        except ValueError:
            summary = None
        if not isinstance(summary, dict):
            return PublicCheckScore(question, 0.0, 0.0, {}, output)
        return PublicCheckScore(question, float(summary["score"]), float(summary["possible"]),
                                {str(k): bool(v) for k, v in summary["cases"].items()}, summary["report"])


def _keywords(call: ast.Call) -> dict[str, ast.expr]:
    return {k.arg: k.value for k in call.keywords if k.arg is not None}


def _file_problems(path: Path, question: str) -> list[str]:
    """What is wrong with the form of one public test file (statically: nothing is run)."""
    where = f"tests/{path.name}"
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, UnicodeDecodeError, SyntaxError) as exc:
        return [f"{where} cannot be read as Python: {exc}"]
    constants = {target.id: node.value for node in tree.body if isinstance(node, ast.Assign)
                 for target in node.targets if isinstance(target, ast.Name)}
    problems: list[str] = []
    ok_format = constants.get("OK_FORMAT")
    if not (isinstance(ok_format, ast.Constant) and ok_format.value is False):
        problems.append(f"{where}: set OK_FORMAT = False (otter's Python format)")
    name = constants.get("name")
    if not (isinstance(name, ast.Constant) and name.value == question):
        problems.append(f"{where}: set name = {question!r}")
    cases = 0
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        for decorator in node.decorator_list:
            if isinstance(decorator, ast.Call) and getattr(decorator.func, "id", None) == "test_case":
                cases += 1
                keywords = _keywords(decorator)
                hidden = keywords.get("hidden")
                if hidden is not None and not (isinstance(hidden, ast.Constant) and hidden.value is False):
                    problems.append(f"{where}:{node.lineno} {node.name}: public cases must not be hidden")
                if "failure_message" not in keywords:
                    problems.append(f"{where}:{node.lineno} {node.name}: give students a hint (failure_message)")
                points = keywords.get("points")
                if not (isinstance(points, ast.Constant) and isinstance(points.value, (int, float))
                        and points.value > 0):
                    problems.append(f"{where}:{node.lineno} {node.name}: give the case a positive number of points "
                                    "(otter check divides by the points possible)")
    if not cases:
        problems.append(f"{where}: no @test_case function")
    if any(isinstance(n, ast.Attribute) and n.attr == "load_data" for n in ast.walk(tree)):
        problems.append(f"{where}: public checks must not load data (load_data)")
    return problems


def public_check_problems(course: Course, assignment: str) -> list[str]:
    """Every problem with the form of ``assignment``'s public checks: one well-formed file per graded module."""
    config = course.assignment(assignment)
    tests = course.path(config.starter) / "tests"
    problems: list[str] = []
    for module in dict.fromkeys(task.module for task in config.tasks.values()):
        path = tests / f"{module}.py"
        if not path.is_file():
            problems.append(f"tests/{module}.py is missing: every graded module needs public checks")
        else:
            problems += _file_problems(path, module)
    return problems
