"""The worker's fixed costs: start-up (under every isolation level), one small call, array transfers each way.

Every figure comes from a worker that holds the reference's modules plus the bench's probe module
(:mod:`.probe`, copied in as ``autograder_bench_probe``), so transfers are timed without any student computation.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config import AssignmentConfig
from ..data.registry import hidden_paths
from ..grading.submissions import find_modules
from ..sandbox import LEVELS, Isolation, IsolationError, Limits, WorkerSession, choose_isolation
from . import probe

PROBE = probe.MODULE
BIG_SHAPE = (6000, 784)  # the float32 array of the transfer figures (18.8 MB)


def reference_copy(solution: Path, modules: Sequence[str], into: Path, *, with_probe: bool = False) -> Path:
    """``into`` holding the reference's ``<module>.py`` files only (no checks, no wrong answers), and the probe."""
    into.mkdir(parents=True, exist_ok=True)
    for name, path in find_modules(solution, modules).items():
        shutil.copyfile(path, into / f"{name}.py")
    if with_probe:
        shutil.copyfile(Path(probe.__file__), into / f"{PROBE}.py")
    return into


@contextmanager
def scratch_folder(prefix: str) -> Iterator[Path]:
    """A temporary folder that a worker running as another user can pass through (0711), as the grader's own
    scratch folders are (:func:`~autograder.grading.runner.prepare_submission`)."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        os.chmod(tmp, 0o711)
        yield Path(tmp)


def thread_env(threads: int | None = None) -> dict[str, str]:
    """The CPU-thread settings a worker gets from the grading engine (all cores unless ``threads``)."""
    count = str(threads or os.cpu_count() or 1)
    return {name: count for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}


def limits_of(config: AssignmentConfig) -> Limits:
    """The limits the grading engine gives the assignment's workers."""
    return Limits(memory_mb=config.limits.memory_mb, output_bytes=config.limits.output_kb * 1024,
                  reply_bytes=config.limits.reply_mb * 1024 * 1024)


def _median_s(action: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return float(statistics.median(times))


@dataclass
class WorkerFigures:
    """Start-up, call and transfer costs of one worker."""

    worker_startup_s: float
    device: str
    call_overhead_ms: float  # median of 20 calls of the probe's echo(1.0)
    call_6000x784_float32_ms: float | None  # median of 5 calls of bench.call with bench.arrays copies of the array
    transfer_bytes: int  # one 6000 x 784 float32 array
    transfer_send_gb_per_s: float  # the array as an argument (the reply is one number)
    transfer_reply_gb_per_s: float  # the same array sent back as the reply
    transfer_gb_per_s: float  # both ways: 2 x the array's bytes over the round trip (call overhead taken off)


def time_worker(solution: Path, config: AssignmentConfig, isolation: Isolation | None = None,
                repeats: int = 5) -> WorkerFigures:
    """Time a worker holding the reference's modules: its start-up, a small call, the assignment's ``bench.call``
    with a 6000 x 784 float32 array and that array sent each way."""
    with scratch_folder("bench-worker-") as tmp:
        folder = reference_copy(solution, config.modules, tmp / "submission", with_probe=True)
        with WorkerSession(folder, [*config.modules, PROBE], scratch=tmp / "scratch", limits=limits_of(config),
                           isolation=isolation, env=thread_env()) as worker:
            start = time.perf_counter()
            device = worker.device  # starts the worker
            startup = time.perf_counter() - start
            big = np.random.default_rng(0).random(BIG_SHAPE, dtype=np.float32)
            worker.call(f"{PROBE}.echo", 1.0, timeout=60)  # imports the probe
            small_s = _median_s(lambda: worker.call(f"{PROBE}.echo", 1.0, timeout=60), 20)
            call_big_ms = None
            if config.bench is not None:
                call, count = config.bench.call, config.bench.arrays
                worker.call(call, *([[1.0]] * count), timeout=120)  # imports the module
                call_big_ms = 1000 * _median_s(lambda: worker.call(call, *([big] * count), timeout=120), repeats)
            send_s = _median_s(lambda: worker.call(f"{PROBE}.nbytes", big, timeout=120), repeats)
            echo_s = _median_s(lambda: worker.call(f"{PROBE}.echo", big, timeout=120), repeats)
    tiny = 1e-6  # a transfer faster than the call overhead still gets a finite rate
    return WorkerFigures(
        worker_startup_s=startup, device=device, call_overhead_ms=1000 * small_s, call_6000x784_float32_ms=call_big_ms,
        transfer_bytes=int(big.nbytes),
        transfer_send_gb_per_s=big.nbytes / max(send_s - small_s, tiny) / 1e9,
        transfer_reply_gb_per_s=big.nbytes / max(echo_s - send_s, tiny) / 1e9,
        transfer_gb_per_s=2 * big.nbytes / max(echo_s - small_s, tiny) / 1e9,
    )


def startup_by_level(solution: Path, modules: Sequence[str], repeats: int = 3) -> dict[str, float]:
    """Median seconds from starting a worker to its hello, for every isolation level this machine offers."""
    figures: dict[str, float] = {}
    for level in LEVELS:
        try:
            isolation = choose_isolation(level, hidden=hidden_paths())
        except IsolationError:
            continue
        times = []
        for _ in range(repeats):
            with scratch_folder("bench-") as tmp, \
                    WorkerSession(solution, modules, scratch=tmp / "scratch", isolation=isolation) as worker:
                start = time.perf_counter()
                worker.device  # noqa: B018 - starts the worker
                times.append(time.perf_counter() - start)
        figures[level] = float(statistics.median(times))
    return figures
