"""Grade a whole class: N submissions at a time, pinned to GPUs, resumable, interruptible.

- Results of each submission are written atomically to ``OUT/<id>/`` as soon as it is graded, and
  ``OUT/grades.csv`` is rebuilt after each one, so a crash or Ctrl-C loses only work in progress.
- A second run skips submissions whose content and grader version are unchanged (``regrade`` forces),
  trusting only ``grading.json`` records whose MAC verifies (:mod:`autograder.results.integrity`); a record
  that fails verification is regraded if its submission is in the run, else left out of ``grades.csv``.
- One broken submission never stops the batch: it gets a result with status ``invalid`` (the student's mistake) or
  ``grader_error`` (the grader's failure), and its cause.
- ``OUT/summary.json`` (:mod:`autograder.results.summary`) is rewritten with ``grades.csv``; at the end come
  ``OUT/report.html`` and, with ``canvas``, ``OUT/canvas.csv``, all from the same records as ``grades.csv``.
- Reference figures the judge computed are saved to the grader's reference cache as soon as a submission that
  computed them is done (:mod:`autograder.grading.reference_cache`), so the next run reuses them.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..results import (
    SubmissionResult,
    load_record_key,
    sign_record,
    verify_record,
    write_atomic,
    write_feedback,
    write_gradebook,
    write_results_json,
)
from ..results.canvas import write_canvas
from ..results.feedback_html import FEEDBACK_HTML, write_feedback_html
from ..results.figure_process import FigureProcess
from ..results.report import write_report
from ..results.summary import build_summary, write_summary
from ..sandbox.confine.isolation import Isolation
from .grader import Grader
from .runner import Cancellation, PreparedSubmission, grade_prepared, grader_failed, prepare_submission
from .submissions import Submission

log = logging.getLogger(__name__)
RECORD = "grading.json"


@dataclass
class BatchOptions:
    out: Path
    jobs: int = 1
    gpus: Sequence[str] = ()
    per_gpu: int = 1
    regrade: bool = False
    run_as: str | None = None
    threads: int | None = None  # CPU threads per worker; default: the cores shared among the jobs
    budget_s: float | None = None  # submission time budget; default: the course's for the profile
    isolation: Isolation | None = None  # how workers are confined; None: "user" with run_as, else "none"
    key_file: Path | None = None  # the key that signs grading.json; default: $AUTOGRADER_KEY_FILE or ~/.config
    report: bool = True  # write OUT/report.html at the end (OUT/summary.json is always written)
    canvas: str | None = None  # Canvas assignment title: also write OUT/canvas.csv at the end; None: don't


class UntrustedRecord(ValueError):
    """A ``grading.json`` exists but may not be trusted: unreadable, unsigned, forged, edited or misplaced."""


def load_record(folder: Path, key: bytes) -> SubmissionResult | None:
    """The record in ``folder`` if its MAC verifies; ``None`` if there is none.

    Raises :class:`UntrustedRecord` (saying why) for a record that is there but fails verification.
    """
    path = folder / RECORD
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise UntrustedRecord(f"unreadable ({exc})") from None
    try:
        data = verify_record(json.loads(text), key)
    except ValueError:
        raise UntrustedRecord("not valid JSON") from None
    if data is None:
        raise UntrustedRecord("missing or wrong MAC")
    try:
        record = SubmissionResult.from_dict(data)
    except (TypeError, KeyError, ValueError) as exc:  # ValueError: a status or cause this version does not know
        raise UntrustedRecord(f"malformed ({exc})") from None
    if record.submission_id != folder.name:
        raise UntrustedRecord(f"it is the record of {record.submission_id!r}")
    return record


def save_result(result: SubmissionResult, out: Path, key: bytes) -> None:
    """Write one submission's files (each atomically): results.json, feedback.md and .html, grading.json (signed)."""
    folder = out / result.submission_id
    write_results_json(result, folder / "results.json")
    write_feedback(result, folder / "feedback.md")
    write_feedback_html(result, folder / FEEDBACK_HTML)
    write_atomic(folder / RECORD, json.dumps(sign_record(result.to_dict(), key), indent=1) + "\n")


