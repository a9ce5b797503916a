"""Grade one submission: start its worker, run every hidden check, turn outcomes into results.

Whatever the student's code does (raise, hang, crash, print megabytes, exit) only ends the check it
was called from; the worker is restarted for the next check and every check gets a result.
Before any code runs, modules over ``limits.module_kb`` are refused and large literals flagged
(:mod:`.inspection`); while it runs, the submission's calls share one time budget (:mod:`.budget`).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import shutil
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import NamedTuple

from ..checks import CheckFailed, CheckSpec, Context
from ..checks.context import CheckAbandoned
from ..results import Cause, CheckResult, RenderedFigure, Status, SubmissionResult, SubmissionStatus
from ..results.drawing import draw_into
from ..results.figure_process import FigureProcess
from ..results.figure_queue import FigureQueue
from ..results.outcome import GRADER_SIDE
from ..sandbox import (
    LimitExceeded,
    Limits,
    StudentError,
    WorkerError,
    WorkerSession,
    WorkerTimeout,
)
from ..sandbox.confine.isolation import Isolation
from ..sandbox.runtime.output import cap
from .budget import BudgetExhausted, SubmissionBudget
from .check_thread import CheckThread
from .grader import Grader
from .inspection import Inspection, inspect_modules
from .submissions import Submission

log = logging.getLogger(__name__)
TEXT_BYTES = 48 * 1024
"""The most a check's message (with a student's traceback) may take in its result; cut in the middle beyond."""
NOTE_BYTES = 4 * 1024
MAX_NOTES = 50


@dataclass
class Cancellation:
    """Lets the main thread stop a run: no new checks start and every live worker is killed."""

    event: threading.Event = field(default_factory=threading.Event)
    _sessions: set[WorkerSession] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def cancelled(self) -> bool:
        return self.event.is_set()

    @contextlib.contextmanager
    def track(self, session: WorkerSession) -> Iterator[WorkerSession]:
        self.add(session)
        try:
            yield session
        finally:
            self.forget(session)

    def add(self, session: WorkerSession) -> None:
        """Kill ``session``'s worker on :meth:`cancel` (at once if the run is already cancelled)."""
        with self._lock:
            self._sessions.add(session)
        if self.cancelled:
            session.close()

    def forget(self, session: WorkerSession) -> None:
        with self._lock:
            self._sessions.discard(session)

    def cancel(self) -> None:
        self.event.set()
        with self._lock:
            sessions = list(self._sessions)
        for session in sessions:
            session.close()


def run_check(grader: Grader, spec: CheckSpec, worker: WorkerSession, shared: dict,
              budget: SubmissionBudget | None = None, figures: FigureQueue | None = None,
              thread: CheckThread | None = None) -> CheckResult:
    """Run one check and classify its outcome; never raises for anything the student did.

    Every worker call the check makes is charged to ``budget`` (its timeout clipped to what is left). With
    ``figures``, the check's figures are drawn in the background: its result's ``plots`` fill in when the queue
    finishes. With ``thread``, the check runs there under the judge's deadline (``limits.judge_s`` of the judge's own
    time, :mod:`.check_thread`); a check past it ends as a timeout, ``thread`` is left ``abandoned`` and the worker
    restarted. Every text of the result is capped (:data:`TEXT_BYTES`, :data:`NOTE_BYTES`, ``limits.output_kb``).
    """
    points = grader.points(spec)
    plots: list[RenderedFigure] = []
    show = partial(figures.draw_into, plots, spec.id) if figures is not None else partial(draw_into, plots)
    ctx = Context(spec, worker, grader.profile, grader.profile_name, grader.timeout(spec), grader.judge, shared,
                  file_bytes=grader.file_bytes(spec), meter=budget.run if budget is not None else None, show=show)
    start = time.monotonic()
    if thread is None:
        outcome = _outcome(spec, ctx)
    else:
        limit = grader.config.limits.judge_s
        outcome = thread.run(lambda: _outcome(spec, ctx), lambda: ctx.judge_seconds(start), limit)
        if outcome is None:
            ctx.abandon()
            log.warning("check %s: the judge's own code ran past %g s; abandoned", spec.id, limit)
            _fresh_worker(worker)
            outcome = _Outcome(Status.TIMEOUT, Cause.TIMEOUT, f"the judge's own work on this check did not finish "
                               f"within {limit:g} s (a file it had to read, or a comparison, took too long)")
    output = "\n".join([*ctx.outputs, outcome.output]).strip("\n")
    notes = [cap(note, NOTE_BYTES) for note in ctx.notes[:MAX_NOTES]]
    if len(ctx.notes) > MAX_NOTES:
        notes.append(f"[... {len(ctx.notes) - MAX_NOTES} more notes left out ...]")
    return CheckResult(
        id=spec.id, task=spec.task, title=spec.title, max_score=points,
        score=points if outcome.status == Status.PASSED else 0.0, status=outcome.status, cause=outcome.cause,
        message=cap(outcome.message, TEXT_BYTES),
        output=cap(output, grader.config.limits.output_kb * 1024), notes=notes, figures=dict(ctx.figures),
        seconds=round(time.monotonic() - start, 3), plots=plots if thread is None or not thread.abandoned else [],
        visibility=grader.visibility(spec),
    )


