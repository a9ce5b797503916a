"""Submissions per minute through the real batch path (:func:`~autograder.grading.batch.grade_batch`), ``-j 1``
against ``-j 2``: copies of the reference, budget off, each batch into a fresh output folder.

With each run comes how many cores it kept busy on average (the machine's busy CPU seconds over the wall time, so
run the bench on an otherwise idle machine): ``-j 2`` can gain at most ``cores / cores_busy_j1``, so a ``-j 1``
run that already keeps most cores busy (its warm spare worker starts while the current submission is graded)
cannot scale much further, however little the jobs wait for each other.

And the judge's own CPU per submission (its process only: not the workers, nor the figure process): the jobs are
threads of that one process, so this is the ceiling on how many submissions a minute one judge can grade however
many cores it has (``60 / judge_cpu_s`` if none of it ran outside Python's GIL).
"""

from __future__ import annotations

import dataclasses
import math
import resource
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
    judge_cpu_s_j1: float  # CPU seconds of the judge's own process per submission, with -j 1
    judge_cpu_s_j2: float


@dataclass
class BatchRun:
    """One timed ``grade_batch`` run."""

    seconds: float
    full_marks: bool  # every submission got full marks
    cores_busy: float  # the machine's busy CPU seconds over the wall seconds
    judge_cpu_s: float  # CPU seconds of this (the judge's) process per submission


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
                  out: Path) -> BatchRun:
    """Time one ``grade_batch`` run of ``submissions`` with ``jobs`` jobs."""
    options = BatchOptions(out=out, jobs=jobs, regrade=True, budget_s=math.inf, isolation=isolation,
                           key_file=out.parent / f"{out.name}.key", report=False)
    cpu, judge, start = cpu_seconds(), _own_cpu_seconds(), time.perf_counter()
    results = grade_batch(grader, submissions, options)
    seconds = time.perf_counter() - start
    full = len(results) == len(submissions) and all(r.score == r.max_score for r in results)
    return BatchRun(seconds=seconds, full_marks=full, cores_busy=(cpu_seconds() - cpu) / seconds,
                    judge_cpu_s=(_own_cpu_seconds() - judge) / max(1, len(submissions)))


def _own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure_throughput(grader: Grader, solution: Path, tasks: Sequence[str], copies: int,
                       isolation: Isolation | None, workdir: Path) -> Throughput:
    """Grade ``copies`` copies of the reference on ``tasks`` with ``-j 1``, then with ``-j 2``.

    Give a grader that has graded the reference once already: the references it computes once per run are then
    out of both runs alike.
    """
    chosen = select(grader, tasks)
    submissions = reference_copies(chosen, solution, copies, workdir / "submissions")
    one = batch_seconds(chosen, submissions, 1, isolation, workdir / "grades-j1")
    two = batch_seconds(chosen, submissions, 2, isolation, workdir / "grades-j2")
    per_min_j1, per_min_j2 = 60 * copies / one.seconds, 60 * copies / two.seconds
    return Throughput(tasks=chosen.selected_tasks, copies=copies, seconds_j1=one.seconds, seconds_j2=two.seconds,
                      per_min_j1=per_min_j1, per_min_j2=per_min_j2, scaling_ratio=per_min_j2 / per_min_j1,
                      full_marks=one.full_marks and two.full_marks, cores_busy_j1=one.cores_busy,
                      cores_busy_j2=two.cores_busy, judge_cpu_s_j1=one.judge_cpu_s, judge_cpu_s_j2=two.judge_cpu_s)
