"""course.yml: the real file is valid, and a bad one gets an error naming the key and the reason.

Every test runs for every assignment of the real course.yml (a new assignment is tested without new tests).
"""

from __future__ import annotations

import copy
import inspect
from pathlib import Path
from typing import Any

import pytest
import yaml

from autograder.config import AssignmentConfig, ConfigError, load_course, parse_course
from autograder.data.registry import dataset

ROOT = Path(__file__).resolve().parents[1]
COURSE = load_course(ROOT / "course.yml")
ASSIGNMENTS = COURSE.assignments


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load((ROOT / "course.yml").read_text())


def _first_check(config: AssignmentConfig) -> tuple[str, str]:
    task = next(iter(config.tasks))
    return task, next(iter(config.tasks[task].checks))


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_real_course_file_is_valid(name: str) -> None:
    config = COURSE.assignment(name)
    assert config.points > 0 and all(task.points > 0 for task in config.tasks.values())
    assert config.profiles and config.requirements, "profiles and the student's requirements are set"
    for profile in config.profiles.values():
        for tname, threshold in profile.thresholds.items():
            assert threshold.measured_by, tname
            if threshold.measured_by.startswith("not measured"):  # e.g. MNIST 60k: not available offline
                assert not threshold.reference, tname
                continue
            assert len(threshold.reference) == len(profile.calibration_seeds), f"{tname}: one figure per seed"
            assert all(threshold.passes(v) for v in threshold.reference), f"{tname}: the reference passes"
            for wrong, value in threshold.wrong.items():
                assert not threshold.passes(value), f"{tname}: the wrong answer {wrong} must fail"
    used = set(config.data_of())
    for pname, profile in config.profiles.items():
        assert used <= set(profile.data), f"{pname}: every data set a task reads is set in the profile"


def _error(data: dict) -> str:
    with pytest.raises(ConfigError) as info:
        parse_course(data, ROOT)
    return str(info.value)


def _assignment(data: dict, name: str) -> dict[str, Any]:
    return data["assignments"][name]


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_missing_key_is_named(raw: dict, name: str) -> None:
    data = copy.deepcopy(raw)
    task, check = _first_check(COURSE.assignment(name))
    del _assignment(data, name)["tasks"][task]["checks"][check]["points"]
    assert f"assignments.{name}.tasks.{task}.checks.{check}.points" in _error(data)


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_wrong_type_is_named(raw: dict, name: str) -> None:
    data = copy.deepcopy(raw)
    task, check = _first_check(COURSE.assignment(name))
    _assignment(data, name)["tasks"][task]["checks"][check]["timeout_s"] = "soon"
    message = _error(data)
    assert f"assignments.{name}.tasks.{task}.checks.{check}.timeout_s" in message and "number" in message


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_negative_points_rejected(raw: dict, name: str) -> None:
    data = copy.deepcopy(raw)
    task, check = _first_check(COURSE.assignment(name))
    _assignment(data, name)["tasks"][task]["checks"][check]["points"] = -1
    assert f"{task}.checks.{check}.points" in _error(data)


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_unknown_key_is_an_error(raw: dict, name: str) -> None:
    data = copy.deepcopy(raw)
    task, _ = _first_check(COURSE.assignment(name))
    _assignment(data, name)["tasks"][task]["pionts"] = 3
    message = _error(data)
    assert f"assignments.{name}.tasks.{task}.pionts" in message
    assert "xtra" in message  # "Extra inputs are not permitted"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_threshold_needs_exactly_one_bound(raw: dict, name: str) -> None:
    data = copy.deepcopy(raw)
    pname, profile = next((p, v) for p, v in _assignment(data, name)["profiles"].items() if v.get("thresholds"))
    threshold = next(iter(profile["thresholds"]))
    bounds = profile["thresholds"][threshold]
    bounds["min" if "max" in bounds else "max"] = 0.0
    assert f"profiles.{pname}.thresholds.{threshold}" in _error(data)


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_task_module_must_exist(raw: dict, name: str) -> None:
    data = copy.deepcopy(raw)
    task, _ = _first_check(COURSE.assignment(name))
    _assignment(data, name)["tasks"][task]["module"] = "no_such_module"
    assert f"tasks.{task}.module" in _error(data)


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_unknown_timeout_override(raw: dict, name: str) -> None:
    data = copy.deepcopy(raw)
    task, check = _first_check(COURSE.assignment(name))
    pname = next(iter(_assignment(data, name)["profiles"]))
    _assignment(data, name)["profiles"][pname].setdefault("timeouts", {})[f"{task}.{check}_typo"] = 10
    assert f"{task}.{check}_typo" in _error(data)


