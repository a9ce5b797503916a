"""``autograder bench``: every figure, in one run, as a table and as JSON (key names are a contract: other tools read
them; see ``benchmarks/README.md``)."""

from __future__ import annotations

import dataclasses
import os
import platform
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from ..config import Course
from ..data.registry import hidden_paths
from ..grading.grader import load_grader
from ..sandbox import choose_isolation
from .epoch import measure_epoch
from .grading import split_submission
from .otter import compare
from .throughput import measure_throughput
from .worker import startup_by_level, time_worker

COPIES = 8
EPOCH_KEYS = ("mnist_epoch_s", "mnist_epoch_bound_s", "mnist_epoch_ratio")


def bench(course: Course, assignment: str, profile: str | None, *, copies: int = COPIES, repeats: int = 3,
          otter_root: Path | None = None, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Every figure of ``autograder bench`` for ``assignment``'s reference solution on ``profile``.

    ``copies``: of the reference per throughput run; ``repeats``: of each start-up per isolation level and of each
    otter/autograder run. ``otter_root``: where the comparison with otter-grader is generated (default
    ``benchmarks/otter/<hw>`` next to the course file).
    """
    say = progress or (lambda _: None)
    grader = load_grader(course, assignment, profile)
    config = grader.config
    solution = course.path(config.solution)
    isolation = choose_isolation("auto", hidden=hidden_paths())
    figures: dict[str, Any] = {
        "assignment": assignment, "profile": grader.profile_name, "machine": platform.platform(),
        "processor": platform.processor() or platform.machine(), "cpu_count": os.cpu_count(),
        "python": platform.python_version(), "isolation": isolation.name,
    }
    say("worker start-up, calls and transfers")
    worker = time_worker(solution, config, isolation)
    figures.update(dataclasses.asdict(worker))
    figures["worker_startup_s_by_isolation"] = startup_by_level(solution, config.modules, repeats)

    with tempfile.TemporaryDirectory(prefix="autograder-bench-") as tmp:
        work = Path(tmp)
        say("one submission, after a first one (split of its time)")
        split = split_submission(grader, solution, isolation, work / "split")
        figures.update(dataclasses.asdict(split))
        light = list(config.bench.light_tasks) if config.bench else []
        say(f"throughput of {copies} copies on {', '.join(light) or 'every task'}, -j 1 and -j 2")
        part = measure_throughput(grader, solution, light, copies, isolation, work / "light")
        figures.update(throughput_j1_per_min=part.per_min_j1, throughput_j2_per_min=part.per_min_j2,
                       scaling_ratio=part.scaling_ratio, throughput_tasks=part.tasks, throughput_copies=copies,
                       throughput_seconds_j1=part.seconds_j1, throughput_seconds_j2=part.seconds_j2,
                       throughput_full_marks=part.full_marks, throughput_cores_busy_j1=part.cores_busy_j1,
                       throughput_cores_busy_j2=part.cores_busy_j2,
                       throughput_scaling_bound=scaling_bound(part.cores_busy_j1),
                       throughput_judge_cpu_s_j1=part.judge_cpu_s_j1, throughput_judge_cpu_s_j2=part.judge_cpu_s_j2)
        say(f"throughput of {copies} copies on the whole assignment, -j 1 and -j 2")
        whole = measure_throughput(grader, solution, [], copies, isolation, work / "all")
        figures.update(throughput_j1_per_min_all=whole.per_min_j1, throughput_j2_per_min_all=whole.per_min_j2,
                       scaling_ratio_all=whole.scaling_ratio, throughput_seconds_j1_all=whole.seconds_j1,
                       throughput_seconds_j2_all=whole.seconds_j2, throughput_full_marks_all=whole.full_marks,
                       throughput_cores_busy_j1_all=whole.cores_busy_j1,
                       throughput_cores_busy_j2_all=whole.cores_busy_j2,
                       throughput_scaling_bound_all=scaling_bound(whole.cores_busy_j1),
                       throughput_judge_cpu_s_j1_all=whole.judge_cpu_s_j1,
                       throughput_judge_cpu_s_j2_all=whole.judge_cpu_s_j2)

    epoch = config.bench.epoch if config.bench else None
    if epoch is None:
        figures.update(dict.fromkeys(EPOCH_KEYS), epoch=None)
    else:
        say(f"one epoch of {epoch.train} on {epoch.rows} rows, and the matmul rate")
        figures_epoch = dataclasses.asdict(measure_epoch(solution, config, epoch, isolation))
        figures.update({key: figures_epoch.pop(key) for key in EPOCH_KEYS}, epoch=figures_epoch)

    say("one check with otter run and with autograder grade")
    root = otter_root or course.root / "benchmarks" / "otter" / assignment
    otter = compare(course, assignment, root, repeats)
    figures["otter_ratio"] = otter.otter_ratio
    figures["otter"] = dataclasses.asdict(otter)
    figures["goals"] = goals(figures)
    return figures


def scaling_bound(cores_busy_j1: float) -> float:
    """What ``-j 2`` could gain over a ``-j 1`` run that kept ``cores_busy_j1`` cores busy (its warm spare starts the
    next worker while the current submission is graded) if each submission needed the same CPU time in both runs:
    twice, or until the machine's cores are all busy. It can need less with two jobs (each worker then gets half
    the cores' threads, and BLAS threads that wait for each other burn CPU), so a ratio above this is possible."""
    return min(2.0, (os.cpu_count() or 1) / cores_busy_j1)


def goals(figures: dict[str, Any]) -> dict[str, bool | None]:
    """The speed goals, met or not (``None``: not measured, or not on this device). Reported, never asserted."""
    def at_most(key: str, bound: float) -> bool | None:
        value = figures.get(key)
        return None if value is None else bool(value <= bound)

    scaling = figures.get("scaling_ratio")
    device = figures.get("device")
    return {
        "grading_overhead_s <= 2 (isolation on)": (at_most("grading_overhead_s", 2.0)
                                                   if figures.get("isolation") != "none" else None),
        "scaling_ratio >= 1.7": None if scaling is None else bool(scaling >= 1.7),
        "otter_ratio <= 0.5": at_most("otter_ratio", 0.5),
        "mnist_epoch_ratio <= 3 (CPU)": at_most("mnist_epoch_ratio", 3.0) if device == "cpu" else None,
        "mnist_epoch_ratio <= 5 (GPU)": at_most("mnist_epoch_ratio", 5.0) if device == "cuda" else None,
    }


def _cell(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value).lower() if value is not None else "null"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 1e4 else f"{value:.4g}"
    return str(value)


def render(figures: dict[str, Any], console: Console) -> None:
    """The figures as a table: nested records one row per entry, the checks' times last."""
    table = Table(title=f"autograder bench {figures['assignment']} ({figures['profile']} profile)")
    table.add_column("measure")
    table.add_column("value")
    for key, value in figures.items():
        if key == "checks_s":
            continue
        if isinstance(value, dict):
            for name, item in value.items():
                table.add_row(f"{key} ({name})", _cell(item))
        elif isinstance(value, list):
            table.add_row(key, ", ".join(map(str, value)))
        else:
            table.add_row(key, _cell(value))
    for check_id, seconds in figures.get("checks_s", {}).items():
        table.add_row(f"  {check_id}", f"{seconds:.2f} s")
    console.print(table)