def _cached(grader: Grader, submission: Submission, record: SubmissionResult | None) -> SubmissionResult | None:
    """``record`` (verified) if it is the result of grading exactly this submission with this grader."""
    if submission.problem or not submission.modules:
        return None
    if (record and record.fingerprint == submission.fingerprint and record.grader_version == grader.version
            and record.profile == grader.profile_name and record.assignment == grader.assignment):
        return record
    return None


class GpuPool:
    """Hands out GPU ids, ``per_gpu`` submissions per GPU at a time; ``None`` when there are no GPUs."""

    def __init__(self, gpus: Sequence[str], per_gpu: int) -> None:
        self._slots: queue.Queue[str] | None = None
        if gpus:
            self._slots = queue.Queue()
            for _ in range(per_gpu):
                for gpu in gpus:
                    self._slots.put(gpu)

    @contextmanager
    def slot(self) -> Iterator[str | None]:
        if self._slots is None:
            yield None
            return
        gpu = self._slots.get()
        try:
            yield gpu
        finally:
            self._slots.put(gpu)


def _trusted_records(grader: Grader, submissions: Sequence[Submission], out: Path,
                     key: bytes) -> dict[str, SubmissionResult]:
    """The verified records of ``grader``'s assignment in ``out``; says which records failed verification."""
    in_run = {s.id for s in submissions}
    results: dict[str, SubmissionResult] = {}
    for folder in sorted(p for p in out.iterdir() if p.is_dir()):
        try:
            record = load_record(folder, key)
        except UntrustedRecord as exc:
            fate = "regrading" if folder.name in in_run else "left out of grades.csv"
            log.warning("grading.json of %s failed verification: %s (%s)", folder.name, fate, exc)
            continue
        if record and record.assignment == grader.assignment:
            results[record.submission_id] = record
    return results


