"""The ``bwrap`` isolation level: how a worker is confined by bubblewrap.

The worker runs inside ``bwrap`` with:

* new PID, network, IPC, UTS and cgroup namespaces; ``--die-with-parent`` (the grader's death ends the sandbox) and
  ``--new-session`` (no terminal to push keystrokes into); no network at all (a private loopback only);
* student code never runs as uid 0 outside the sandbox, nor with any capability:

  - **grader run by root** (the usual case, and the only one where the interpreter may sit in a folder no other
    user can enter, such as a virtual environment under a 0700 ``/root``): bwrap is started by root *without* a
    user namespace, so that root makes the binds; the worker then switches to an unprivileged uid of its own
    (:class:`~.user.WorkerUids`: the worker user, or a spare uid for a session side by side with another), drops
    every capability and sets ``no_new_privs`` before any student code is imported
    (``process_setup.drop_privileges``). The uid is the same inside and outside;
  - **grader run by another user**: bwrap makes a user namespace in which the worker is uid 65534, which is the
    grader's own uid outside, without capabilities and without further user namespaces (``--disable-userns``);

* an **allow-list** file system, built from nothing:

  - read-only: the system's programs and libraries (``/usr`` and the ``/bin``, ``/lib*`` of a merged-usr system,
    the dynamic linker's cache), the Python installation (the base interpreter, the virtual environment and
    every ``site-packages`` on the grader's ``sys.path``; the folders above them are made empty, mode 0755) and the
    worker runtime (``scratch/runtime``);
  - read-write: the worker's writable scratch folders, nothing else;
  - a private ``/tmp`` (tmpfs of ``tmp_mb``), its own ``/proc`` with the files that change the kernel's state
    (``/proc/sys``, ``sysrq-trigger``, ``irq``, ``bus``, ``fs``) read-only and those that describe the kernel's
    (``kcore``, ``keys``, ``timer_list``, ``sched_debug``) masked, a minimal read-only ``/dev`` (null, zero,
    random, urandom, tty; ``/dev/shm`` a tmpfs of ``shm_mb``, whose use the watchdog counts as the worker's
    memory) plus the device files of the one NVIDIA card the worker is pinned to (:mod:`.gpu`);
  - not there at all: the course folder (solutions, hidden checks, ``course.yml``), ``AUTOGRADER_DATA``, the
    download cache, the output folder, other submissions, the grader's home and everything else;
  - hidden: course data that ships inside installed packages (:func:`autograder.data.registry.hidden_paths`,
    one entry per data set): each such file is replaced by an empty one, each such folder by an empty folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from .gpu import gpu_mounts
from .isolation import Launch
from .scratch import RUNTIME_SOURCE
from .user import RunAs, WorkerUids
from .watchdog import used_bytes

__all__ = ["BwrapIsolation", "bwrap_problem", "python_paths"]

SANDBOX_UID = 65534  # the worker's uid inside the user namespace of a sandbox started by an ordinary user
_SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# /etc/fonts: without it, importing matplotlib prints "Fontconfig error" into the student's output.
_ETC = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives", "/etc/localtime",
        "/etc/ssl/certs", "/etc/fonts")
# Docker's lists: /proc entries that change the kernel's state (read-only) or describe it (masked)
_PROC_READ_ONLY = ("sys", "sysrq-trigger", "irq", "bus", "fs")
_PROC_MASKED = ("kcore", "keys", "timer_list", "sched_debug", "latency_stats")
# what a sandbox started by root keeps until the worker has switched to its uid (process_setup.drop_privileges)
_ROOT_KEEPS = ("CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP", "CAP_DAC_READ_SEARCH")  # the last: its cwd is the worker's
# the probe of a sandbox started by root runs the worker's own switch of uid (process_setup is standard library only)
_SWITCH_PROBE = ("import importlib.util as u; s = u.spec_from_file_location('setup', {path!r}); "
                 "m = u.module_from_spec(s); s.loader.exec_module(m); m.drop_privileges(65534, 65534)")


def bwrap_problem(executable: str | None = None) -> str | None:
    """``None`` if bubblewrap can create a sandbox here the way :class:`BwrapIsolation` starts it for this grader
    (without a user namespace when root, else with one), else why not. Started by root, the probe also switches to
    uid 65534 inside with the worker's own code (``process_setup.drop_privileges``), with only the capabilities the
    worker keeps for it."""
    binary = executable or shutil.which("bwrap")
    if binary is None:
        return "bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    root = os.geteuid() == 0
    command = [binary, *_namespaces(root), *(_root_caps() if root else []), "--ro-bind", "/", "/", "--proc", "/proc",
               "--dev", "/dev", "--"]
    switch = _SWITCH_PROBE.format(path=str(RUNTIME_SOURCE / "process_setup.py"))
    command += [sys.executable, "-s", "-P", "-c", switch] if root else ["/bin/true"]
    try:
        probe = subprocess.run(command, capture_output=True, timeout=30, cwd="/")
    except (OSError, subprocess.SubprocessError) as exc:
        return f"bubblewrap could not be started: {exc}"
    if probe.returncode != 0:
        reason = probe.stderr.decode(errors="replace").strip() or f"exit code {probe.returncode}"
        return f"bubblewrap cannot create namespaces here: {reason}"
    return None


def python_paths() -> list[Path]:
    """Folders of this Python installation the worker needs: the interpreter's installation, the virtual
    environment, the standard library and every existing ``site-packages``/``dist-packages`` on ``sys.path``."""
    candidates = [Path(sys.base_prefix), Path(sys.prefix), Path(sys.executable).parent,
                  Path(os.path.realpath(sys.executable)).parent]
    candidates += [Path(p) for key in ("stdlib", "platstdlib", "purelib", "platlib")
                   if (p := sysconfig.get_paths().get(key))]
    candidates += [Path(p) for p in sys.path if p and Path(p).name in ("site-packages", "dist-packages")]
    return _outermost(path.resolve() for path in candidates if path.exists() and str(path.resolve()) != "/")


@dataclass(frozen=True)
class BwrapIsolation:
    """Run the worker inside bubblewrap (see the module docstring).

    ``uids``: when the grader is root, the unprivileged uids workers switch to (one per session at a time); ``None``
    for a grader run by another user (a user namespace maps the worker to the grader's own uid).
    """

    executable: str
    tmp_mb: int = 256
    shm_mb: int = 256
    uids: WorkerUids | None = field(default=None, compare=False, repr=False)
    session_user: RunAs | None = None  # the uid of one session (set by :meth:`session`), when root started it
    hidden: tuple[Path, ...] = ()
    python: tuple[Path, ...] = field(default_factory=lambda: tuple(python_paths()))
    name: str = "bwrap"
    namespaced_pids: bool = True
    private_root: bool = True

    def describe(self) -> str:
        if self.uids is not None:
            who = (f"as uid {self.uids.user.uid} ({self.uids.user.name}) outside it, workers side by side as uids "
                   "of their own, no capabilities")
        else:
            who = f"as uid {os.geteuid()} (the grader's own user) outside it, in a user namespace, no capabilities"
        return (f"bwrap: student code runs in a bubblewrap sandbox {who}: no network, an allow-list file "
                f"system, {len(self.hidden)} package data paths hidden")

    @property
    def user_namespace(self) -> bool:
        """Started by an ordinary user: the worker is uid 65534 of a user namespace, the grader's uid outside."""
        return self.uids is None

    def host_uid(self) -> int:
        user = self.session_user or (self.uids.user if self.uids is not None else None)
        return user.uid if user is not None else os.geteuid()

    def worker_owner(self) -> tuple[int, int] | None:
        user = self.session_user or (self.uids.user if self.uids is not None else None)
        return (user.uid, user.gid) if user is not None else None

    def drop_to(self) -> tuple[int, int] | None:
        """Started by root: the uid and gid the worker switches to before any student code runs."""
        return self.worker_owner()

    def usage_elsewhere(self, pid: int) -> tuple[int, int]:
        """The sandbox's own ``/dev/shm`` and ``/tmp`` (memory-backed), seen through ``/proc/<pid>/root``; nothing
        while ``pid`` is not yet inside the sandbox's mount namespace (its ``/`` would be the grader's)."""
        try:
            if os.stat(f"/proc/{pid}/ns/mnt").st_ino == os.stat("/proc/self/ns/mnt").st_ino:
                return 0, 0
        except OSError:
            return 0, 0
        return used_bytes(f"/proc/{pid}/root/dev/shm") + used_bytes(f"/proc/{pid}/root/tmp"), 0

    def launch(self, argv: Sequence[str], *, scratch: Path, work: Path, writable: Sequence[Path],
               env: Mapping[str, str]) -> Launch:
        root_started = self.uids is not None
        args = [self.executable, *_namespaces(root_started), "--die-with-parent", "--new-session"]
        if root_started:
            args += _root_caps()
        else:
            args += ["--disable-userns", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID)]
        args += ["--hostname", "sandbox", "--clearenv"]
        gpu = gpu_mounts(env.get("CUDA_VISIBLE_DEVICES"))
        for key, value in {**env, **dict(gpu.env)}.items():
            args += ["--setenv", key, value]
        tree = _Tree()
        args += _system_mounts(tree)
        args += tree.mount("/proc", bound=False) + ["--proc", "/proc", *_proc_guards()]
        args += tree.mount("/dev", bound=False) + ["--dev", "/dev"]
        args += ["--perms", "1777", "--size", str(self.shm_mb * 1024 * 1024), "--tmpfs", "/dev/shm"]
        for node in gpu.devices:
            args += ["--dev-bind", str(node), f"/dev/{node.name}"]
        args += ["--remount-ro", "/dev"]
        args += tree.mount("/tmp", bound=False)  # before the binds: a virtual environment may live below /tmp
        args += ["--perms", "1777", "--size", str(self.tmp_mb * 1024 * 1024), "--tmpfs", "/tmp"]
        for path in [*self.python, *gpu.sysfs]:
            if not tree.holds(path):  # e.g. Debian's /usr/lib/python3.11, inside /usr
                args += tree.mount(path) + ["--ro-bind", str(path), str(path)]
        runtime = scratch / "runtime"
        args += tree.mount(runtime) + ["--ro-bind", str(runtime), str(runtime)]
        for folder in writable:
            args += tree.mount(folder) + ["--bind", str(folder), str(folder)]
        empty = scratch / "empty"
        for path in self.hidden:  # last: mounted over what the binds above exposed
            if path.is_dir():
                args += ["--ro-bind", str(empty), str(path)]
            elif path.exists():
                args += ["--ro-bind", "/dev/null", str(path)]
        args += ["--chdir", str(work), "--", *argv]
        return Launch(args)

    def session(self) -> BwrapIsolation:
        """This level for one worker session: started by root, with a uid no other session uses at the same time."""
        return self if self.uids is None else replace(self, session_user=self.uids.acquire())

    def release(self) -> None:
        """Give the session's uid back (see :meth:`~.user.WorkerUids.release`)."""
        if self.uids is not None and self.session_user is not None:
            self.uids.release(self.session_user)

    def sweep(self) -> None:
        """Nothing to do: a sandbox's processes all die with its PID namespace."""


