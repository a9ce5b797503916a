"""Grade a whole class: N submissions at a time, pinned to GPUs, resumable, interruptible.

- Results of each submission are written atomically to ``OUT/<id>/`` as soon as it is graded, and
  ``OUT/grades.csv`` is rebuilt after each one, so a crash or Ctrl-C loses only work in progress.
- A second run skips submissions whose content and grader version are unchanged (``regrade`` forces).
- One broken submission never stops the batch: it gets a result with status ``invalid``.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..results import SubmissionResult, write_atomic, write_feedback, write_gradebook, write_results_json
from .grader import Grader
from .runner import Cancellation, failed_result, grade_submission
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


def load_record(folder: Path) -> SubmissionResult | None:
    path = folder / RECORD
    try:
        return SubmissionResult.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, KeyError):
        return None


def save_result(result: SubmissionResult, out: Path) -> None:
    """Write one submission's files (each atomically): results.json, feedback.md, grading.json."""
    folder = out / result.submission_id
    write_results_json(result, folder / "results.json")
    write_feedback(result, folder / "feedback.md")
    write_atomic(folder / RECORD, json.dumps(result.to_dict(), indent=1) + "\n")


def _cached(grader: Grader, submission: Submission, out: Path) -> SubmissionResult | None:
    if submission.problem or not submission.modules:
        return None
    record = load_record(out / submission.id)
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
    results: dict[str, SubmissionResult] = {}
    for folder in sorted(p for p in out.iterdir() if p.is_dir()):
        record = load_record(folder)
        if record and record.assignment == grader.assignment:
            results[record.submission_id] = record

    def finish(result: SubmissionResult, cached: bool) -> None:
        with lock:
            if not cached:
                save_result(result, out)
            results[result.submission_id] = result
            write_gradebook(results.values(), grader.tasks, out / "grades.csv")
        if on_done:
            on_done(result, cached)

    def grade_one(submission: Submission) -> SubmissionResult:
        try:
            with gpus.slot() as gpu, tempfile.TemporaryDirectory(prefix="autograder-") as scratch:
                return grade_submission(grader, submission, scratch_root=Path(scratch), gpu=gpu, run_as=options.run_as,
                                        threads=threads, cancellation=cancellation)
        except Exception as exc:  # noqa: BLE001 - one submission must never stop the batch
            log.exception("grading %s failed", submission.id)
            return failed_result(grader, submission, f"the grader could not grade this submission: {exc!r}")

    todo: list[Submission] = []
    for submission in submissions:
        cached = None if options.regrade else _cached(grader, submission, out)
        if cached:
            finish(cached, True)
        else:
            todo.append(submission)

    graded: list[SubmissionResult] = []
    executor = ThreadPoolExecutor(max_workers=max(1, options.jobs), thread_name_prefix="grade")
    pending: dict[Future[SubmissionResult], Submission] = {executor.submit(grade_one, s): s for s in todo}
    try:
        while pending:
            done, _ = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in done:
                pending.pop(future)
                result = future.result()
                if not cancellation.cancelled:
                    finish(result, False)
                    graded.append(result)
    except BaseException:
        cancellation.cancel()
        executor.shutdown(wait=True, cancel_futures=True)
        raise
    executor.shutdown(wait=True)
    order = {s.id: i for i, s in enumerate(submissions)}
    return sorted((results[s.id] for s in submissions if s.id in results), key=lambda r: order[r.submission_id])
