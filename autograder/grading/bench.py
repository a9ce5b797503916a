"""``autograder bench``: where grading time goes, measured on the reference solution.

Speed goals live here, not in unit tests: worker start-up (under every isolation level the machine offers),
the cost of one call and of one with a large array argument (the assignment's ``bench.call`` in ``course.yml``),
and the wall time of every hidden check of the assignment (graded under the strongest level). Figures are printed
and optionally saved as JSON so that runs on different machines (a laptop, CI, a GPU box) can be compared.
"""

from __future__ import annotations

import json
import math
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from ..config import AssignmentConfig, Course
from ..data.registry import hidden_paths
from ..sandbox import LEVELS, Isolation, IsolationError, WorkerSession, choose_isolation
from .grader import load_grader
from .runner import grade_submission
from .submissions import Submission, find_modules


def _time_worker(solution: Path, config: AssignmentConfig) -> dict[str, float | str]:
    """Start-up, the median of 20 small calls and of 5 calls sending a 6000 x 784 float32 array.

    The call is the assignment's own ``bench.call`` (``course.yml``), given ``bench.arrays`` copies of the argument;
    without one, only a module attribute is read (``get``), and no transfer is timed.
    """
    modules = config.modules
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp, \
            WorkerSession(solution, modules, scratch=Path(tmp)) as worker:
        start = time.perf_counter()
        device = worker.device  # starts the worker
        startup = time.perf_counter() - start
        figures: dict[str, float | str] = {"worker_startup_s": startup, "device": device}
        if config.bench is None:
            target = f"{modules[0]}.__name__"

            def ask(_: object) -> object:
                return worker.get(target, timeout=60)
        else:
            call, count = config.bench.call, config.bench.arrays

            def ask(value: object) -> object:
                return worker.call(call, *([value] * count), timeout=60)
        ask([1.0])  # imports the module
        small = []
        for _ in range(20):
            start = time.perf_counter()
            ask([1.0])
            small.append(time.perf_counter() - start)
        figures["call_overhead_ms"] = 1000 * float(np.median(small))
        if config.bench is not None:
            big = np.random.default_rng(0).random((6000, 784), dtype=np.float32)
            large = []
            for _ in range(5):
                start = time.perf_counter()
                ask(big)
                large.append(time.perf_counter() - start)
            figures["call_6000x784_float32_ms"] = 1000 * float(np.median(large))
    return figures


def _startup_by_level(solution: Path, modules: list[str], repeats: int = 3) -> dict[str, float]:
    """Median seconds from starting a worker to its hello, for every isolation level this machine offers."""
    figures: dict[str, float] = {}
    for level in LEVELS:
        try:
            isolation = choose_isolation(level, hidden=hidden_paths())
        except IsolationError:
            continue
        times = []
        for _ in range(repeats):
            with tempfile.TemporaryDirectory(prefix="bench-") as tmp, \
                    WorkerSession(solution, modules, scratch=Path(tmp), isolation=isolation) as worker:
                start = time.perf_counter()
                worker.device  # noqa: B018 - starts the worker
                times.append(time.perf_counter() - start)
        figures[level] = float(np.median(times))
    return figures


def bench(course: Course, assignment: str, profile: str | None) -> dict[str, object]:
    """Every figure of ``autograder bench``: the worker's costs and the wall time of each of the assignment's checks
    on its reference solution."""
    grader = load_grader(course, assignment, profile)
    solution = course.path(grader.config.solution)
    figures: dict[str, object] = {"machine": platform.platform(), "processor": platform.processor(),
                                  "profile": grader.profile_name}
    figures.update(_time_worker(solution, grader.config))
    figures["worker_startup_s_by_isolation"] = _startup_by_level(solution, grader.config.modules)
    isolation: Isolation = choose_isolation("auto", hidden=hidden_paths())
    figures["isolation"] = isolation.name
    result = grade_submission(grader, Submission("solution", solution, find_modules(solution, grader.config.modules)),
                              isolation=isolation, budget_s=math.inf)
    figures["checks_s"] = {c.id: c.seconds for c in result.checks}
    figures["submission_s"] = result.seconds
    figures["score"] = f"{result.score:g}/{result.max_score:g}"
    return figures


def bench_command(course: Course, assignment: str, profile: str | None, out: str | None = None) -> int:
    """The ``bench`` sub-command: print the figures as a table, optionally write them as JSON."""
    console = Console()
    figures = bench(course, assignment, profile)
    table = Table(title=f"autograder bench {assignment} ({figures['profile']} profile)")
    table.add_column("measure")
    table.add_column("value")
    for key, value in figures.items():
        if isinstance(value, dict) and key != "checks_s":
            for level, seconds in value.items():
                table.add_row(f"{key} ({level})", f"{seconds:.3f}")
        elif key != "checks_s":
            table.add_row(key, f"{value:.3f}" if isinstance(value, float) else str(value))
    for check_id, seconds in figures["checks_s"].items():  # type: ignore[attr-defined]  # bench() put a dict there
        table.add_row(f"  {check_id}", f"{seconds:.2f} s")
    console.print(table)
    if out:
        Path(out).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0