def _root_caps() -> list[str]:
    """A sandbox started by root keeps only what the worker needs until it has switched to its uid."""
    return ["--cap-drop", "ALL"] + [arg for cap in _ROOT_KEEPS for arg in ("--cap-add", cap)]


def _namespaces(root_started: bool) -> list[str]:
    """The namespaces of a sandbox: a user namespace only when an ordinary user starts it (root makes the binds in
    the initial one, and the worker switches to its uid itself)."""
    shared = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    return shared if root_started else ["--unshare-user", *shared]


class _Tree:
    """The folders of the sandbox's own root, so that each folder above a mount is made once, empty and with mode
    0755 (bubblewrap makes them 0700 when root starts it, and the worker's uid could not pass through)."""

    def __init__(self) -> None:
        self._exists: set[Path] = {Path("/")}
        self._bound: list[Path] = []  # bound with their content: nothing is made inside them

    def holds(self, path: str | Path) -> bool:
        """Whether ``path`` is bound already, itself or with a folder above it."""
        path = Path(path)
        return any(b == path or b in path.parents for b in self._bound)

    def mount(self, path: str | Path, *, bound: bool = True) -> list[str]:
        """The ``--dir`` arguments that make the folders above ``path``; ``path`` is then mounted (with its content
        if ``bound``, else an empty file system of the sandbox's own)."""
        path = Path(path)
        args: list[str] = []
        for parent in reversed(path.parents):
            if parent in self._exists or any(b in parent.parents for b in self._bound):
                continue
            self._exists.add(parent)
            args += ["--perms", "0755", "--dir", str(parent)]
        self._exists.add(path)
        if bound:
            self._bound.append(path)
        return args


