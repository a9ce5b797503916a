"""What the engine checks so that it needs to know no assignment: the checks' declared settings against course.yml,
the data each task declares (only the selected tasks' data is loaded), the assignment argument of every command,
and ``autograder bench``'s own call. Every test runs for every assignment of the real course.yml, or on the engine
tests' course.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import offline_profile

from autograder.checks import CheckSpec, Context, load_checks
from autograder.checks.context import NotDeclared
from autograder.config import ConfigError, load_course, parse_course
from autograder.data import DataError
from autograder.grading.grader import Grader, load_grader

REPO = ROOT = Path(__file__).resolve().parents[1]
COURSE = load_course(REPO / "course.yml")
ASSIGNMENTS = COURSE.assignments
ENGINE_COURSE = REPO / "tests" / "engine_course" / "course.yml"
GOOD = "def add(a, b):\n    return a + b\n\n\ndef slow():\n    return 'done'\n"

pytestmark = pytest.mark.usefixtures("offline_data")  # these tests read the offline data


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def grader(request: pytest.FixtureRequest) -> Grader:
    """Each assignment on its offline profile, as ``autograder grade`` loads it (data preloaded)."""
    return load_grader(COURSE, request.param, offline_profile(COURSE, request.param))


def _context(grader: Grader, spec: CheckSpec) -> Context:
    """A check's context without a worker: enough for the judge-side parts."""
    return Context(spec, None, grader.profile, grader.profile_name, 1.0, grader.judge)  # type: ignore[arg-type]


def autograder(*args: str, course: Path = ENGINE_COURSE) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder.cli", "--course", str(course), *args],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)


# --------------------------------------------------------------------------------------------- declared settings


def test_checks_read_only_the_settings_they_declare(grader: Grader) -> None:
    for spec in grader.checks:
        ctx = _context(grader, spec)
        for name in spec.params:
            assert ctx.param(name) == grader.profile.params[name]
        for name, default in spec.defaults.items():
            assert ctx.param(name) == grader.profile.params.get(name, default)
        for name in spec.thresholds:
            assert ctx.threshold(name) is grader.profile.thresholds[name]
        with pytest.raises(NotDeclared, match=f"check {spec.id} reads params.undeclared_xyz without declaring it"):
            ctx.param("undeclared_xyz")
        with pytest.raises(NotDeclared, match=f"check {spec.id} judges against thresholds.undeclared_xyz"):
            ctx.threshold("undeclared_xyz")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_misspelt_params_and_thresholds_are_named_when_the_checks_load(assignment: str) -> None:
    profile = offline_profile(COURSE, assignment)
    raw = yaml.safe_load((REPO / "course.yml").read_text(encoding="utf-8"))
    section = raw["assignments"][assignment]["profiles"][profile]
    section.setdefault("params", {})["no_such_param_xyz"] = 1
    section.setdefault("thresholds", {})["no_such_threshold_xyz"] = {"min": 0.5}
    with pytest.raises(ConfigError) as caught:
        load_grader(parse_course(raw, REPO), assignment, profile)
    message = str(caught.value)
    where = f"assignments.{assignment}.profiles.{profile}"
    assert f"{where}.params.no_such_param_xyz: no check reads this parameter" in message, message
    assert f"{where}.thresholds.no_such_threshold_xyz: no check judges against this threshold" in message, message


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_a_setting_a_check_needs_must_be_in_every_profile(assignment: str) -> None:
    config = COURSE.assignment(assignment)
    checks = load_checks(COURSE.path(config.checks), package=f"autograder_checks_{assignment}")
    needy = next((spec for spec in checks if spec.params or spec.thresholds), None)
    if needy is None:
        pytest.skip(f"no check of {assignment} reads a parameter or a threshold")
    raw = yaml.safe_load((REPO / "course.yml").read_text(encoding="utf-8"))
    profile = next(iter(raw["assignments"][assignment]["profiles"]))
    section = raw["assignments"][assignment]["profiles"][profile]
    key, kind = (needy.params[0], "params") if needy.params else (needy.thresholds[0], "thresholds")
    del section[kind][key]
    with pytest.raises(ConfigError, match=rf"profiles\.{profile}\.{kind}: check {needy.id} .*{kind}\.{key}"):
        load_grader(parse_course(raw, REPO), assignment, profile)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_only_the_selected_tasks_data_is_loaded(assignment: str) -> None:
    config = COURSE.assignment(assignment)
    profile = offline_profile(COURSE, assignment)
    for task in config.tasks:
        grader = load_grader(COURSE, assignment, profile, tasks=[task])
        wanted = [name for name in config.profile(profile).data if name in config.tasks[task].data]
        assert list(grader.judge.data) == wanted
        assert {spec.task for spec in grader.checks} == {task}
    with pytest.raises(ConfigError, match="unknown task"):
        load_grader(COURSE, assignment, profile, tasks=["no_such_task"])