# ------------------------------------------------------------------------ what the file refers to


def _profile_with_data(data: dict, name: str) -> tuple[str, str, dict]:
    """(profile, data set, its settings) of the first data set set in a profile of ``name``."""
    for pname, profile in _assignment(data, name)["profiles"].items():
        for dname, settings in (profile.get("data") or {}).items():
            return pname, dname, settings
    pytest.skip(f"{name} reads no data")


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_misspelt_data_setting_names_the_key(raw: dict, name: str) -> None:
    data = copy.deepcopy(raw)
    pname, dname, settings = _profile_with_data(data, name)
    settings["no_such_setting"] = 1
    message = _error(data)
    assert f"assignments.{name}.profiles.{pname}.data.{dname}.no_such_setting" in message, message
    assert dataset(dname).load.__name__ in message


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_unknown_data_set_in_a_profile_is_named(raw: dict, name: str) -> None:
    data = copy.deepcopy(raw)
    pname = next(iter(_assignment(data, name)["profiles"]))
    _assignment(data, name)["profiles"][pname].setdefault("data", {})["weather"] = {}
    message = _error(data)
    assert f"assignments.{name}.profiles.{pname}.data.weather" in message and "unknown data set" in message


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_unknown_data_set_in_a_task_is_named(raw: dict, name: str) -> None:
    data = copy.deepcopy(raw)
    task, _ = _first_check(COURSE.assignment(name))
    declared = _assignment(data, name)["tasks"][task].setdefault("data", [])
    declared.append("weather")
    message = _error(data)
    assert f"assignments.{name}.tasks.{task}.data.{len(declared) - 1}" in message and "'weather'" in message


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_task_data_must_be_set_in_every_profile(raw: dict, name: str) -> None:
    data = copy.deepcopy(raw)
    pname, dname, _ = _profile_with_data(data, name)
    tasks = [t for t, task in _assignment(data, name)["tasks"].items() if dname in task.get("data", [])]
    if not tasks:
        pytest.skip(f"no task of {name} reads {dname}")
    del _assignment(data, name)["profiles"][pname]["data"][dname]
    message = _error(data)
    assert f"assignments.{name}.tasks.{tasks[0]}.data" in message and pname in message, message


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_requirements_must_be_pinned(raw: dict, name: str) -> None:
    data = copy.deepcopy(raw)
    requirements = _assignment(data, name).setdefault("requirements", [])
    requirements.append("no-such-package-xyz")
    message = _error(data)
    assert f"assignments.{name}.requirements.{len(requirements) - 1}" in message
    assert "'no-such-package-xyz' is not pinned" in message and "constraints.txt" in message


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_bench_call_must_name_a_module_of_the_assignment(raw: dict, name: str) -> None:
    data = copy.deepcopy(raw)
    _assignment(data, name)["bench"] = {"call": "no_such_module.f"}
    message = _error(data)
    assert f"assignments.{name}" in message and "bench.call" in message
    _assignment(data, name)["bench"] = {"call": "not a target"}
    assert f"assignments.{name}.bench.call" in _error(data)


def test_the_assignment_may_be_left_out_only_when_there_is_one(raw: dict) -> None:
    name = ASSIGNMENTS[0]
    data = copy.deepcopy(raw)
    data["assignments"] = {name: _assignment(data, name)}
    assert parse_course(data, ROOT).assignment_name(None) == name
    data["assignments"]["again"] = copy.deepcopy(_assignment(data, name))
    course = parse_course(data, ROOT)
    with pytest.raises(ConfigError, match=f"name the assignment.*{name}, again"):
        course.assignment_name(None)
    assert course.assignment_name("again") == "again"
    with pytest.raises(ConfigError, match="unknown assignment 'hw9'"):
        course.assignment_name("hw9")
    data["assignments"] = {}
    assert "assignments" in _error(data)


