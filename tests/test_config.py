"""course.yml: the real file is valid, and a bad one gets an error naming the key and the reason."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from autograder.config import ConfigError, load_course, parse_course

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load((ROOT / "course.yml").read_text())


def test_real_course_file_is_valid() -> None:
    course = load_course(ROOT / "course.yml")
    hw2 = course.assignment("hw2")
    assert hw2.points == 100
    assert {name: task.points for name, task in hw2.tasks.items()} == {"trees": 25, "mnist_mlp": 30, "penguins": 20, "posenc": 25}
    assert set(hw2.profiles) == {"full", "smoke"}
    for profile in hw2.profiles.values():
        assert profile.thresholds, "every profile has calibrated thresholds"
        for name, threshold in profile.thresholds.items():
            assert threshold.measured_by, name
            if threshold.measured_by.startswith("not measured"):  # e.g. MNIST 60k: not available offline
                assert not threshold.reference, name
                continue
            assert len(threshold.reference) == len(profile.calibration_seeds), f"{name}: one figure per seed"
            assert all(threshold.passes(v) for v in threshold.reference), f"{name}: the reference passes"
            for wrong, value in threshold.wrong.items():
                assert not threshold.passes(value), f"{name}: the wrong answer {wrong} must fail"


def _error(data: dict) -> str:
    with pytest.raises(ConfigError) as info:
        parse_course(data, ROOT)
    return str(info.value)


def test_missing_key_is_named(raw: dict) -> None:
    data = copy.deepcopy(raw)
    del data["assignments"]["hw2"]["tasks"]["trees"]["checks"]["rmse"]["points"]
    assert "assignments.hw2.tasks.trees.checks.rmse.points" in _error(data)


def test_wrong_type_is_named(raw: dict) -> None:
    data = copy.deepcopy(raw)
    data["assignments"]["hw2"]["tasks"]["trees"]["checks"]["rmse"]["timeout_s"] = "soon"
    message = _error(data)
    assert "assignments.hw2.tasks.trees.checks.rmse.timeout_s" in message and "number" in message


def test_negative_points_rejected(raw: dict) -> None:
    data = copy.deepcopy(raw)
    data["assignments"]["hw2"]["tasks"]["penguins"]["checks"]["is_gentoo"]["points"] = -1
    assert "penguins.checks.is_gentoo.points" in _error(data)


def test_unknown_key_is_an_error(raw: dict) -> None:
    data = copy.deepcopy(raw)
    data["assignments"]["hw2"]["tasks"]["trees"]["pionts"] = 3
    message = _error(data)
    assert "assignments.hw2.tasks.trees.pionts" in message and "xtra" in message  # "Extra inputs are not permitted"


def test_threshold_needs_exactly_one_bound(raw: dict) -> None:
    data = copy.deepcopy(raw)
    data["assignments"]["hw2"]["profiles"]["smoke"]["thresholds"]["mnist_test_error"]["min"] = 0.0
    assert "profiles.smoke.thresholds.mnist_test_error" in _error(data)


def test_task_module_must_exist(raw: dict) -> None:
    data = copy.deepcopy(raw)
    data["assignments"]["hw2"]["tasks"]["trees"]["module"] = "tree"
    assert "tasks.trees.module" in _error(data)


def test_unknown_timeout_override(raw: dict) -> None:
    data = copy.deepcopy(raw)
    data["assignments"]["hw2"]["profiles"]["full"]["timeouts"]["mnist_mlp.best_confg"] = 10
    assert "mnist_mlp.best_confg" in _error(data)


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


def test_unknown_assignment_and_profile() -> None:
    course = load_course(ROOT / "course.yml")
    with pytest.raises(ConfigError, match="unknown assignment 'hw9'"):
        course.assignment("hw9")
    with pytest.raises(ConfigError, match="unknown profile 'huge'"):
        course.assignment("hw2").profile("huge")


def test_data_settings_match_loader_defaults() -> None:
    """The given helpers students call use the loaders' defaults: they must be the smoke profile's settings."""
    import inspect

    from autograder.data import load_mnist, load_temperature_splits, penguin_split

    smoke = load_course(ROOT / "course.yml").assignment("hw2").profile("smoke").data
    for loader, settings in ((load_temperature_splits, smoke["temperature"]), (penguin_split, smoke["penguins"]),
                             (load_mnist, smoke["mnist"])):
        params = inspect.signature(loader).parameters
        for key, value in settings.items():
            default = params[key].default
            assert (list(default) if isinstance(default, tuple) else default) == value, (loader.__name__, key)


def test_submission_budget_and_size_limits(raw: dict) -> None:
    hw2 = load_course(ROOT / "course.yml").assignment("hw2")
    for profile in hw2.profiles:
        budget = hw2.submission_budget(profile)
        assert budget is not None, f"{profile}: a submission budget is set"
        per_call = sum(hw2.timeout(f"{t}.{c}", profile) for t, task in hw2.tasks.items() for c in task.checks)
        assert budget < per_call, f"{profile}: the budget caps a submission below the sum of its checks' budgets"
    assert hw2.submission_budget("smoke") >= 3 * 49, "a few times the reference's 46-49 s on the smoke profile"
    assert (hw2.limits.module_kb, hw2.limits.reply_mb, hw2.limits.literal_kb) == (1024, 256, 64)

    data = copy.deepcopy(raw)
    data["assignments"]["hw2"]["limits"]["submission_s"] = 500
    data["assignments"]["hw2"]["profiles"]["full"]["submission_s"] = 4000
    data["assignments"]["hw2"]["profiles"]["smoke"].pop("submission_s", None)
    demo = parse_course(data, ROOT).assignment("hw2")
    assert demo.submission_budget("full") == 4000, "a profile's own budget wins"
    assert demo.submission_budget("smoke") == 500 and demo.submission_budget(None) == 4000  # default_profile: full
    data["assignments"]["hw2"]["limits"].pop("submission_s")
    assert parse_course(data, ROOT).assignment("hw2").submission_budget("smoke") is None, "no budget: no cap"


@pytest.mark.parametrize(("where", "key", "value", "reason"), [
    ("limits", "submission_s", 0, "greater than 0"),
    ("limits", "submission_s", "long", "number"),
    ("limits", "submission_s", float("inf"), "finite"),
    ("limits", "module_kb", -5, "greater than 0"),
    ("limits", "reply_mb", 0, "greater than 0"),
    ("limits", "literal_kb", 1.5, "integer"),
    ("profiles.smoke", "submission_s", -1, "greater than 0"),
])
def test_bad_limits_are_named(raw: dict, where: str, key: str, value: object, reason: str) -> None:
    data = copy.deepcopy(raw)
    section = data["assignments"]["hw2"]
    for part in where.split("."):
        section = section[part]
    section[key] = value
    message = _error(data)
    assert f"assignments.hw2.{where}.{key}" in message and reason in message, message