class _Outcome(NamedTuple):
    """How a check ended, set where the failure is caught."""

    status: Status
    cause: Cause | None
    message: str = ""
    output: str = ""  # what the student's code printed in the call that failed


def _outcome(spec: CheckSpec, ctx: Context) -> _Outcome:
    """Run the check's code and say how it ended."""
    try:
        spec.fn(ctx)
    except CheckFailed as exc:
        return _Outcome(Status.FAILED, Cause.WRONG_ANSWER, str(exc))
    except StudentError as exc:
        return _Outcome(Status.ERROR, Cause.STUDENT_ERROR, f"{exc}\n{exc.traceback}".rstrip(), exc.output)
    except BudgetExhausted as exc:
        return _Outcome(Status.BUDGET_EXHAUSTED, Cause.BUDGET, str(exc), exc.output)
    except WorkerTimeout as exc:
        return _Outcome(Status.TIMEOUT, Cause.TIMEOUT, f"{exc} (budget per call: {ctx.timeout:g} s)", exc.output)
    except LimitExceeded as exc:
        return _Outcome(Status.CRASHED, Cause.LIMIT, str(exc), exc.output)
    except WorkerError as exc:  # the worker crashed, spoke out of turn, or any other failure of the student's worker
        return _Outcome(Status.CRASHED, Cause.CRASH, str(exc), exc.output)
    except CheckAbandoned as exc:  # the judge no longer waits for this check: nobody reads this
        return _Outcome(Status.TIMEOUT, Cause.TIMEOUT, str(exc))
    except Exception:  # a bug in a check must not stop the batch; it is reported
        log.exception("check %s raised", spec.id)
        return _Outcome(Status.GRADER_ERROR, Cause.CHECK_BUG,
                        "the check itself failed:\n" + traceback.format_exc(limit=6))
    return _Outcome(Status.PASSED, None)


def _fresh_worker(worker: WorkerSession) -> None:
    """After an abandoned check: kill its worker, so the next check starts from a fresh one (a call in flight ends
    at its own timeout; a closed session, cancelled meanwhile, needs nothing)."""
    try:
        worker.restart()
    except RuntimeError:
        pass


def _not_run(grader: Grader, spec: CheckSpec, status: Status, cause: Cause, message: str) -> CheckResult:
    return CheckResult(spec.id, spec.task, spec.title, grader.points(spec), 0.0, status, message,
                       visibility=grader.visibility(spec), cause=cause)


def failed_result(grader: Grader, submission: Submission, message: str, cause: Cause) -> SubmissionResult:
    """A result for a submission that could not be graded at all: every check listed with zero points.

    ``cause`` says whose failure it is: :attr:`Cause.GRADER_FAILED` makes the submission and its checks a
    ``grader_error`` (never the student's loss), any other cause (a missing module, an unreadable zip) ``invalid``.
    """
    if cause in GRADER_SIDE:
        status, check_status = SubmissionStatus.GRADER_ERROR, Status.GRADER_ERROR
    else:
        status, check_status = SubmissionStatus.INVALID, Status.ERROR
    return SubmissionResult(submission.id, grader.assignment, grader.profile_name,
                            [_not_run(grader, spec, check_status, cause, message) for spec in grader.checks],
                            status=status, message=message, grader_version=grader.version, cause=cause)


