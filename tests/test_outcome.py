"""One outcome vocabulary: every status and cause is set where the failure is caught and only read downstream.

Records are built directly (no grading) except for the two tests of a grader that fails, which grade the engine
course's good submission once in a batch and once through ``autograder gradescope``.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from autograder.checks import CheckFailed
from autograder.checks.context import CheckAbandoned
from autograder.cli import main
from autograder.config import load_course
from autograder.grading import batch as batch_module
from autograder.grading import runner as runner_module
from autograder.grading.batch import BatchOptions, grade_batch
from autograder.grading.budget import BudgetExhausted
from autograder.grading.grader import Grader, load_grader
from autograder.grading.runner import failed_result
from autograder.grading.submissions import Submission, discover
from autograder.results import Cause, CheckResult, Status, SubmissionResult, SubmissionStatus
from autograder.results.feedback import render_feedback
from autograder.results.feedback_html import render_feedback_html
from autograder.results.gradebook import render_gradebook
from autograder.results.gradescope import to_gradescope
from autograder.results.html import escape
from autograder.results.outcome import CAUSE_LABEL, DEFAULT_CAUSE, STATUS_LABEL, default_cause
from autograder.results.report import render_report
from autograder.results.summary import build_summary
from autograder.sandbox import (
    LimitExceeded,
    ProtocolError,
    StudentError,
    WorkerCrashed,
    WorkerError,
    WorkerTimeout,
    choose_isolation,
)

ROOT = Path(__file__).resolve().parents[1]
ENGINE_COURSE = ROOT / "tests" / "engine_course" / "course.yml"
GOOD = ROOT / "tests" / "engine_course" / "demo" / "solution"

# A status each cause comes with where the runner, the batch or the command line sets it.
STATUS_OF = {
    Cause.WRONG_ANSWER: Status.FAILED, Cause.STUDENT_ERROR: Status.ERROR, Cause.MISSING_MODULE: Status.ERROR,
    Cause.REFUSED_MODULE: Status.ERROR, Cause.BAD_SUBMISSION: Status.ERROR, Cause.TIMEOUT: Status.TIMEOUT,
    Cause.CRASH: Status.CRASHED, Cause.LIMIT: Status.CRASHED, Cause.BUDGET: Status.BUDGET_EXHAUSTED,
    Cause.CHECK_BUG: Status.GRADER_ERROR, Cause.GRADER_FAILED: Status.GRADER_ERROR,
}


def one_check(cause: Cause, message: str = "in any words") -> SubmissionResult:
    check = CheckResult(f"t.{cause}", "t", f"a check that fails for {cause}", 1.0, 0.0, STATUS_OF[cause], message,
                        cause=cause)
    return SubmissionResult(f"s-{cause}", "hw", "smoke", [check], isolation="bwrap")


def test_every_cause_has_a_status_and_a_label_and_every_status_a_label() -> None:
    assert set(STATUS_OF) == set(Cause)
    assert set(CAUSE_LABEL) == set(Cause) and set(STATUS_LABEL) == set(Status)
    assert len(set(CAUSE_LABEL.values())) == len(Cause), "two causes read the same"


@pytest.mark.parametrize("cause", list(Cause))
def test_every_cause_reaches_the_summary_and_both_pages_with_its_label(cause: Cause) -> None:
    record = one_check(cause)
    summary = build_summary([record])
    assert summary["failures"][cause.value] == {"label": CAUSE_LABEL[cause], "checks": 1, "submissions": 1}
    assert all(f["checks"] == 0 for c, f in summary["failures"].items() if c != cause.value)
    assert escape(CAUSE_LABEL[cause]) in render_report(summary)  # the staff's page
    verdict = f"{STATUS_LABEL[STATUS_OF[cause]]}: {CAUSE_LABEL[cause]}"
    assert escape(verdict) in render_feedback_html(record)  # the student's page
    assert verdict in render_feedback(record)  # its Markdown twin
    assert verdict in to_gradescope(record)["tests"][0]["output"]  # Gradescope's


@pytest.mark.parametrize("cause", list(Cause))
def test_a_submission_not_graded_names_its_cause_on_gradescope_and_on_the_staff_page(cause: Cause) -> None:
    status = SubmissionStatus.GRADER_ERROR if cause == Cause.GRADER_FAILED else SubmissionStatus.INVALID
    record = SubmissionResult("nope", "hw", "smoke", [], status=status, message="in any words", cause=cause)
    document = to_gradescope(record)
    assert document["extra_data"] == {"status": status.value, "cause": cause.value}
    assert json.loads(json.dumps(document))["extra_data"] == {"status": status.value, "cause": cause.value}
    assert f"Not graded ({status}: {CAUSE_LABEL[cause]})" in document["output"]
    summary = build_summary([record])
    assert summary["invalid"] == [{"id": "nope", "status": status.value, "cause": cause.value,
                                   "message": "in any words"}]
    assert escape(CAUSE_LABEL[cause]) in render_report(summary)


def _raise(exc: BaseException) -> SimpleNamespace:
    def fn(ctx: object) -> None:
        raise exc
    return SimpleNamespace(id="t.c", fn=fn)


@pytest.mark.parametrize(("exc", "status", "cause"), [
    (CheckFailed("expected 3, got 4"), Status.FAILED, Cause.WRONG_ANSWER),
    (StudentError("ValueError", "no adding today", "Traceback ..."), Status.ERROR, Cause.STUDENT_ERROR),
    (BudgetExhausted(30.0), Status.BUDGET_EXHAUSTED, Cause.BUDGET),
    (WorkerTimeout(2.0), Status.TIMEOUT, Cause.TIMEOUT),
    (LimitExceeded("memory", "1210 MiB > 400 MiB"), Status.CRASHED, Cause.LIMIT),
    (WorkerCrashed("worker killed by signal SIGSEGV"), Status.CRASHED, Cause.CRASH),
    (ProtocolError("a forged reply"), Status.CRASHED, Cause.CRASH),
    (WorkerError("any other failure of the worker"), Status.CRASHED, Cause.CRASH),
    (CheckAbandoned("the judge stopped waiting"), Status.TIMEOUT, Cause.TIMEOUT),
    (KeyError("a bug in the check"), Status.GRADER_ERROR, Cause.CHECK_BUG),
])
@pytest.mark.parametrize("words", ["as the sandbox says it", "m.py is missing from your submission"])
def test_the_runner_sets_the_cause_from_what_it_catches_never_from_the_words(
        exc: Exception, status: Status, cause: Cause, words: str) -> None:
    exc.args = (words,)  # any message: the class caught decides
    outcome = runner_module._outcome(_raise(exc), SimpleNamespace(timeout=1.0))  # type: ignore[arg-type]
    assert (outcome.status, outcome.cause) == (status, cause)


def test_a_check_that_passes_has_no_cause() -> None:
    check = SimpleNamespace(id="t.c", fn=lambda ctx: None)
    outcome = runner_module._outcome(check, SimpleNamespace(timeout=1.0))  # type: ignore[arg-type]
    assert (outcome.status, outcome.cause) == (Status.PASSED, None)


@pytest.fixture(scope="module")
def engine_grader() -> Grader:
    return load_grader(load_course(ENGINE_COURSE), "demo", reference_cache=False)


@pytest.mark.parametrize(("cause", "status", "check_status"), [
    (Cause.MISSING_MODULE, SubmissionStatus.INVALID, Status.ERROR),
    (Cause.BAD_SUBMISSION, SubmissionStatus.INVALID, Status.ERROR),
    (Cause.GRADER_FAILED, SubmissionStatus.GRADER_ERROR, Status.GRADER_ERROR),
])
def test_a_submission_not_graded_takes_its_status_from_the_cause_it_is_given(
        engine_grader: Grader, cause: Cause, status: SubmissionStatus, check_status: Status) -> None:
    result = failed_result(engine_grader, Submission("s", Path("."), {}), "the grader could not grade this", cause)
    assert (result.status, result.cause) == (status, cause)
    assert result.checks and {(c.status, c.cause, c.score) for c in result.checks} == {(check_status, cause, 0.0)}


def test_rewording_a_message_never_moves_a_submission_between_causes() -> None:
    """The words the grader used to match are now just words: the cause alone decides."""
    records = [one_check(Cause.STUDENT_ERROR, "m.py is missing from your submission"),
               one_check(Cause.MISSING_MODULE, "the grader could not grade this submission"),
               SubmissionResult("oops", "hw", "smoke", [], status=SubmissionStatus.INVALID,
                                message="the grader could not grade this submission", cause=Cause.BAD_SUBMISSION)]
    summary = build_summary(records)
    counts = {cause: f["checks"] for cause, f in summary["failures"].items() if f["checks"]}
    assert counts == {"student_error": 1, "missing_module": 1}
    assert summary["grader_errors"] == []
    assert [(x["id"], x["status"], x["cause"]) for x in summary["invalid"]] == [("oops", "invalid", "bad_submission")]


def test_a_record_written_before_causes_loads_with_its_statuss_default_cause() -> None:
    old = {"submission_id": "a", "assignment": "hw", "profile": "smoke", "status": "invalid", "message": "x",
           "checks": [{"id": f"t.{s}", "task": "t", "title": "", "max_score": 1.0, "score": 0.0, "status": s}
                      for s in Status]}
    result = SubmissionResult.from_dict(old)
    assert result.status is SubmissionStatus.INVALID and result.cause is Cause.MISSING_MODULE
    assert {c.status: c.cause for c in result.checks} == DEFAULT_CAUSE
    assert all(isinstance(c.status, Status) for c in result.checks)
    new = SubmissionResult.from_dict(json.loads(json.dumps(one_check(Cause.LIMIT).to_dict())))
    assert (new.checks[0].status, new.checks[0].cause) == (Status.CRASHED, Cause.LIMIT)  # a round trip keeps both
    assert default_cause("no such status") is Cause.STUDENT_ERROR


def test_the_gradebook_names_the_cause_of_a_submission_not_graded() -> None:
    records = [one_check(Cause.TIMEOUT),
               SubmissionResult("z", "hw", "smoke", [], status=SubmissionStatus.GRADER_ERROR,
                                cause=Cause.GRADER_FAILED)]
    rows = [line.split(",") for line in render_gradebook(records, ["t"]).splitlines()]
    assert rows[0][3:5] == ["status", "cause"]
    assert rows[1][3:5] == ["graded (timeout)", ""] and rows[2][3:5] == ["grader_error", "grader_failed"]


def _fail_to_prepare(*args: object, **kwargs: object) -> None:
    raise RuntimeError("a bug of the grader's")


def test_a_grader_crash_has_the_same_status_in_a_batch_and_on_gradescope(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch_module, "prepare_submission", _fail_to_prepare)
    monkeypatch.setattr(runner_module, "prepare_submission", _fail_to_prepare)
    course = load_course(ENGINE_COURSE)
    grader = load_grader(course, "demo", reference_cache=False)
    submission = tmp_path / "good"
    shutil.copytree(GOOD, submission)
    options = BatchOptions(out=tmp_path / "out", isolation=choose_isolation("auto"), report=False,
                           key_file=tmp_path / "record.key")
    (in_batch,) = grade_batch(grader, discover([submission], grader.config.modules, tmp_path / "unzip"), options)
    record = json.loads((tmp_path / "out" / "good" / "grading.json").read_text())

    results = tmp_path / "results.json"
    assert main(["--course", str(ENGINE_COURSE), "gradescope", "--submission", str(submission),
                 "--results", str(results)]) == 0
    on_gradescope = json.loads(results.read_text())

    assert (in_batch.status, in_batch.cause) == (SubmissionStatus.GRADER_ERROR, Cause.GRADER_FAILED)
    assert (record["status"], record["cause"]) == ("grader_error", "grader_failed")
    assert on_gradescope["extra_data"] == {"status": "grader_error", "cause": "grader_failed"}
    assert {c["status"] for c in record["checks"]} == {"grader_error"}
    assert all(re.search(r"^Grader error \(not your fault", t["output"]) for t in on_gradescope["tests"])
    assert on_gradescope["score"] == 0