def _system_mounts(tree: _Tree) -> list[str]:
    args: list[str] = []
    for path in _SYSTEM:
        if os.path.islink(path):  # merged /usr: /bin -> usr/bin
            args += tree.mount(path, bound=False) + ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += tree.mount(path) + ["--ro-bind", path, path]
    for path in _ETC:
        if os.path.exists(path):
            args += tree.mount(path) + ["--ro-bind", path, path]
    return args


def _proc_guards() -> list[str]:
    """After ``--proc /proc``: the sandbox's own ``/proc`` with kernel state read-only and kernel internals masked
    (what this kernel does not have is skipped)."""
    args: list[str] = []
    for name in _PROC_READ_ONLY:
        if os.path.exists(f"/proc/{name}"):
            args += ["--ro-bind", f"/proc/{name}", f"/proc/{name}"]
    for name in _PROC_MASKED:
        if os.path.isfile(f"/proc/{name}"):
            args += ["--ro-bind", "/dev/null", f"/proc/{name}"]
    return args


def _outermost(paths: Iterable[Path]) -> list[Path]:
    """The given folders without those inside another one of them (each bound once), sorted."""
    unique = sorted(set(paths), key=lambda p: len(p.parts))
    kept: list[Path] = []
    for path in unique:
        if not any(path == k or k in path.parents for k in kept):
            kept.append(path)
    return sorted(kept)
