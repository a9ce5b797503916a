"""``autograder release hw2``: the student zip, the Gradescope bundle, the leak checks, reproducibility.

The release's ``reference.json`` holds the reference figures of the smoke profile; they come from the session's
graded reference (``references`` in tests/conftest.py: the solution is trained once per test session), and one
test runs the release's own grading on hw1. Tests that plant a leak work on a copy of the course in a temporary
folder and never grade: the leak checks run before anything is graded. The bundle round trip runs the bundle's own
``run_autograder`` twice (solution, which trains again: slow; starter).

CI sets ``AUTOGRADER_DATA=../shared/data``; otherwise the shared folder next to the repository is used.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import stat
import subprocess
import sys
import types
import zipfile
from pathlib import Path

import pytest
from conftest import References

from autograder.cli import main as cli_main
from autograder.config import Course, load_course
from autograder.release.build import Release, build_release
from autograder.release.deterministic_zip import ZIP_DATE_TIME, Entry, read_zip, write_zip
from autograder.release.errors import ReleaseError
from autograder.release.leaks import check_leaks, forbidden_files, function_bodies
from autograder.requirements import canonical, read_constraints
from autograder.sandbox.confine.bwrap import bwrap_problem

REPO = Path(__file__).resolve().parents[1]
COURSE_DIR = REPO  # where course.yml, assignments/ and solutions/ are (the package is always the installed one)
ASSIGNMENT = "hw2"
PRECOMPUTED = {"smoke/seed0/fake/figure": [1.0]}  # for builds that must fail before any grading

pytestmark = pytest.mark.usefixtures("offline_data")  # these tests read the offline data


@pytest.fixture(scope="module")
def course() -> Course:
    return load_course(COURSE_DIR / "course.yml")


@pytest.fixture(scope="module")
def release(course: Course, references: References, tmp_path_factory: pytest.TempPathFactory) -> Release:
    """The release, built once with the smoke profile's reference figures: those of the session's graded
    reference (the solution is trained once per test session, not once more for the release)."""
    figures = references.get(ASSIGNMENT).reference_figures()
    return build_release(course, ASSIGNMENT, tmp_path_factory.mktemp("dist"), profiles="smoke", references=figures)


def test_the_release_computes_the_reference_figures_by_grading_the_solution(
        course: Course, references: References, monkeypatch: pytest.MonkeyPatch) -> None:
    """What ``autograder release`` does without precomputed figures: grade the reference on each profile and keep
    its figures. Only hw2's trees (its one task with reference figures, and no training) are graded here; they
    must be those the session's graded reference computed."""
    from autograder.grading import grader as grader_module
    from autograder.release.references import compute_references

    load = grader_module.load_grader
    monkeypatch.setattr(grader_module, "load_grader", lambda *args, **kwargs: load(*args, **kwargs, tasks=["trees"]))
    lines: list[str] = []
    figures = compute_references(course, ASSIGNMENT, ["smoke"], echo=lines.append)
    assert figures and all(key.startswith("smoke/") and "/trees/" in key for key in figures)
    assert figures == {k: v for k, v in references.get(ASSIGNMENT).reference_figures().items() if k in figures}
    assert set(figures) == {k for k in references.get(ASSIGNMENT).reference_figures() if "/trees/" in k}
    assert "grading the reference solution on the 'smoke' profile" in lines[0]


