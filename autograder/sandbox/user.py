"""The ``user`` isolation level: the worker runs as an unprivileged user, with the same resource limits.

This is the fallback for machines where bubblewrap is missing or cannot create namespaces (an unprivileged
container, Gradescope's image). It needs the grader to run as root. What it gives: student code cannot write
anything the worker user does not own (the course folder, the output folder, installed packages, the grader's
files), cannot signal, stop or trace the grader (another user), and cannot read files that are not readable by
others (the grader's home, the HMAC key). What it does not give, and ``bwrap`` does: hiding world-readable files
(package data, a world-readable course folder) and cutting the network.

The user is chosen automatically when none is named: ``autograder-worker``, created with ``useradd`` if missing
(``nobody`` only if it cannot be created). One grader per worker user at a time: after a worker stops, every
process of that user whose parent is not this grader is a stray (a double-forked daemon) and is killed.
"""

from __future__ import annotations

import logging
import os
import pwd
import shutil
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

from .isolation import Launch

__all__ = ["DEFAULT_USER", "RunAs", "UserIsolation", "kill_strays", "resolve_user", "worker_user"]

DEFAULT_USER = "autograder-worker"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunAs:
    """An unprivileged user the worker runs as."""

    name: str
    uid: int
    gid: int

    def popen(self) -> dict[str, object]:
        """``subprocess.Popen`` keyword arguments that start a process as this user."""
        return {"user": self.uid, "group": self.gid, "extra_groups": []}


def resolve_user(name: str) -> RunAs:
    """The unprivileged user ``name``; raises ``PermissionError`` unless the grader is root."""
    if os.geteuid() != 0:
        raise PermissionError(f"running student code as {name!r} needs the grader to run as root "
                              f"(euid is {os.geteuid()})")
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise ValueError(f"run_as: no such user {name!r}") from None
    if entry.pw_uid == 0:
        raise ValueError(f"run_as={name!r} is root; name an unprivileged user")
    return RunAs(name, entry.pw_uid, entry.pw_gid)


def worker_user(name: str | None = None) -> RunAs:
    """The user named, else :data:`DEFAULT_USER` (created if missing), else ``nobody``. Needs root."""
    if name:
        return resolve_user(name)
    if os.geteuid() != 0:
        raise PermissionError("the user level needs the grader to run as root")
    try:
        pwd.getpwnam(DEFAULT_USER)
    except KeyError:
        useradd = shutil.which("useradd") or "/usr/sbin/useradd"
        command = [useradd, "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent",
                   "--shell", "/usr/sbin/nologin", DEFAULT_USER]
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=30)
        except (OSError, subprocess.SubprocessError) as exc:
            log.warning("could not create the user %s (%s); student code runs as nobody", DEFAULT_USER, exc)
            return resolve_user("nobody")
    return resolve_user(DEFAULT_USER)


def can_run_interpreter(user: RunAs) -> str | None:
    """``None`` if ``user`` can start this interpreter and import NumPy, else why not."""
    try:
        probe = subprocess.run([sys.executable, "-s", "-P", "-c", "import numpy"], capture_output=True,
                               timeout=60, cwd="/", env={"PATH": "/usr/bin:/bin"}, **user.popen())  # type: ignore[arg-type]
    except (OSError, subprocess.SubprocessError) as exc:
        return f"{user.name!r} cannot start {sys.executable}: {exc}"
    if probe.returncode != 0:
        detail = probe.stderr.decode(errors="replace").strip().splitlines()[-1:] or [f"exit {probe.returncode}"]
        return f"{user.name!r} cannot run {sys.executable} with its packages ({detail[0][:200]})"
    return None


def kill_strays(uid: int, parent: int) -> int:
    """SIGKILL every process of ``uid`` whose chain of ``uid``-owned ancestors does not start below ``parent``
    (the grader): a daemon that double-forked away from its worker. Returns how many were killed."""
    killed = 0
    for process in psutil.process_iter(["uids", "ppid"]):
        try:
            if process.info["uids"] is None or process.info["uids"].real != uid:
                continue
            top = process
            while (up := top.parent()) is not None and up.uids().real == uid:
                top = up
            if top.ppid() == parent:
                continue
            os.kill(process.pid, signal.SIGKILL)
            killed += 1
        except (psutil.Error, ProcessLookupError, PermissionError):
            continue
    return killed


@dataclass(frozen=True)
class UserIsolation:
    """Run the worker as ``user`` (see the module docstring)."""

    user: RunAs
    name: str = "user"
    namespaced_pids: bool = False

    def describe(self) -> str:
        return (f"user: student code runs as the unprivileged user {self.user.name!r} (uid {self.user.uid}); "
                "it can still read world-readable files and reach the network (install bubblewrap for more)")

    def worker_owner(self) -> tuple[int, int] | None:
        return (self.user.uid, self.user.gid)

    def launch(self, argv: Sequence[str], *, scratch: Path, work: Path, writable: Sequence[Path],
               env: Mapping[str, str]) -> Launch:
        return Launch(list(argv), self.user.popen())

    def sweep(self) -> None:
        kill_strays(self.user.uid, os.getpid())
