"""``autograder bench``: where grading time goes, measured on the reference solution.

Speed goals live here, not in unit tests: worker start-up (under every isolation level the machine offers),
the cost of one call with a large array argument, and the wall time of every hidden check (graded under the
strongest level). Figures are printed and optionally saved as JSON
so that runs on different machines (a laptop, CI, a GPU box) can be compared.
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

from ..config import Course
from ..data.registry import hidden_paths
from ..sandbox import LEVELS, Isolation, IsolationError, WorkerSession, choose_isolation
from .grader import load_grader
from .runner import grade_submission
from .submissions import Submission, find_modules


def _time_worker(solution: Path, modules: list[str]) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp, WorkerSession(solution, modules, scratch=Path(tmp)) as worker:
        start = time.perf_counter()
        device = worker.device  # starts the worker
        startup = time.perf_counter() - start
        worker.call("trees.rmse", [1.0], [2.0], timeout=60)  # imports the module
        small = []
        for _ in range(20):
            start = time.perf_counter()
            worker.call("trees.rmse", [1.0], [2.0], timeout=60)
            small.append(time.perf_counter() - start)
        big = np.random.default_rng(0).random((6000, 784), dtype=np.float32)
        large = []
        for _ in range(5):
            start = time.perf_counter()
            worker.call("trees.rmse", big, big, timeout=60)
            large.append(time.perf_counter() - start)
    return {"worker_startup_s": startup, "call_overhead_ms": 1000 * float(np.median(small)),
            "call_6000x784_float32_ms": 1000 * float(np.median(large)), "device": device}  # type: ignore[dict-item]


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
    grader = load_grader(course, assignment, profile)
    solution = course.path(grader.config.solution)
    figures: dict[str, object] = {"machine": platform.platform(), "processor": platform.processor(),
                                  "profile": grader.profile_name}
    figures.update(_time_worker(solution, grader.config.modules))
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
    for check_id, seconds in figures["checks_s"].items():  # type: ignore[union-attr]
        table.add_row(f"  {check_id}", f"{seconds:.2f} s")
    console.print(table)
    if out:
        Path(out).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0
