"""The bench's own module, copied next to the reference's modules into the worker as ``autograder_bench_probe``.

It runs inside the worker, under the same isolation, limits and thread settings as the student's code, so that the
transfer and matmul figures are the worker's. It imports only NumPy (and torch when asked); it is never imported by
the grader.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

MODULE = "autograder_bench_probe"


def echo(value: Any) -> Any:
    """The argument, sent back: one array each way."""
    return value


def nbytes(*values: Any) -> int:
    """The bytes of the array arguments (only the arguments travel: the reply is one number)."""
    return int(sum(getattr(value, "nbytes", 0) for value in values))


def matmul_gflops(n: int = 2048, library: str = "torch", dtype: str = "float32", repeats: int = 10) -> float:
    """GFLOP/s of an ``n x n`` matrix product (2 n^3 floating-point operations) in this worker: the best of
    ``repeats`` runs, since slower runs measure interference from other processes, not the machine (the advice
    of Python's ``timeit``). The best rate gives the tightest bound, so the epoch ratio errs on the strict side."""
    rng = np.random.default_rng(0)
    a = rng.random((n, n)).astype(dtype)
    b = rng.random((n, n)).astype(dtype)
    if library == "torch":
        import torch

        ta, tb = torch.from_numpy(a), torch.from_numpy(b)

        def product() -> object:
            return torch.matmul(ta, tb)
    else:
        def product() -> object:
            return a @ b
    product()  # warm-up: thread pools, caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        product()
        times.append(time.perf_counter() - start)
    return float(2 * n**3 / min(times) / 1e9)


def threads(library: str = "torch") -> int:
    """The CPU threads the library computes with in this worker."""
    if library == "torch":
        import torch

        return int(torch.get_num_threads())
    import os

    return int(os.environ.get("OMP_NUM_THREADS") or os.cpu_count() or 1)
