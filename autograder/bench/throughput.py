"""Submissions per minute through the real batch path (:func:`~autograder.grading.batch.grade_batch`), ``-j 1``
against ``-j 2``: copies of the reference, budget off, each batch into a fresh output folder.

With each run comes how many cores it kept busy on average (the machine's busy CPU seconds over the wall time, so
run the bench on an otherwise idle machine): ``-j 2`` can gain at most ``cores / cores_busy_j1``, so a ``-j 1``
run that already keeps most cores busy (its warm spare worker starts while the current submission is graded)
cannot scale much further, however little the jobs wait for each other.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

from ..grading.batch import BatchOptions, grade_batch
from ..grading.grader import Grader
from ..grading.submissions import Submission, find_modules
from ..sandbox import Isolation
from .worker import reference_copy


@dataclass
class Throughput:
    """One task selection graded as ``copies`` copies of the reference, with one and with two jobs."""

    tasks: list[str]
    copies: int
    seconds_j1: float
    seconds_j2: float
    per_min_j1: float
    per_min_j2: float
    scaling_ratio: float  # per_min_j2 / per_min_j1
    full_marks: bool  # every copy earned full marks in both runs
    cores_busy_j1: float  # busy CPU seconds of the machine / wall seconds, with -j 1
    cores_busy_j2: float


def select(grader: Grader, tasks: Sequence[str]) -> Grader:
    """``grader`` restricted to the checks of ``tasks`` (all when empty), sharing its judge (data, references)."""
    if not tasks:
        return grader
    return dataclasses.replace(grader, checks=[spec for spec in grader.checks if spec.task in tasks])


def reference_copies(grader: Grader, solution: Path, copies: int, into: Path) -> list[Submission]:
    """``copies`` submissions, each a folder holding the reference's modules only."""
    modules = grader.config.modules
    submissions = []
    for i in range(copies):
        folder = reference_copy(solution, modules, into / f"reference-{i + 1:02d}")
        submissions.append(Submission(folder.name, folder, find_modules(folder, modules)))
    return submissions


def cpu_seconds() -> float:
    """Busy CPU seconds of the whole machine so far, all cores together. (Not this process's own and its reaped
    children's: a sandboxed worker is killed, not waited for, by the sandbox that ran it, so its time never reaches
    the grader's ``RUSAGE_CHILDREN``.)"""
    times = psutil.cpu_times()
    busy = ("user", "nice", "system", "irq", "softirq")  # not idle, iowait, or steal (another VM's time)
    return float(sum(getattr(times, name, 0.0) for name in busy))


def batch_seconds(grader: Grader, submissions: Sequence[Submission], jobs: int, isolation: Isolation | None,
                  out: Path) -> tuple[float, bool, float]:
    """Wall seconds of one ``grade_batch`` run with ``jobs`` jobs, whether every submission got full marks, and the
    cores it kept busy on average."""
    options = BatchOptions(out=out, jobs=jobs, regrade=True, budget_s=math.inf, isolation=isolation,
                           key_file=out.parent / f"{out.name}.key", report=False)
    cpu, start = cpu_seconds(), time.perf_counter()
    results = grade_batch(grader, submissions, options)
    seconds = time.perf_counter() - start
    busy = (cpu_seconds() - cpu) / seconds
    full = len(results) == len(submissions) and all(r.score == r.max_score for r in results)
    return seconds, full, busy


def measure_throughput(grader: Grader, solution: Path, tasks: Sequence[str], copies: int,
                       isolation: Isolation | None, workdir: Path) -> Throughput:
    """Grade ``copies`` copies of the reference on ``tasks`` with ``-j 1``, then with ``-j 2``.

    Give a grader that has graded the reference once already: the references it computes once per run are then
    out of both runs alike.
    """
    chosen = select(grader, tasks)
    submissions = reference_copies(chosen, solution, copies, workdir / "submissions")
    seconds_j1, full_j1, busy_j1 = batch_seconds(chosen, submissions, 1, isolation, workdir / "grades-j1")
    seconds_j2, full_j2, busy_j2 = batch_seconds(chosen, submissions, 2, isolation, workdir / "grades-j2")
    per_min_j1, per_min_j2 = 60 * copies / seconds_j1, 60 * copies / seconds_j2
    return Throughput(tasks=chosen.selected_tasks, copies=copies, seconds_j1=seconds_j1, seconds_j2=seconds_j2,
                      per_min_j1=per_min_j1, per_min_j2=per_min_j2, scaling_ratio=per_min_j2 / per_min_j1,
                      full_marks=full_j1 and full_j2, cores_busy_j1=busy_j1, cores_busy_j2=busy_j2)
