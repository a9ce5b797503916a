"""The ``bwrap`` isolation level: how a worker is confined by bubblewrap.

The worker runs inside ``bwrap`` with:

* new user, PID, network, IPC, UTS and cgroup namespaces; an unprivileged uid/gid (65534) inside, no
  capabilities, no further user namespaces (``--disable-userns``); ``--die-with-parent`` (the grader's death
  ends the sandbox) and ``--new-session`` (no terminal to push keystrokes into); no network at all (a private
  loopback only);
* an **allow-list** file system, built from nothing:

  - read-only: the system's programs and libraries (``/usr`` and the ``/bin``, ``/lib*`` of a merged-usr system,
    the dynamic linker's cache), the Python installation (the base interpreter, the virtual environment and
    every ``site-packages`` on the grader's ``sys.path``) and the worker runtime (``scratch/runtime``);
  - read-write: the worker's writable scratch folders, nothing else (their size is capped by the watchdog and
    ``RLIMIT_FSIZE``);
  - a private ``/tmp`` (tmpfs of ``Limits.tmp_mb``), its own ``/proc``, a minimal ``/dev`` (null, zero, random,
    urandom, tty, shm) plus the NVIDIA device files when a GPU is visible;
  - not there at all: the course folder (solutions, hidden checks, ``course.yml``), ``AUTOGRADER_DATA``, the
    download cache, the output folder, other submissions, the grader's home and everything else;
  - hidden: course data that ships inside installed packages (:func:`autograder.data.registry.hidden_paths`,
    one entry per data set): each such file is replaced by an empty one, each such folder by an empty folder.

When the grader runs as root and a worker user can run the interpreter, bwrap itself is started as that user,
so that processes in the sandbox belong to an unprivileged user outside it too (``RLIMIT_NPROC`` then applies);
otherwise they belong to the grader's user outside the sandbox, still without capabilities, and a pids cgroup
(:mod:`.cgroup`) stops fork bombs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .isolation import IsolationError, Launch
from .user import RunAs

__all__ = ["BwrapIsolation", "bwrap_problem", "python_paths"]

SANDBOX_UID = 65534
_SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# /etc/fonts: without it, importing matplotlib prints "Fontconfig error" into the student's output.
_ETC = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives", "/etc/localtime",
        "/etc/ssl/certs", "/etc/fonts")


def bwrap_problem(executable: str | None = None, run_as: RunAs | None = None) -> str | None:
    """``None`` if bubblewrap can create its namespaces here (as ``run_as`` if given), else why not."""
    binary = executable or shutil.which("bwrap")
    if binary is None:
        return "bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    command = [binary, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "--proc", "/proc",
               "--dev", "/dev", "--", "/bin/true"]
    try:
        probe = subprocess.run(command, capture_output=True, timeout=30, cwd="/",
                               **(run_as.popen() if run_as else {}))
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
    """Run the worker inside bubblewrap (see the module docstring)."""

    executable: str
    tmp_mb: int = 256
    run_as: RunAs | None = None
    hidden: tuple[Path, ...] = ()
    python: tuple[Path, ...] = field(default_factory=lambda: tuple(python_paths()))
    name: str = "bwrap"
    namespaced_pids: bool = True

    def describe(self) -> str:
        who = f"started as {self.run_as.name!r}" if self.run_as else "started as the grader's user"
        return (f"bwrap: student code runs in a bubblewrap sandbox ({who}): no network, an allow-list file "
                f"system, {len(self.hidden)} package data paths hidden")

    def worker_owner(self) -> tuple[int, int] | None:
        return (self.run_as.uid, self.run_as.gid) if self.run_as else None

    def launch(self, argv: Sequence[str], *, scratch: Path, work: Path, writable: Sequence[Path],
               env: Mapping[str, str]) -> Launch:
        empty = scratch / "empty"
        args = [self.executable,
                "--unshare-user", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
                "--unshare-cgroup-try", "--disable-userns", "--die-with-parent", "--new-session",
                "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID), "--hostname", "sandbox",
                "--clearenv"]
        for key, value in env.items():
            args += ["--setenv", key, value]
        args += _system_mounts()
        for path in self.python:
            args += ["--ro-bind", str(path), str(path)]
        args += ["--proc", "/proc", "--dev", "/dev", "--size", str(self.tmp_mb * 1024 * 1024), "--tmpfs", "/tmp"]
        args += _gpu_devices(env)
        args += ["--ro-bind", str(scratch / "runtime"), str(scratch / "runtime")]
        for folder in writable:
            args += ["--bind", str(folder), str(folder)]
        for path in self.hidden:  # last: mounted over what the binds above exposed
            if path.is_dir():
                args += ["--ro-bind", str(empty), str(path)]
            elif path.exists():
                args += ["--ro-bind", "/dev/null", str(path)]
        args += ["--chdir", str(work), "--", *argv]
        return Launch(args, self.run_as.popen() if self.run_as else {})

    def session(self) -> BwrapIsolation:
        """The same level: sessions share nothing that needs telling apart."""
        return self

    def release(self) -> None:
        """Nothing was taken."""

    def sweep(self) -> None:
        """Nothing to do: a sandbox's processes all die with its PID namespace."""


def _system_mounts() -> list[str]:
    args: list[str] = []
    for path in _SYSTEM:
        if os.path.islink(path):  # merged /usr: /bin -> usr/bin
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for path in _ETC:
        if os.path.exists(path):
            args += ["--ro-bind", path, path]
    return args


def _gpu_devices(env: Mapping[str, str]) -> list[str]:
    """Device files of the NVIDIA driver (all cards: ``CUDA_VISIBLE_DEVICES`` selects among them)."""
    if env.get("CUDA_VISIBLE_DEVICES", None) == "":
        return []
    args: list[str] = []
    dev = Path("/dev")
    for node in sorted(dev.glob("nvidia*")):
        if node.is_char_device():
            args += ["--dev-bind", str(node), str(node)]
    if (dev / "nvidia-caps").is_dir():
        args += ["--dev-bind", "/dev/nvidia-caps", "/dev/nvidia-caps"]
    if args:
        for path in ("/sys/module/nvidia", "/sys/bus/pci", "/sys/devices"):
            if os.path.exists(path):
                args += ["--ro-bind", path, path]
    return args


def _outermost(paths: Iterable[Path]) -> list[Path]:
    """The given folders without those inside another one of them (each bound once), sorted."""
    unique = sorted(set(paths), key=lambda p: len(p.parts))
    kept: list[Path] = []
    for path in unique:
        if not any(path == k or k in path.parents for k in kept):
            kept.append(path)
    return sorted(kept)


def require_bwrap(run_as: RunAs | None = None) -> str:
    """The bwrap executable, or :class:`IsolationError` saying why bubblewrap cannot be used."""
    problem = bwrap_problem(run_as=run_as)
    if problem is not None:
        raise IsolationError(problem)
    return shutil.which("bwrap")  # type: ignore[return-value]  # not None: bwrap_problem found it