def grader_failed(grader: Grader, submission: Submission, exc: BaseException) -> SubmissionResult:
    """The result of a submission the grader itself could not grade (``exc``: what went wrong on its side)."""
    return failed_result(grader, submission, f"the grader could not grade this submission: {exc!r}",
                         Cause.GRADER_FAILED)


@dataclass
class PreparedSubmission:
    """A submission made ready to grade: its modules inspected, its scratch folder made and its worker session
    set up (started in the background when prepared ``warm``). :func:`grade_prepared` grades it and cleans up;
    :meth:`close` cleans up one that will not be graded."""

    submission: Submission
    cancellation: Cancellation
    inspection: Inspection | None = None  # None: nothing to grade (a problem, or no module at all)
    scratch: Path | None = None
    worker: WorkerSession | None = None

    def close(self) -> None:
        if self.worker is not None:
            self.worker.close()
            self.cancellation.forget(self.worker)
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)


def prepare_submission(grader: Grader, submission: Submission, *, scratch_root: Path | None = None,
                       gpu: str | None = None, run_as: str | None = None, threads: int | None = None,
                       cancellation: Cancellation | None = None, isolation: Isolation | None = None,
                       warm: bool = False) -> PreparedSubmission:
    """Inspect ``submission``, make its scratch folder and its worker session; with ``warm``, start the worker now,
    in the background (a batch prepares a job's next submission while it grades the current one, so that no
    submission waits for an interpreter and its libraries to start). Arguments as in :func:`grade_submission`."""
    config = grader.config
    prepared = PreparedSubmission(submission, cancellation or Cancellation())
    if submission.problem or not submission.modules:
        return prepared
    prepared.inspection = inspect_modules(submission.modules, module_kb=config.limits.module_kb,
                                          literal_kb=config.limits.literal_kb)
    prepared.scratch = scratch = Path(tempfile.mkdtemp(prefix=f"grade-{submission.id[:40]}-", dir=scratch_root))
    try:
        if run_as or (isolation is not None and isolation.worker_owner() is not None):
            # the worker's unprivileged user must be able to pass through (not list) the grader's folders
            for folder in (scratch, *([scratch_root] if scratch_root else [])):
                os.chmod(folder, 0o711)
        if prepared.inspection.accepted:
            limits = Limits(memory_mb=config.limits.memory_mb, output_bytes=config.limits.output_kb * 1024,
                            reply_bytes=config.limits.reply_mb * 1024 * 1024)
            threads = threads or os.cpu_count() or 1
            env = {name: str(threads) for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
            preload = _preload(grader, prepared.inspection)
            prepared.worker = WorkerSession(_gather(prepared.inspection.accepted, scratch), config.modules,
                                            scratch=scratch / "worker", limits=limits, gpu=gpu, run_as=run_as,
                                            env=env, isolation=isolation, preload=preload)
            prepared.cancellation.add(prepared.worker)
            if warm:
                prepared.worker.start_soon()
    except BaseException:
        prepared.close()
        raise
    return prepared


def grade_submission(grader: Grader, submission: Submission, *, scratch_root: Path | None = None,
                     gpu: str | None = None, run_as: str | None = None, threads: int | None = None,
                     cancellation: Cancellation | None = None, budget_s: float | None = None,
                     isolation: Isolation | None = None) -> SubmissionResult:
    """Grade one submission in its own worker (restarted as needed); returns every check's result.

    ``threads`` caps the worker's CPU threads (default: all cores); workers graded side by side should
    share the cores, as oversubscribed BLAS threads slow PyTorch down many times over.
    ``budget_s`` overrides the course's submission time budget for the profile
    (:meth:`~autograder.config.AssignmentConfig.submission_budget`; ``math.inf``: no cap, e.g. to time the
    reference solution). ``isolation`` is how the worker is confined (``None``: the session's default, an
    unprivileged user with ``run_as``, else ``"none"``); the level in force is recorded in the result.
    """
    prepared = prepare_submission(grader, submission, scratch_root=scratch_root, gpu=gpu, run_as=run_as,
                                  threads=threads, cancellation=cancellation, isolation=isolation)
    return grade_prepared(grader, prepared, budget_s=budget_s, isolation=isolation)


def grade_prepared(grader: Grader, prepared: PreparedSubmission, *, budget_s: float | None = None,
                   isolation: Isolation | None = None, drawing: FigureProcess | None = None) -> SubmissionResult:
    """Grade a :func:`prepare_submission` result (see :func:`grade_submission`); always cleans it up. ``drawing``:
    the batch's figure process (``None``: this submission's figures are drawn in a thread of the judge)."""
    try:
        return _grade(grader, prepared, budget_s, isolation, drawing)
    finally:
        prepared.close()


def _grade(grader: Grader, prepared: PreparedSubmission, budget_s: float | None,
           isolation: Isolation | None, drawing: FigureProcess | None) -> SubmissionResult:
    start = time.monotonic()
    config, submission, inspection, worker = grader.config, prepared.submission, prepared.inspection, prepared.worker
    if inspection is None:
        if submission.problem:
            return failed_result(grader, submission, submission.problem, Cause.BAD_SUBMISSION)
        expected = ", ".join(f"{m}.py" for m in config.modules)
        return failed_result(grader, submission, f"no student module found in the submission (expected {expected})",
                             Cause.MISSING_MODULE)
    if budget_s is None:
        budget_s = config.submission_budget(grader.profile_name)
    budget = SubmissionBudget(None if budget_s is None or budget_s == math.inf else budget_s)
    result = SubmissionResult(submission.id, grader.assignment, grader.profile_name, [],
                              grader_version=grader.version, isolation=isolation.name if isolation else "none",
                              flags=inspection.flags)
    result.fingerprint = submission.fingerprint
    if worker is not None:
        result.isolation = worker.isolation.name  # the level in force (run_as alone means "user")
        result.sandbox_uid = worker.isolation.host_uid()  # checked against the worker's own word at its hello
        result.device = _device(worker)
    shared: dict = {}
    thread = CheckThread()
    with FigureQueue(drawing) as figures:  # drawn while the next checks run; all in their results on leaving
        for spec in grader.checks:
            if thread.abandoned:  # the last check ran past the judge's deadline: the rest go on in a new thread
                thread = CheckThread()
            if prepared.cancellation.cancelled:
                break
            module = config.tasks[spec.task].module
            if module in inspection.refused:
                result.checks.append(_not_run(grader, spec, Status.ERROR, Cause.REFUSED_MODULE,
                                              inspection.refused[module]))
            elif worker is None or module not in inspection.accepted:
                missing = f"{module}.py is missing from your submission"
                result.checks.append(_not_run(grader, spec, Status.ERROR, Cause.MISSING_MODULE, missing))
            elif budget.exhausted:
                result.checks.append(_not_run(grader, spec, Status.BUDGET_EXHAUSTED, Cause.BUDGET,
                                              BudgetExhausted.describe(budget.seconds or 0.0)))
            else:
                result.checks.append(run_check(grader, spec, worker, shared, budget, figures, thread))
    thread.close()
    result.seconds = round(time.monotonic() - start, 3)
    result.student_s = round(budget.used, 3)
    return result


def _preload(grader: Grader, inspection: Inspection) -> tuple[str, ...]:
    """The libraries the worker imports before its first call: the modules that the modules this run grades import
    from the assignment's own ``requirements`` (:attr:`Grader.libraries`), such as ``pandas`` and
    ``sklearn.linear_model`` for hw2's penguins. So no call waits for them (a warm spare imports them while the
    previous submission is graded) and their start-up is not charged to the student's budget. Only course-chosen,
    installed code runs early; the student's own code runs at its first call, as always. Grading only hw2's
    penguins does not pay for torch."""
    libraries = grader.libraries
    graded = {grader.config.tasks[task].module for task in grader.selected_tasks}
    names = {name for module in graded if module in inspection.accepted
             for name in inspection.imports[module] or () if name.split(".")[0] in libraries}
    return tuple(sorted(names))


def _device(worker: WorkerSession) -> str:
    """Start the worker and ask what it computes on; a worker that cannot start fails in its checks."""
    try:
        return worker.device
    except WorkerError:
        return "unknown"


def _gather(modules: dict[str, Path], scratch: Path) -> Path:
    """Put the accepted modules side by side (they may sit at different depths in the submission)."""
    folder = scratch / "submission"
    folder.mkdir(parents=True)
    for name, path in modules.items():
        shutil.copyfile(path, folder / f"{name}.py")
    return folder