def copy_course(tmp: Path) -> Path:
    """course.yml, assignments/ and solutions/ copied into ``tmp`` (the package stays the installed one)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copy(COURSE_DIR / "course.yml", tmp / "course.yml")
    for folder in ("assignments", "solutions"):
        shutil.copytree(COURSE_DIR / folder, tmp / folder, ignore=ignore)
    return tmp / "course.yml"


def extract(archive: Path, into: Path) -> Path:
    """Unzip like unzip(1): the Unix permissions of the entries are restored."""
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            path = Path(zf.extract(info, into))
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                path.chmod(mode)
    return into


def starter(course: Course) -> Path:
    return course.path(course.assignment(ASSIGNMENT).starter)


def solution(course: Course) -> Path:
    return course.path(course.assignment(ASSIGNMENT).solution)


# ----------------------------------------------------------------------------------------------------------------
# The student zip
# ----------------------------------------------------------------------------------------------------------------


def test_student_zip_holds_exactly_the_handout(course: Course, release: Release) -> None:
    config = course.assignment(ASSIGNMENT)
    names = set(read_zip(release.student_zip))
    data = {f"{ASSIGNMENT}/autograder/data/{p.name}" for p in (REPO / "autograder" / "data").glob("*.py")}
    tests = {f"{ASSIGNMENT}/tests/{p.name}" for p in (starter(course) / "tests").glob("*.py")}
    expected = {f"{ASSIGNMENT}/{name}" for name in ("README.md", "hw2.ipynb", "submit.py", "requirements.txt",
                                                    "autograder/__init__.py")}
    expected |= {f"{ASSIGNMENT}/{m}.py" for m in config.modules} | data | tests
    assert names == expected
    assert release.student_zip.name == "hw2-student.zip"

    for name in names:
        assert name.startswith(f"{ASSIGNMENT}/")
        assert "solutions" not in name and "__pycache__" not in name and not name.endswith(".pyc")
        assert Path(name).name not in {"course.yml", "reference.json", "notebook_source.py", "wrong_answers.py"}
        assert not name.endswith((".npy", ".npz", ".csv", ".gz", ".pt", ".pkl", ".json", ".yml"))


def test_student_files_are_the_starter_files(course: Course, release: Release) -> None:
    files = read_zip(release.student_zip)
    folder = starter(course)
    for name in ["README.md", "hw2.ipynb", "submit.py", *(f"{m}.py" for m in course.assignment(ASSIGNMENT).modules)]:
        assert files[f"{ASSIGNMENT}/{name}"].data == (folder / name).read_bytes(), name
    hidden = {p.read_bytes() for p in solution(course).rglob("*.py")} | {(COURSE_DIR / "course.yml").read_bytes()}
    assert not hidden & {entry.data for entry in files.values()}


def test_student_autograder_stub_only_sets_the_version(release: Release) -> None:
    import autograder

    stub = read_zip(release.student_zip)[f"{ASSIGNMENT}/autograder/__init__.py"].data.decode()
    namespace: dict = {}
    exec(compile(stub, "__init__.py", "exec"), namespace)  # exec: our own generated file
    assert {k for k in namespace if not k.startswith("__")} == set()
    assert namespace["__version__"] == autograder.__version__
    assert not [n for n in ast.walk(ast.parse(stub)) if isinstance(n, (ast.Import, ast.ImportFrom))]


def test_student_requirements_are_pinned_as_in_constraints(course: Course, release: Release) -> None:
    text = read_zip(release.student_zip)[f"{ASSIGNMENT}/requirements.txt"].data.decode()
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    pins = read_constraints(REPO / "constraints.txt")
    packages = course.assignment(ASSIGNMENT).requirements
    assert lines == [f"{name}=={pins[canonical(name)][1]}" for name in packages]
    assert {"numpy", "torch", "torchvision", "scikit-learn", "pandas", "matplotlib", "otter-grader",
            "palmerpenguins", "pooch"} == {line.split("==")[0] for line in lines}


def test_unzipped_handout_imports_its_own_data_helpers_and_runs_public_checks(
        course: Course, release: Release, tmp_path: Path) -> None:
    folder = extract(release.student_zip, tmp_path) / ASSIGNMENT
    probe = ("import autograder, autograder.data, pathlib; "
             "print(pathlib.Path(autograder.__file__).resolve().parent.parent); "
             "print(len(autograder.data.load_penguins()))")
    proc = subprocess.run([sys.executable, "-c", probe], cwd=folder, check=False, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    where, rows = proc.stdout.split()
    assert Path(where) == folder.resolve() and int(rows) == 344

    # The public checks, as students run them: pass on the solution's module, fail on the starter's.
    otter = Path(sys.executable).with_name("otter")
    command = [str(otter) if otter.exists() else "otter", "check", "penguins.py", "-q", "penguins"]
    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.run(command, cwd=folder, check=False, capture_output=True, text=True, timeout=300, env=env)
    assert "All tests passed!" not in proc.stdout + proc.stderr
    shutil.copy(solution(course) / "penguins.py", folder / "penguins.py")
    proc = subprocess.run(command, cwd=folder, check=False, capture_output=True, text=True, timeout=300, env=env)
    assert "All tests passed!" in proc.stdout + proc.stderr, proc.stdout + proc.stderr


# ----------------------------------------------------------------------------------------------------------------
# The Gradescope bundle
# ----------------------------------------------------------------------------------------------------------------


def test_bundle_contents(course: Course, release: Release) -> None:
    config = course.assignment(ASSIGNMENT)
    files = read_zip(release.bundle_zip)
    assert release.bundle_zip.name == "hw2-gradescope.zip"
    with zipfile.ZipFile(release.bundle_zip) as zf:
        modes = {info.filename: (info.external_attr >> 16) & 0o777 for info in zf.infolist()}
    assert modes["setup.sh"] == 0o755 and modes["run_autograder"] == 0o755
    assert {mode for name, mode in modes.items() if name not in ("setup.sh", "run_autograder")} == {0o644}

    for name in ("course.yml", "pyproject.toml", "constraints.txt", "README.md", "autograder/__init__.py",
                 "autograder/cli.py", "autograder/sandbox/runtime/worker.py", "autograder/data/mnist.py"):
        assert name in files, name
    assert files["course.yml"].data == (COURSE_DIR / "course.yml").read_bytes()
    assert files["autograder/__init__.py"].data == (REPO / "autograder" / "__init__.py").read_bytes()
    checks = course.path(config.checks)
    for path in checks.glob("*.py"):
        assert files[f"{config.checks}/{path.name}"].data == path.read_bytes()

    text = files["reference.json"].data.decode()
    references = json.loads(text)
    assert references and all(key.startswith("smoke/") for key in references)
    assert "smoke/seed0/trees/sweep/tree" in references
    assert text == json.dumps(references, sort_keys=True, indent=2) + "\n"
    assert references == release.references

    solution_dir = config.solution.rstrip("/")
    for name in files:
        assert "__pycache__" not in name and not name.endswith(".pyc")
        assert Path(name).name != "wrong_answers.py"
        assert not (name.startswith(f"{solution_dir}/") and not name.startswith(f"{config.checks}/")), name
    solution_sources = {p.read_bytes() for p in solution(course).glob("*.py")}
    assert not solution_sources & {entry.data for entry in files.values()}
    for script in ("setup.sh", "run_autograder"):
        assert files[script].data.startswith(b"#!/usr/bin/env bash\n")
        proc = subprocess.run(["bash", "-n"], input=files[script].data, check=False, capture_output=True)
        assert proc.returncode == 0, proc.stderr
    assert b"pip install --no-cache-dir -c constraints.txt ./" in files["setup.sh"].data


def test_reproducible_builds(course: Course, release: Release, tmp_path: Path) -> None:
    # Two builds back to back, sharing the reference figures the fixture computed (its own zips may predate
    # edits made to the sources since, in a working tree).
    one = build_release(course, ASSIGNMENT, tmp_path / "one", profiles="smoke", references=release.references)
    again = build_release(course, ASSIGNMENT, tmp_path / "two", profiles="smoke", references=release.references)
    for first, second in ((one.student_zip, again.student_zip), (one.bundle_zip, again.bundle_zip)):
        assert first.read_bytes() == second.read_bytes(), first.name
    assert read_zip(one.bundle_zip)["reference.json"] == read_zip(release.bundle_zip)["reference.json"]
    with zipfile.ZipFile(again.bundle_zip) as zf:
        infos = zf.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {i.date_time for i in infos} == {ZIP_DATE_TIME}


def test_deterministic_zip_writer(tmp_path: Path) -> None:
    entries = {"b.txt": Entry(b"b"), "a/run": Entry(b"#!/bin/sh\n", executable=True)}
    write_zip(tmp_path / "one.zip", entries)
    write_zip(tmp_path / "two.zip", dict(reversed(list(entries.items()))))
    assert (tmp_path / "one.zip").read_bytes() == (tmp_path / "two.zip").read_bytes()
    assert read_zip(tmp_path / "two.zip") == entries
    with pytest.raises(ValueError):
        write_zip(tmp_path / "bad.zip", {"../escape": Entry(b"")})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.zip", "two.zip"]  # no temporary file left


# ----------------------------------------------------------------------------------------------------------------
# Leak checks (no grading: they run before the reference figures are computed)
# ----------------------------------------------------------------------------------------------------------------


def _function_source(path: Path, name: str) -> tuple[str, ast.FunctionDef]:
    source = path.read_text()
    fn = next(n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and n.name == name)
    return source, fn


def _body_text(path: Path, name: str, indent: str = "    ") -> str:
    """The body of ``name`` in ``path`` without its docstring, re-indented."""
    source, fn = _function_source(path, name)
    body = fn.body[1:] if isinstance(fn.body[0], ast.Expr) and isinstance(fn.body[0].value, ast.Constant) else fn.body
    lines = source.splitlines()[body[0].lineno - 1: fn.end_lineno]
    return "\n".join(indent + line[body[0].col_offset:] for line in lines) + "\n"


def test_function_bodies_ignore_layout_comments_and_docstrings() -> None:
    one = function_bodies('def f(x):\n    """Doc."""\n    return x+1  # note\n\n'
                          "class A:\n    def m(self):\n        y = 2\n        return y\n")
    two = function_bodies("def g(x):\n    return (x +\n            1)\n")
    assert one["f"] == two["g"] and set(one) == {"f", "A.m"}


def test_leak_checks_pass_on_the_real_course(course: Course) -> None:
    verdicts = check_leaks(course, ASSIGNMENT)
    assert any("no solution code" in v for v in verdicts) and any("generated from the solution" in v for v in verdicts)


def test_planted_solution_body_fails_the_release(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    course_file = copy_course(tmp_path)
    course = load_course(course_file)
    trees = starter(course) / "trees.py"
    # The solution's rmse, pasted (under another name, comment added) into the starter template.
    body = _body_text(solution(course) / "trees.py", "rmse")
    trees.write_text(trees.read_text() + f"\n\ndef _scratch(y_true, y_pred):\n    # my notes\n{body}")
    with pytest.raises(ReleaseError) as info:
        build_release(course, ASSIGNMENT, tmp_path / "dist", profiles="smoke", references=PRECOMPUTED)
    assert "solution body of trees.rmse appears in hw2-student.zip: hw2/trees.py" in str(info.value)
    assert not (tmp_path / "dist").exists()

    # The command: exit status 1 and the reason, before any grading.
    code = cli_main(["--course", str(course_file), "release", ASSIGNMENT, "--out", str(tmp_path / "dist"),
                     "--profiles", "smoke"])
    assert code == 1
    assert "solution body of trees.rmse" in capsys.readouterr().err


def test_solution_code_anywhere_in_the_handout_is_found(tmp_path: Path) -> None:
    course = load_course(copy_course(tmp_path))
    folder = starter(course)
    body = _body_text(solution(course) / "penguins.py", "prepare_features", indent="")
    with (folder / "README.md").open("a") as readme:
        readme.write(f"\n\nA hint:\n\n```python\n{body}```\n")
    with pytest.raises(ReleaseError, match=r"solution body of penguins\.prepare_features appears in "
                                           r"hw2-student\.zip: hw2/README\.md"):
        check_leaks(course, ASSIGNMENT)


def test_stale_starters_fail_the_release(course: Course, monkeypatch: pytest.MonkeyPatch) -> None:
    """check_leaks reports every problem the starter generator finds (its own tests plant real stale starters)."""
    try:
        import autograder.release.authoring.starter as generator
    except ImportError:  # not landed yet: stand in for it, the call is what is tested here
        generator = types.ModuleType("autograder.release.authoring.starter")
        monkeypatch.setitem(sys.modules, "autograder.release.authoring.starter", generator)
    stale = ["assignments/hw2/trees.py differs from the starter generated from solutions/hw2/trees.py"]
    monkeypatch.setattr(generator, "stale_starters", lambda c, a: list(stale), raising=False)
    with pytest.raises(ReleaseError) as info:
        check_leaks(course, ASSIGNMENT)
    assert stale[0] in str(info.value) and "(1 problem)" in str(info.value)


def test_forbidden_files_are_named(course: Course) -> None:
    config = course.assignment(ASSIGNMENT)
    checks = course.path(config.checks)
    planted = {
        "hw2/tests/_data.py": Entry((checks / "_data.py").read_bytes()),
        "hw2/config.yml": Entry((COURSE_DIR / "course.yml").read_bytes()),
        "hw2/reference.json": Entry(b"{}"),
        "hw2/data/labels.npy": Entry(b"\x93NUMPY"),
        "hw2/data/held_out.csv": Entry(b"a,b\n"),
        "hw2/MNIST/raw/t10k-labels-idx1-ubyte.gz": Entry(b""),
        "hw2/temperature/OHCLEVEL.txt": Entry(b"1 1 1995 20\n"),
        "hw2/model.pt": Entry(b""),
        "hw2/extra.pkl": Entry(b""),
        "hw2/notebook_source.py": Entry(b"# %%\n"),
        "hw2/wrong_answers.py": Entry(b"WRONG = {}\n"),
        "hw2/solutions/hw2/trees.py": Entry(b"x = 1\n"),
        "hw2/README.md": Entry(b"# fine\n"),
    }
    problems = forbidden_files(course, ASSIGNMENT, planted, "hw2-student.zip")
    flagged = {p.split(" must not be in ")[0] for p in problems}
    assert flagged == set(planted) - {"hw2/README.md"}
    assert any("a copy of the hidden check" in p for p in problems)
    assert any("hw2/config.yml" in p and "a copy of course.yml" in p for p in problems)
    # The course data's files are data by name, whatever their suffix (the data registry names them).
    reasons = {p.split(" must not be in ")[0]: p.split(": ", 1)[1] for p in problems}
    assert reasons["hw2/temperature/OHCLEVEL.txt"] == "a data file"
    assert reasons["hw2/model.pt"] == reasons["hw2/extra.pkl"] == "a data file"


def test_forbidden_data_names_come_from_the_registry(course: Course, monkeypatch: pytest.MonkeyPatch) -> None:
    from autograder.data import registry

    monkeypatch.setattr(registry, "data_file_names", lambda: frozenset({"held-out-labels.md"}), raising=False)
    planted = {"hw2/Held-Out-Labels.md": Entry(b"# 1 0 1\n"), "hw2/README.md": Entry(b"# fine\n")}
    problems = forbidden_files(course, ASSIGNMENT, planted, "hw2-student.zip")
    assert problems == ["hw2/Held-Out-Labels.md must not be in hw2-student.zip: a data file"]


def test_full_profile_without_its_data_fails_clearly(course: Course, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    raw = Path(os.environ["AUTOGRADER_DATA"]) / "MNIST" / "raw"
    if any(raw.glob("train-images*")):
        pytest.skip("the full MNIST training set is available here")
    code = cli_main(["--course", str(COURSE_DIR / "course.yml"), "release", ASSIGNMENT, "--out", str(tmp_path),
                     "--profiles", "full"])
    err = capsys.readouterr().err
    assert code == 1
    assert "profile 'full'" in err and "mnist" in err and "--profiles smoke" in err
    assert not list(tmp_path.iterdir())


# ----------------------------------------------------------------------------------------------------------------
# The bundle, unzipped as Gradescope does, grading a submission with its own run_autograder
# ----------------------------------------------------------------------------------------------------------------


def _privilege_drop_problem() -> str:
    """Why the worker cannot run as an unprivileged user here ("" if it can)."""
    if os.geteuid() != 0:
        return "the tests do not run as root"
    if not shutil.which("useradd"):
        return "useradd is not available"
    real = Path(os.path.realpath(sys.executable))
    for folder in [*reversed(real.parents), *reversed(Path(sys.prefix).resolve().parents)]:
        if not folder.stat().st_mode & stat.S_IXOTH:
            return (f"the Python interpreter {real} lies under {folder} (mode {stat.filemode(folder.stat().st_mode)}), "
                    "which other users cannot enter")
    return ""


def run_bundle(bundle: Path, root: Path, modules: Path, course: Course, **env: str) -> tuple[dict, str]:
    """Unzip ``bundle`` into ``root/source``, submit ``modules``' student modules, run ``run_autograder``."""
    extract(bundle, root / "source")
    (root / "submission").mkdir()
    (root / "results").mkdir()
    for module in course.assignment(ASSIGNMENT).modules:
        shutil.copy(modules / f"{module}.py", root / "submission" / f"{module}.py")
    environment = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PROFILE": "smoke",
                   "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}", **env}
    proc = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=environment, check=False,
                          capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads((root / "results" / "results.json").read_text()), proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def run_as() -> dict[str, str]:
    """Drop privileges to ``student`` (run_autograder's default as root) where the machine allows it."""
    problem = _privilege_drop_problem()
    if problem:
        print(f"\nbundle round trip without privilege drop (AUTOGRADER_RUN_AS=''): {problem}")
        return {"AUTOGRADER_RUN_AS": ""}
    return {}


