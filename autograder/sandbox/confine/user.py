"""The ``user`` isolation level: the worker runs as an unprivileged user, with the same resource limits.

This is the fallback for machines where bubblewrap is missing or cannot create namespaces (an unprivileged
container, Gradescope's image). It needs the grader to run as root. What it gives: student code cannot write
anything the worker user does not own (the course folder, the output folder, installed packages, the grader's
files), cannot signal, stop or trace the grader (another user), and cannot read files that are not readable by
others (the grader's home, the HMAC key). What it does not give, and ``bwrap`` does: hiding world-readable files
(package data, a world-readable course folder) and cutting the network.

The worker is started by root and switches to its uid itself (``process_setup.drop_privileges``: no supplementary
group, no capability in any set, ``no_new_privs``) before any student code runs; the interpreter and its packages
must therefore be readable by that uid (:func:`can_run_interpreter`).

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
import stat
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import psutil

from .isolation import Launch
from .watchdog import disk_usage

__all__ = ["DEFAULT_USER", "RunAs", "UserIsolation", "WorkerUids", "kill_strays", "resolve_user", "worker_user"]

DEFAULT_USER = "autograder-worker"
SPARE_UID_BASE = 1_900_000_000  # uids of workers graded side by side with the first (no account has them)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunAs:
    """An unprivileged user the worker runs as."""

    name: str
    uid: int
    gid: int

    def popen(self) -> dict[str, Any]:
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
                               timeout=60, cwd="/", env={"PATH": "/usr/bin:/bin"}, **user.popen())
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


class WorkerUids:
    """The host uids the workers of one grader run as, one per worker session at a time (thread-safe).

    The first session at a time gets ``user`` itself; sessions side by side with it get uids of their own,
    :data:`SPARE_UID_BASE` and up, which no account uses: two submissions graded side by side can then neither
    signal each other's processes nor write each other's files, and strays are recognised by uid alone. Used by
    the ``user`` level and by a ``bwrap`` sandbox started by root.
    """

    def __init__(self, user: RunAs) -> None:
        self.user = user
        self._lock = threading.Lock()
        self._used: set[int] = set()

    def acquire(self) -> RunAs:
        """A uid no other session of this grader uses now."""
        with self._lock:
            slot = next(k for k in range(len(self._used) + 1) if k not in self._used)
            self._used.add(slot)
        if slot == 0:
            return self.user
        uid = SPARE_UID_BASE + (os.getpid() % 100_000) * 100 + slot
        return RunAs(f"{self.user.name}+{slot}", uid, uid)

    def release(self, who: RunAs) -> None:
        """Give ``who``'s uid back, once every process of it is gone (a daemon that double-forked away is killed)
        and its files in the shared temporary folders are deleted."""
        kill_strays(who.uid, os.getpid())
        remove_files_of(who.uid)
        slot = 0 if who == self.user else (who.uid - SPARE_UID_BASE) % 100
        with self._lock:
            self._used.discard(slot)


@dataclass(frozen=True)
class UserIsolation:
    """Run each worker as an unprivileged uid of its own (see the module docstring and :class:`WorkerUids`)."""

    user: RunAs
    uids: WorkerUids = field(default=None, compare=False, repr=False)  # type: ignore[assignment]  # set below
    session_user: RunAs | None = None  # the uid of one session (set by :meth:`session`)
    name: str = "user"
    namespaced_pids: bool = False
    user_namespace: bool = False
    private_root: bool = False

    def __post_init__(self) -> None:
        if self.uids is None:  # the uids of this grader's sessions (copies made by session() share them)
            object.__setattr__(self, "uids", WorkerUids(self.user))

    def describe(self) -> str:
        return (f"user: student code runs as the unprivileged user {self.user.name!r} (uid {self.user.uid}; "
                "workers graded side by side get uids of their own); it can still read world-readable files and "
                "reach the network (install bubblewrap for more)")

    def session(self) -> UserIsolation:
        """This level for one worker session, with a uid no other session of this grader uses at the same time."""
        return replace(self, session_user=self.uids.acquire())

    def release(self) -> None:
        """Give the session's uid back (see :meth:`WorkerUids.release`)."""
        if self.session_user is not None:
            self.uids.release(self.session_user)

    @property
    def _runs_as(self) -> RunAs:
        return self.session_user or self.user

    def host_uid(self) -> int:
        return self._runs_as.uid

    def worker_owner(self) -> tuple[int, int] | None:
        return (self._runs_as.uid, self._runs_as.gid)

    def drop_to(self) -> tuple[int, int] | None:
        """The worker is started by root and switches to the session's uid itself, dropping every capability
        (bounding set included, which a switch made by ``subprocess`` would leave) before any student code runs."""
        return self.worker_owner()

    def usage_elsewhere(self, pid: int) -> tuple[int, int]:
        """What the session's uid keeps in the machine's ``/dev/shm`` (memory) and ``/tmp``, ``/var/tmp`` (disk)."""
        uid = self._runs_as.uid
        return owned_usage(uid, ("/dev/shm",)), owned_usage(uid, ("/tmp", "/var/tmp"))

    def launch(self, argv: Sequence[str], *, scratch: Path, work: Path, writable: Sequence[Path],
               env: Mapping[str, str]) -> Launch:
        return Launch(list(argv))

    def sweep(self) -> None:
        """After a worker stopped: kill what it left running and delete what it left in the shared temporary
        folders (the next worker of the session starts without them, as under bwrap, whose ``/tmp`` and
        ``/dev/shm`` go with the sandbox; and they no longer count against its limits)."""
        kill_strays(self._runs_as.uid, os.getpid())
        remove_files_of(self._runs_as.uid)


def owned_usage(uid: int, folders: Sequence[str]) -> int:
    """Bytes of what ``uid`` has directly in ``folders`` (files, and folders with everything in them)."""
    entries: list[Path] = []
    for folder in folders:
        try:
            entries += [Path(entry.path) for entry in os.scandir(folder)
                        if entry.stat(follow_symlinks=False).st_uid == uid]
        except OSError:
            continue
    total = 0
    for entry in entries:
        try:
            info = entry.lstat()
        except OSError:
            continue
        total += info.st_blocks * 512
        if stat.S_ISDIR(info.st_mode):
            total += disk_usage([entry], stop_after=100_000)[0]
    return total


def remove_files_of(uid: int, folders: Sequence[str] = ("/tmp", "/var/tmp", "/dev/shm")) -> None:
    """Delete what ``uid`` left directly in the machine's shared temporary folders (files, and folders with
    everything in them): nothing of one submission may reach a later one, or fill the disk."""
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid != uid:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
            except OSError:
                continue
