"""The judge's two comparisons, ``ctx.expect_close`` and ``ctx.expect_threshold``: at their edges, with bad values,
and with the words a student reads. No worker: a context is all they need."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograder.checks import CheckFailed, CheckSpec, Context
from autograder.checks.context import Judge, NotDeclared
from autograder.config import ProfileConfig, Threshold


def context(**thresholds: Threshold) -> Context:
    spec = CheckSpec("t", "c", "a check", lambda ctx: None, thresholds=tuple(thresholds))
    return Context(spec, None, ProfileConfig(thresholds=thresholds), "smoke", 1.0, Judge())  # type: ignore[arg-type]


# --- expect_close ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("actual", [1.0, [1.0, 2.0], np.float32(1.0), np.array([[1, 2], [3, 4]]), True])
def test_close_accepts_equal_values_of_any_numeric_form(actual: object) -> None:
    context().expect_close(actual, np.asarray(actual, dtype=float), what="the answer")


def test_close_holds_exactly_at_the_tolerance_and_fails_just_past_it() -> None:
    ctx = context()
    ctx.expect_close(1.0 + 1e-6 + 1e-8, 1.0, what="x", rtol=1e-6, atol=1e-8)  # |a - b| <= atol + rtol * |b|
    with pytest.raises(CheckFailed, match=r"^x is off: got 1\.00001, expected 1 \(tolerance rtol=1e-06, atol=1e-08\)$"):
        ctx.expect_close(1.00001, 1.0, what="x", rtol=1e-6, atol=1e-8)
    ctx.expect_close(0.0, 1e-9, what="x")  # near zero the absolute tolerance decides


def test_close_names_the_worst_element_and_its_index() -> None:
    with pytest.raises(CheckFailed) as failure:
        context().expect_close([[1.0, 2.0], [3.0, 9.0]], [[1.0, 2.0], [3.5, 4.0]], what="the weights")
    assert str(failure.value) == ("the weights is off: got 9, expected 4 at index (1, 1) "
                                  "(tolerance rtol=1e-06, atol=1e-08)")


@pytest.mark.parametrize(("actual", "expected", "message"), [
    ([1.0, 2.0], [1.0, 2.0, 3.0], r"the answer has shape \(2,\), expected \(3,\)"),
    ([[1.0, 2.0]], [1.0, 2.0], r"the answer has shape \(1, 2\), expected \(2,\)"),
    ([1.0, math.nan], [1.0, 2.0], "the answer contains NaN or infinite values"),
    (math.inf, math.inf, "the answer contains NaN or infinite values"),  # even where the reference is infinite
    ("1.0x", 1.0, "the answer should be numeric, got str"),
    ({"a": 1}, 1.0, "the answer should be numeric, got dict"),
    ([1, [2, 3]], [1, 2], "the answer should be numeric, got list"),  # ragged
])
def test_close_refuses_wrong_shapes_and_values_that_are_not_finite_numbers(actual: object, expected: object,
                                                                          message: str) -> None:
    with pytest.raises(CheckFailed, match=f"^{message}$"):
        context().expect_close(actual, expected, what="the answer")


# --- expect_threshold ------------------------------------------------------------------------------------------


def test_a_max_threshold_holds_at_its_bound_and_reports_the_figure_either_way() -> None:
    ctx = context(rmse=Threshold(max=2.0, unit="°C"))
    ctx.expect_threshold("rmse", 2.0, "held-out RMSE")
    assert ctx.figures == {"rmse": 2.0}
    assert ctx.notes == ["held-out RMSE: 2 °C (required <= 2 °C: ok)"]
    with pytest.raises(CheckFailed, match=r"^held-out RMSE: 2\.5 °C \(required <= 2 °C: missed by 0\.5 °C\)$"):
        ctx.expect_threshold("rmse", 2.5, "held-out RMSE")
    assert ctx.figures == {"rmse": 2.5} and len(ctx.notes) == 2  # a failed figure is reported too


def test_a_min_threshold_passes_above_and_fails_below() -> None:
    ctx = context(accuracy=Threshold(min=0.9))
    ctx.expect_threshold("accuracy", np.float64(0.95), "accuracy")
    with pytest.raises(CheckFailed, match=r"missed by 0\.01"):
        ctx.expect_threshold("accuracy", 0.89, "accuracy")


@pytest.mark.parametrize("value", [math.nan, None, "0.5", [0.5]])
def test_a_figure_that_is_not_a_number_fails_without_being_recorded(value: object) -> None:
    ctx = context(accuracy=Threshold(min=0.9))
    with pytest.raises(CheckFailed, match=r"^accuracy could not be computed \(got "):
        ctx.expect_threshold("accuracy", value, "accuracy")  # type: ignore[arg-type]
    assert ctx.figures == {}


def test_a_threshold_must_be_declared_by_the_check() -> None:
    ctx = context(accuracy=Threshold(min=0.9))
    ctx.spec = CheckSpec("t", "c", "a check", lambda ctx: None)  # declares none
    with pytest.raises(NotDeclared, match=r"thresholds\.accuracy without declaring it"):
        ctx.expect_threshold("accuracy", 0.95, "accuracy")