@pytest.mark.slow  # the bundle trains the reference itself: the session's one graded reference cannot stand in
def test_bundle_round_trip_solution_full_marks(course: Course, release: Release, tmp_path: Path,
                                               run_as: dict[str, str]) -> None:
    results, log = run_bundle(release.bundle_zip, tmp_path / "root", solution(course), course, **run_as)
    assert results["tests"], log
    total = sum(test["max_score"] for test in results["tests"])
    assert total == course.assignment(ASSIGNMENT).points
    assert results["score"] == total, json.dumps([t for t in results["tests"] if t["status"] != "passed"], indent=1)
    assert isinstance(results["execution_time"], (int, float)) and results["visibility"] == "visible"
    for test in results["tests"]:
        assert {"name", "number", "score", "max_score", "status", "output", "visibility"} <= set(test)
        assert test["status"] == "passed"


def test_bundle_round_trip_starter_scores_zero(course: Course, release: Release, tmp_path: Path,
                                               run_as: dict[str, str]) -> None:
    results, log = run_bundle(release.bundle_zip, tmp_path / "root", starter(course), course, **run_as)
    assert results["score"] == 0 and results["tests"], log
    for test in results["tests"]:
        assert test["score"] == 0 and test["status"] == "failed"
        assert "NotImplementedError" in test["output"], test


