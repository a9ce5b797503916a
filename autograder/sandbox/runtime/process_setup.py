"""How the worker process prepares itself before any student code runs (a runtime file, loaded by worker.py).

Everything here runs inside whatever isolation the worker was started in: the switch to the unprivileged uid a
sandbox started by root runs student code as (:func:`drop_privileges`, first of all), the parent-death signal,
lowered resource limits (no core dumps), torch's deterministic algorithms, and the CUDA context (created up front so
that its memory counts as the worker's own footprint, not the student's). Standard library only: it runs before
NumPy and torch are imported.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import sys
from types import ModuleType

_PR_SET_PDEATHSIG = 1
_PR_CAPBSET_DROP = 24
_PR_CAP_AMBIENT = 47
_PR_CAP_AMBIENT_CLEAR_ALL = 4
_CAP_SETS = ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_privileges(uid: int, gid: int) -> None:
    """Become ``uid``/``gid`` for good, with no supplementary group and no capability in any set (bounding and
    inheritable included), or exit with code 71 saying what is left. For a sandbox started by root without a user
    namespace (so that root makes its binds, e.g. of an interpreter under a 0700 ``/root``): called first thing,
    before any student code is imported. ``no_new_privs`` follows (:func:`.seccomp.install`).
    """
    if uid == 0 or gid == 0:
        _refuse(f"refusing to run student code as uid {uid} / gid {gid}")
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    last = int(_read_or("/proc/sys/kernel/cap_last_cap", "40"))
    for cap in range(last + 1):  # needs CAP_SETPCAP, which root has here: after the switch it is gone
        libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0)
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)  # clears the permitted, effective and ambient sets
    header, data = _CapHeader(0x20080522, 0), (_CapData * 2)()  # _LINUX_CAPABILITY_VERSION_3: two 32-bit halves
    libc.capset(ctypes.byref(header), data)  # the inheritable set may always be lowered, here to nothing
    status = dict(line.split(":", 1) for line in _read_or("/proc/self/status", "").splitlines() if ":" in line)
    left = {name: status.get(name, "?").strip() for name in _CAP_SETS if int(status.get(name, "1"), 16) != 0}
    ids = (os.getresuid(), os.getresgid(), os.getgroups())
    if left or ids != ((uid,) * 3, (gid,) * 3, []):
        _refuse(f"could not drop privileges: ids {ids}, capabilities left {left}")


def parent_uid() -> int:
    """This process's uid as its user namespace's parent sees it (``/proc/self/uid_map``): under bwrap started by
    an ordinary user, the sandbox's uid 65534 is that user's own uid; without a user namespace of its own, the uid."""
    uid = os.getuid()
    for line in _read_or("/proc/self/uid_map", f"{uid} {uid} 1").splitlines():
        inside, outside, count = (int(part) for part in line.split())
        if inside <= uid < inside + count:
            return outside + uid - inside
    return -1  # not mapped: cannot happen for a running process


def _refuse(message: str) -> None:
    print(f"sandbox worker: {message}", file=sys.stderr, flush=True)
    os._exit(71)  # conversation.REFUSED_EXIT: the grader reports the sandbox, not the student


def _read_or(path: str, default: str) -> str:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return default


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
