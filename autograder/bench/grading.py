"""Where one submission's grading time goes, and the memory the grader and its worker peak at.

The reference is graded twice in a row by the same grader, the way one job of a batch grades two submissions: the
second is prepared, its worker started in the background, before the first is graded
(:func:`~autograder.grading.runner.prepare_submission` with ``warm``, then
:func:`~autograder.grading.runner.grade_prepared` and :func:`~autograder.grading.batch.save_result`). The second is
measured, from the start of its grading to its files written: one-time work (references the judge computes once per
run, loading the checks and the data) falls on the first, and its worker start overlaps the first, as in a batch.
"""

from __future__ import annotations

import math
import resource
import tempfile
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from ..grading.batch import save_result
from ..grading.grader import Grader
from ..grading.runner import PreparedSubmission, grade_prepared, prepare_submission
from ..grading.submissions import Submission, find_modules
from ..results import SubmissionResult
from ..results.integrity import load_record_key
from ..sandbox import Isolation
from .worker import reference_copy


@dataclass
class SubmissionSplit:
    """The wall time of grading the reference once, after a first submission, split four ways (seconds)."""

    submission_s: float  # grading plus writing its results (results.json, feedback, signed grading.json)
    student_s: float  # inside calls into the worker (the submission budget's meter; start-ups they cause included)
    reference_s: float  # the judge computing reference figures (ReferenceStore)
    grading_overhead_s: float  # the rest: worker start-up, imports, transfers, judging, writing results
    first_submission_s: float  # the first submission, one-time work included
    first_reference_s: float
    score: str
    checks_s: dict[str, float] = field(default_factory=dict)  # per check, of the measured submission
    peak_rss_mb_grader: float = 0.0
    peak_rss_mb_worker: float = 0.0


class RssSampler:
    """Samples the resident memory of this process's descendants (the workers) every ``interval`` seconds."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self.peak_child_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-rss", daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            try:
                children = me.children(recursive=True)
            except psutil.Error:
                children = []
            for child in children:
                try:
                    self.peak_child_bytes = max(self.peak_child_bytes, child.memory_info().rss)
                except psutil.Error:  # gone between listing and reading
                    continue
            self._stop.wait(self.interval)


def peak_rss_mb_self() -> float:
    """This process's peak resident set so far, in MB (``ru_maxrss`` is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def _grade_and_save(grader: Grader, prepared: PreparedSubmission, isolation: Isolation | None, out: Path,
                    key: bytes) -> tuple[SubmissionResult, float]:
    start = time.perf_counter()
    result = grade_prepared(grader, prepared, budget_s=math.inf, isolation=isolation)
    save_result(result, out, key)
    return result, time.perf_counter() - start


def split_submission(grader: Grader, solution: Path, isolation: Isolation | None, workdir: Path) -> SubmissionSplit:
    """Grade the reference twice with ``grader``, as one batch job would, and split the second grading's wall time."""
    folder = reference_copy(solution, grader.config.modules, workdir / "reference")
    out = workdir / "grades"
    key = load_record_key(workdir / "record.key")
    store = grader.judge.references
    with RssSampler() as sampler, ExitStack() as cleanup:
        scratch = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="autograder-")))

        def prepare(name: str) -> PreparedSubmission:
            submission = Submission(name, folder, find_modules(folder, grader.config.modules))
            prepared = prepare_submission(grader, submission, scratch_root=scratch, isolation=isolation, warm=True)
            cleanup.callback(prepared.close)  # grade_prepared closes it too; closing twice is harmless
            return prepared

        before = store.compute_s
        first = prepare("reference-1")
        second = prepare("reference-2")  # its worker starts while the first is graded, as in a batch job
        _, first_s = _grade_and_save(grader, first, isolation, out, key)
        middle = store.compute_s
        result, wall = _grade_and_save(grader, second, isolation, out, key)
        reference_s = store.compute_s - middle
    return SubmissionSplit(
        submission_s=wall, student_s=result.student_s, reference_s=reference_s,
        grading_overhead_s=wall - result.student_s - reference_s,
        first_submission_s=first_s, first_reference_s=middle - before,
        score=f"{result.score:g}/{result.max_score:g}", checks_s={c.id: c.seconds for c in result.checks},
        peak_rss_mb_grader=peak_rss_mb_self(), peak_rss_mb_worker=sampler.peak_child_bytes / 1e6,
    )
