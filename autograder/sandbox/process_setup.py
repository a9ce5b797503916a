"""How the worker process prepares itself before any student code runs (a runtime file, loaded by worker.py).

Everything here runs inside whatever isolation the worker was started in: the parent-death signal, lowered resource
limits (no core dumps), torch's deterministic algorithms, and the CUDA context (created up front so that its memory
counts as the worker's own footprint, not the student's). Standard library only: it runs before NumPy and torch
are imported.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import sys
from types import ModuleType

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int) -> None:
    """Ask Linux to SIGKILL this process when the grader (thread that started it) dies; exit if it already has."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:
        os._exit(70)


def set_rlimits(spec: str) -> None:
    """Lower this process's resource limits (inherited by everything it starts): ``"nproc=512,fsize=..."``.

    No core dumps, ever. Limits are only lowered, never raised, so a grader that already runs under tighter
    limits keeps them. Set before any student code runs, inside whatever isolation the worker was started in.
    """
    names = {"nproc": resource.RLIMIT_NPROC, "fsize": resource.RLIMIT_FSIZE, "nofile": resource.RLIMIT_NOFILE}
    wanted = {resource.RLIMIT_CORE: 0}
    for item in filter(None, spec.split(",")):
        key, _, value = item.partition("=")
        wanted[names[key]] = int(value)
    for which, value in wanted.items():
        soft, hard = resource.getrlimit(which)
        new = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(which, (new, new))


def use_deterministic_algorithms(torch: ModuleType) -> None:
    """``torch.use_deterministic_algorithms(True, warn_only=True)`` without its ~1.4 s / ~70 MiB side effect.

    The public function imports ``torch._inductor.config`` (and with it dynamo, sympy, ... ~900 modules) just to
    set ``inductor_config.deterministic``. Unless inductor is already loaded (the student uses ``torch.compile``),
    set the ATen flag directly; once inductor is loaded, every later call goes through the public function. (So
    the one call that first imports inductor compiles with inductor's default setting; the environment is left
    untouched, as student code sees it.)
    """
    set_flag = getattr(torch._C, "_set_deterministic_algorithms", None)
    if "torch._inductor.config" in sys.modules or set_flag is None:
        torch.use_deterministic_algorithms(True, warn_only=True)
    else:
        set_flag(True, warn_only=True)


def start_cuda(torch: ModuleType) -> bool:
    """Create the CUDA context now, so its few hundred MiB of host memory count as the worker's own footprint
    (the memory cap is charged on top of what the worker uses when it says hello); whether CUDA works."""
    try:
        torch.empty(1, device="cuda")
    except RuntimeError as exc:
        print(f"sandbox worker: CUDA is present but unusable, running on the CPU: {exc}", file=sys.stderr)
        return False
    return True