def test_run_autograder_writes_results_when_the_grader_fails(course: Course, release: Release,
                                                              tmp_path: Path) -> None:
    results, _ = run_bundle(release.bundle_zip, tmp_path / "root", solution(course), course,
                            AUTOGRADER_PROFILE="no-such-profile", AUTOGRADER_RUN_AS="")
    assert results["score"] == 0 and results["tests"] == []
    assert "failed to grade" in results["output"] and "no-such-profile" in results["output"]


# A student's penguins.py whose is_gentoo tries to end the grading: it SIGKILLs its parent and every process
# it can see whose command line mentions the grader, then answers. The other penguins functions are honest.
KILL_THE_PARENT = '''

def is_gentoo(X):
    import os, signal
    targets = {os.getppid()}
    for name in os.listdir("/proc"):
        try:
            with open(f"/proc/{name}/cmdline", "rb") as f:
                if b"autograder" in f.read():
                    targets.add(int(name))
        except (OSError, ValueError):
            pass
    for pid in targets - {os.getpid()}:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    import numpy as np
    return np.zeros(len(X), dtype=bool)  # the attack answers nothing right: its own check must fail
'''


def test_bundle_kill_the_parent_still_scores_honest_checks(course: Course, release: Release, tmp_path: Path,
                                                           run_as: dict[str, str]) -> None:
    """A submission that kills whatever it can reach leaves a results.json with its honest checks scored, and the
    output says which isolation level the image allowed."""
    modules = tmp_path / "attack"
    shutil.copytree(starter(course), modules, ignore=shutil.ignore_patterns("tests", "*.ipynb", "*.md"))
    honest = (solution(course) / "penguins.py").read_text()
    (modules / "penguins.py").write_text(honest + KILL_THE_PARENT)  # the later definition wins
    results, log = run_bundle(release.bundle_zip, tmp_path / "root", modules, course, **run_as)
    penguins = [t for t in results["tests"] if t["name"].startswith("penguins:")]
    assert penguins, log
    by_title = {t["name"]: t for t in penguins}
    scored = [t for t in penguins if t["status"] == "passed"]
    assert len(scored) == len(penguins) - 1, json.dumps(by_title, indent=1)[:4000]
    failed = [t for t in penguins if t["status"] != "passed"]
    assert "is_gentoo:" in failed[0]["name"]
    assert "isolation level: " in results["output"], results["output"]
    if bwrap_problem() is None:  # CI installs bubblewrap: the best level must be the one used
        assert "isolation level: bwrap" in results["output"], results["output"]
