"""One epoch of the reference's training function against the bound set by its FLOPs and this machine's matmul rate.

A dense MLP does about ``2 x weights`` floating-point operations per row forward and twice that backward, so an
epoch over ``rows`` rows costs about ``6 x n_weights x rows`` FLOPs; at the rate of one large matrix product
(``2 n^3`` FLOPs, timed in the same worker with the same thread settings) that takes ``mnist_epoch_bound_s``. The
epoch is timed three times and the best taken, as the matmul rate is (the best of ten products): on a shared
machine slower runs measure the neighbours, not the code. The weights are counted on the built model: every array
of two or more dimensions in its ``state_dict`` (a torch module, which stays in the worker) or in the mapping of
arrays the build function returned (NumPy parameters).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..config import AssignmentConfig, BenchEpochConfig
from ..sandbox import Handle, Isolation, WorkerSession
from .worker import PROBE, limits_of, reference_copy, scratch_folder, thread_env

MATMUL_N = 2048
EPOCH_REPEATS = 3
TIMEOUT_S = 1800.0


@dataclass
class EpochFigures:
    """One epoch of ``train`` with the reference's settings, on random inputs."""

    mnist_epoch_s: float  # the best train(..., epochs=1) call, less the time its arguments take to reach the worker
    mnist_epoch_bound_s: float  # 6 x n_weights x rows / matmul rate
    mnist_epoch_ratio: float  # mnist_epoch_s / mnist_epoch_bound_s
    matmul_gflops: float  # best rate of a MATMUL_N x MATMUL_N product in the worker
    n_weights: int
    rows: int
    flops: float
    arguments_s: float  # sending the inputs and labels to the worker (taken off the epoch)
    threads: int
    library: str
    dtype: str


def count_weights(state: Any) -> int:
    """Elements of every array of two or more dimensions in a mapping of arrays or tensors (the weight matrices)."""
    if not isinstance(state, Mapping):
        raise TypeError(f"expected a mapping of arrays, got {type(state).__name__}")
    total = 0
    for value in state.values():
        shape = tuple(getattr(value, "shape", ()))
        if len(shape) >= 2:
            total += math.prod(int(n) for n in shape)
    return total


def measure_epoch(solution: Path, config: AssignmentConfig, epoch: BenchEpochConfig,
                  isolation: Isolation | None = None, rows: int | None = None) -> EpochFigures:
    """Build the reference's model with its settings (``epoch.config``), train it one epoch on ``rows`` (default:
    ``epoch.rows``) random rows in a worker holding the reference, and time a matrix product in the same worker."""
    rows = rows or epoch.rows
    rng = np.random.default_rng(0)
    X = rng.random((rows, epoch.inputs), dtype=np.float32)
    y = rng.integers(0, epoch.classes, size=rows)
    X_val = rng.random((epoch.val_rows, epoch.inputs), dtype=np.float32)
    y_val = rng.integers(0, epoch.classes, size=epoch.val_rows)
    with scratch_folder("bench-epoch-") as tmp:
        folder = reference_copy(solution, config.modules, tmp / "submission", with_probe=True)
        with WorkerSession(folder, [*config.modules, PROBE], scratch=tmp / "scratch", limits=limits_of(config),
                           isolation=isolation, env=thread_env()) as worker:
            settings = worker.get(epoch.config, timeout=TIMEOUT_S).value
            if not isinstance(settings, Mapping):
                raise TypeError(f"{epoch.config} is a {type(settings).__name__}, not a dict")
            build_kwargs = {key: settings[key] for key in epoch.build_keys}
            train_kwargs = {key: value for key, value in settings.items() if key not in epoch.build_keys}
            train_kwargs["epochs"] = 1
            model = worker.call(epoch.build, kwargs=build_kwargs, timeout=TIMEOUT_S).value
            if isinstance(model, Handle):
                state = worker.call_method(model, "state_dict", timeout=TIMEOUT_S).value
            else:
                state = model
            n_weights = count_weights(state)
            warm = slice(0, min(rows, 256))  # the first step imports and sets up what the optimizer needs
            worker.call(epoch.train, model, X[warm], y[warm], X_val[warm], y_val[warm], kwargs=train_kwargs,
                        timeout=TIMEOUT_S)
            worker.call(f"{PROBE}.nbytes", timeout=TIMEOUT_S)  # imports the probe
            start = time.perf_counter()
            worker.call(f"{PROBE}.nbytes", X, y, X_val, y_val, timeout=TIMEOUT_S)
            arguments_s = time.perf_counter() - start
            train_times = []
            for _ in range(EPOCH_REPEATS):  # the same model trains on: each call is one more epoch of the same cost
                start = time.perf_counter()
                worker.call(epoch.train, model, X, y, X_val, y_val, kwargs=train_kwargs, timeout=TIMEOUT_S)
                train_times.append(time.perf_counter() - start)
            train_s = min(train_times)
            gflops = worker.call(f"{PROBE}.matmul_gflops", MATMUL_N, epoch.library, epoch.dtype,
                                 timeout=TIMEOUT_S).value
            threads = worker.call(f"{PROBE}.threads", epoch.library, timeout=TIMEOUT_S).value
    epoch_s = max(train_s - arguments_s, 1e-9)
    flops = 6.0 * n_weights * rows
    bound = flops / (float(gflops) * 1e9)
    return EpochFigures(mnist_epoch_s=epoch_s, mnist_epoch_bound_s=bound, mnist_epoch_ratio=epoch_s / bound,
                        matmul_gflops=float(gflops), n_weights=n_weights, rows=rows, flops=flops,
                        arguments_s=arguments_s, threads=int(threads), library=epoch.library, dtype=epoch.dtype)