def test_hw2_full_profile_without_mnist_tasks_loads_offline() -> None:
    """``autograder calibrate hw2 --profile full --tasks posenc,penguins``: the 60k MNIST set is not needed."""
    if "hw2" not in ASSIGNMENTS:
        pytest.skip("course.yml has no hw2")
    grader = load_grader(COURSE, "hw2", "full", tasks=["posenc", "penguins"])
    assert set(grader.judge.data) == {"image", "penguins"}
    with pytest.raises(DataError, match="60,000"):
        load_grader(COURSE, "hw2", "full", tasks=["mnist_mlp"])


# ------------------------------------------------------------------------------------ the release's pre-download


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_offline_profile_of_the_course_loads(assignment: str) -> None:
    """The release's pre-download (``autograder data``) loads, through the registry, every data
    set the assignment's tasks read; the offline profile must be complete here."""
    from autograder.release.datasets import load_profile_data

    config = COURSE.assignment(assignment)
    assert load_profile_data(config, offline_profile(COURSE, assignment)) == {}


def test_the_pre_download_names_no_data_set() -> None:
    """release/datasets.py loads through the registry only: no loader of autograder.data is imported there."""
    source = REPO / "autograder" / "release" / "datasets.py"
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and "data" in (node.module or "").split("."):
            assert node.module in ("data.registry", "autograder.data.registry"), node.module
            assert {alias.name for alias in node.names} <= {"preload", "DATASETS", "dataset"}


# --------------------------------------------------------------------------------------------- the command line


def test_the_assignment_may_be_left_out_when_the_course_has_one(tmp_path: Path) -> None:
    (tmp_path / "good").mkdir()
    (tmp_path / "good" / "calc.py").write_text(GOOD)
    proc = autograder("grade", str(tmp_path / "good"), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "out" / "good" / "results.json").read_text())["score"] == 4


def test_with_several_assignments_leaving_it_out_is_an_error_listing_them(tmp_path: Path) -> None:
    raw = yaml.safe_load(ENGINE_COURSE.read_text(encoding="utf-8"))
    demo = raw["assignments"]["demo"]
    for key in ("starter", "solution", "checks"):
        demo[key] = str((ENGINE_COURSE.parent / demo[key]).resolve())
    raw["assignments"]["other"] = dict(demo)
    course = tmp_path / "course.yml"
    course.write_text(yaml.safe_dump(raw), encoding="utf-8")
    (tmp_path / "good").mkdir()
    (tmp_path / "good" / "calc.py").write_text(GOOD)
    for args in (("grade", str(tmp_path / "good"), "--out", str(tmp_path / "out")), ("validate",), ("bench",),
                 ("calibrate",), ("release", "--out", str(tmp_path / "dist"))):
        proc = subprocess.run([sys.executable, "-m", "autograder.cli", "--course", str(course), *args],
                              capture_output=True, text=True, timeout=120, cwd=ROOT)
        assert proc.returncode == 2, (args, proc.stderr)
        assert "name the assignment: course.yml defines several (demo, other)" in proc.stderr, (args, proc.stderr)
    assert not (tmp_path / "out").exists() and not (tmp_path / "dist").exists()


def test_bench_times_the_assignments_own_call() -> None:
    """``autograder bench`` knows no assignment: it times the ``bench.call`` that course.yml names."""
    from autograder.bench.worker import time_worker
    from autograder.config import load_course

    course = load_course(ENGINE_COURSE)
    config = course.assignment("demo")
    figures = time_worker(course.path(config.solution), config, repeats=2)
    assert figures.worker_startup_s > 0 and figures.call_overhead_ms > 0
    assert figures.call_6000x784_float32_ms is not None and figures.call_6000x784_float32_ms > 0
    without = time_worker(course.path(config.solution), config.model_copy(update={"bench": None}), repeats=2)
    assert without.call_overhead_ms > 0 and without.call_6000x784_float32_ms is None