def test_unreadable_and_invalid_yaml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_course(tmp_path / "nope.yml")
    bad = tmp_path / "course.yml"
    bad.write_text("course: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_course(bad)
    bad.write_text("- a list\n")
    with pytest.raises(ConfigError, match="mapping"):
        load_course(bad)


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_unknown_assignment_and_profile(name: str) -> None:
    with pytest.raises(ConfigError, match="unknown assignment 'hw9'"):
        COURSE.assignment("hw9")
    with pytest.raises(ConfigError, match="unknown profile 'huge'"):
        COURSE.assignment(name).profile("huge")


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_data_settings_fit_the_loaders(name: str) -> None:
    """Every profile's data settings bind to the registry loader's signature (what loading checked)."""
    for profile in COURSE.assignment(name).profiles.values():
        for dname, settings in profile.data.items():
            inspect.signature(dataset(dname).load).bind(**settings)


def test_hw2_data_settings_match_loader_defaults() -> None:
    """HW2's students call the given helpers with the loaders' defaults: they must be the smoke profile's settings."""
    if "hw2" not in ASSIGNMENTS:
        pytest.skip("course.yml has no hw2")
    from autograder.data import load_mnist, load_temperature_splits, penguin_split

    smoke = COURSE.assignment("hw2").profile("smoke").data
    for loader, settings in ((load_temperature_splits, smoke["temperature"]), (penguin_split, smoke["penguins"]),
                             (load_mnist, smoke["mnist"])):
        params = inspect.signature(loader).parameters
        for key, value in settings.items():
            default = params[key].default
            assert (list(default) if isinstance(default, tuple) else default) == value, (loader.__name__, key)


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_submission_budget_and_size_limits(raw: dict, name: str) -> None:
    config = COURSE.assignment(name)
    for profile in config.profiles:
        budget = config.submission_budget(profile)
        assert budget is not None, f"{profile}: a submission budget is set"
        per_call = sum(config.timeout(f"{t}.{c}", profile) for t, task in config.tasks.items() for c in task.checks)
        assert budget < per_call, f"{profile}: the budget caps a submission below the sum of its checks' budgets"

    data = copy.deepcopy(raw)
    profiles = list(_assignment(data, name)["profiles"])
    first, others = profiles[0], profiles[1:]
    _assignment(data, name)["limits"]["submission_s"] = 500
    _assignment(data, name)["profiles"][first]["submission_s"] = 4000
    for other in others:
        _assignment(data, name)["profiles"][other].pop("submission_s", None)
    demo = parse_course(data, ROOT).assignment(name)
    assert demo.submission_budget(first) == 4000, "a profile's own budget wins"
    assert all(demo.submission_budget(other) == 500 for other in others)
    _assignment(data, name)["limits"].pop("submission_s")
    assert all(parse_course(data, ROOT).assignment(name).submission_budget(p) is None for p in others), "no cap"


def test_hw2_budgets() -> None:
    if "hw2" not in ASSIGNMENTS:
        pytest.skip("course.yml has no hw2")
    hw2 = COURSE.assignment("hw2")
    assert hw2.submission_budget("smoke") >= 3 * 49, "a few times the reference's 46-49 s on the smoke profile"
    assert (hw2.limits.module_kb, hw2.limits.reply_mb, hw2.limits.literal_kb) == (1024, 256, 64)


@pytest.mark.parametrize("name", ASSIGNMENTS)
@pytest.mark.parametrize(("where", "key", "value", "reason"), [
    ("limits", "submission_s", 0, "greater than 0"),
    ("limits", "submission_s", "long", "number"),
    ("limits", "submission_s", float("inf"), "finite"),
    ("limits", "module_kb", -5, "greater than 0"),
    ("limits", "reply_mb", 0, "greater than 0"),
    ("limits", "literal_kb", 1.5, "integer"),
    ("profiles.<first>", "submission_s", -1, "greater than 0"),
])
def test_bad_limits_are_named(raw: dict, name: str, where: str, key: str, value: object, reason: str) -> None:
    data = copy.deepcopy(raw)
    where = where.replace("<first>", next(iter(_assignment(data, name)["profiles"])))
    section = _assignment(data, name)
    for part in where.split("."):
        section = section.setdefault(part, {})
    section[key] = value
    message = _error(data)
    assert f"assignments.{name}.{where}.{key}" in message and reason in message, message