def grade_batch(grader: Grader, submissions: Sequence[Submission], options: BatchOptions,
                on_done: Callable[[SubmissionResult, bool], None] | None = None,
                cancellation: Cancellation | None = None) -> list[SubmissionResult]:
    """Grade ``submissions`` (skipping unchanged ones) and keep ``OUT`` consistent after each one.

    ``on_done(result, from_cache)`` is called in the main thread as each submission finishes.
    On KeyboardInterrupt every live worker is killed, nothing half-written is left, and the
    interrupt propagates.
    """
    out = options.out
    out.mkdir(parents=True, exist_ok=True)
    cancellation = cancellation or Cancellation()
    gpus = GpuPool(options.gpus, options.per_gpu)
    threads = options.threads or max(1, (os.cpu_count() or 1) // max(1, options.jobs))
    lock = threading.Lock()
    key = load_record_key(options.key_file)
    results = _trusted_records(grader, submissions, out, key)

    def summarize() -> dict:
        level = options.isolation.name if options.isolation else ""
        return build_summary(results.values(), assignment=grader.assignment, profile=grader.profile_name,
                             isolation=level)

    def finish(result: SubmissionResult, cached: bool) -> None:
        with lock:
            if not cached:
                save_result(result, out, key)
                grader.save_references()  # new reference figures are kept for later runs (usually once)
            results[result.submission_id] = result
            write_gradebook(results.values(), grader.tasks, out / "grades.csv")
            write_summary(out, summarize())
        if on_done:
            on_done(result, cached)

    todo: list[Submission] = []
    for submission in submissions:
        cached = None if options.regrade else _cached(grader, submission, results.get(submission.id))
        if cached:
            finish(cached, True)
        else:
            todo.append(submission)

    for result in _run_jobs(grader, todo, options, gpus, threads, cancellation):
        finish(result, False)
    summary = summarize()  # the course staff's outputs, from the records grades.csv holds
    write_summary(out, summary)
    if options.report:
        write_report(out, summary)
    if options.canvas is not None:
        write_canvas(out, results.values(), options.canvas)
    order = {s.id: i for i, s in enumerate(submissions)}
    return sorted((results[s.id] for s in submissions if s.id in results), key=lambda r: order[r.submission_id])


def _run_jobs(grader: Grader, todo: Sequence[Submission], options: BatchOptions, gpus: GpuPool, threads: int,
              cancellation: Cancellation) -> Iterator[SubmissionResult]:
    """Grade ``todo`` on ``options.jobs`` threads, yielding each result in the calling thread as it comes.

    Each job prepares its next submission (scratch folder, worker started in the background) before it grades the
    current one, so the next worker's interpreter and libraries load while the current checks run: a warm spare per
    job. A job keeps its GPU for its whole life. Every job's figures are drawn by one process of their own
    (:class:`~autograder.results.figure_process.FigureProcess`), off the judge's GIL. On an exception in the caller
    (Ctrl-C), every live worker is killed and the jobs are joined before it propagates; no submission is left
    half-written.
    """
    work: queue.Queue[Submission] = queue.Queue()
    for submission in todo:
        work.put(submission)
    done: queue.Queue[SubmissionResult] = queue.Queue()
    drawing = FigureProcess()  # every job's figures, drawn outside the judge's GIL
    if todo:
        drawing.start()  # loaded before the first worker starts (no worker can stand in the way of its files)

    def prepare(gpu: str | None, scratch_root: Path) -> PreparedSubmission | SubmissionResult | None:
        """The next submission, prepared warm; ``None`` when there is none left (or the run is cancelled)."""
        if cancellation.cancelled:
            return None
        try:
            submission = work.get_nowait()
        except queue.Empty:
            return None
        try:
            return prepare_submission(grader, submission, scratch_root=scratch_root, gpu=gpu, run_as=options.run_as,
                                      threads=threads, cancellation=cancellation, isolation=options.isolation,
                                      warm=True)
        except Exception as exc:  # one submission must never stop the batch
            log.exception("preparing %s failed", submission.id)
            return grader_failed(grader, submission, exc)

    def grade(item: PreparedSubmission | SubmissionResult) -> SubmissionResult:
        if isinstance(item, SubmissionResult):
            return item
        try:
            return grade_prepared(grader, item, budget_s=options.budget_s, isolation=options.isolation,
                                  drawing=drawing)
        except Exception as exc:  # one submission must never stop the batch
            log.exception("grading %s failed", item.submission.id)
            return grader_failed(grader, item.submission, exc)

    def job() -> None:
        following: PreparedSubmission | SubmissionResult | None = None
        with gpus.slot() as gpu, tempfile.TemporaryDirectory(prefix="autograder-") as scratch:
            try:
                current = prepare(gpu, Path(scratch))
                while current is not None:
                    following = prepare(gpu, Path(scratch))  # its worker starts while `current` is graded
                    done.put(grade(current))
                    current, following = following, None
            finally:
                if isinstance(following, PreparedSubmission):
                    following.close()

    workers = [threading.Thread(target=job, name=f"grade-{i}", daemon=True)
               for i in range(max(1, min(options.jobs, len(todo))))]
    for worker in workers:
        worker.start()
    try:
        remaining = len(todo)
        while remaining and not cancellation.cancelled:
            try:
                result = done.get(timeout=0.5)
            except queue.Empty:
                if not any(worker.is_alive() for worker in workers) and done.empty():
                    break  # only a bug in a job could end it early; what was graded is kept
                continue
            remaining -= 1
            yield result
    except BaseException:
        cancellation.cancel()
        raise
    finally:
        for worker in workers:
            worker.join()
        drawing.close()
