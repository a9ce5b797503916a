"""How a worker is confined: the isolation levels and how the grader picks one.

Three levels, strongest first (the ``isolation`` column of ``grades.csv`` and the field of ``grading.json``):

=========  =================================================================================================
``bwrap``  bubblewrap (:mod:`.bwrap`): new user, PID, network, IPC, UTS and cgroup namespaces; an allow-list
           file system in which the scratch folder is the only writable place; course data that ships inside
           installed packages hidden; no network.
``user``   an unprivileged user (:mod:`.user`), for machines where bubblewrap is missing or cannot create
           namespaces (an unprivileged container, Gradescope's image). Needs the grader to run as root, and an
           interpreter the unprivileged user can run.
``none``   the grader's own user, for development only: student code can read and write everything the
           grader can. Said loudly wherever it is used, and never chosen for a grader run by root.
=========  =================================================================================================

Every level gets the same resource limits, set inside the worker (``worker.py``: processes, file size, open
files, no core dumps), the same seccomp filter (:mod:`..runtime.seccomp`: no file leases, no user namespaces) with
``no_new_privs``, the memory/output/disk/process watchdog (:mod:`.watchdog`) and, where the machine delegates one, a
cgroup (:mod:`.cgroup`). Under ``bwrap`` and ``user``, student code never runs as uid 0 outside: the worker reports
the uid it runs as outside in its hello, and a worker whose uid is 0 or not the one its level chose is refused.

The one interface every level implements is :class:`Isolation`: given the worker's command and its scratch
layout, produce the command line and process settings that start it confined.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

__all__ = ["LEVELS", "Isolation", "IsolationError", "Launch"]

LEVELS = ("bwrap", "user", "none")


class IsolationError(RuntimeError):
    """The requested isolation level cannot be had on this machine (the message says why and what to do)."""


@dataclass(frozen=True)
class Launch:
    """How to start one worker: the full command line and the extra ``subprocess.Popen`` keyword arguments."""

    argv: list[str]
    popen: dict[str, Any] = field(default_factory=dict)


class Isolation(Protocol):
    """One isolation level (see the module docstring). Levels are chosen by :func:`.choose.choose_isolation`."""

    name: str
    """``"bwrap"``, ``"user"`` or ``"none"``."""

    namespaced_pids: bool
    """Whether the worker sees its own PID namespace (its pids are not the grader's)."""

    user_namespace: bool
    """Whether the worker runs in a user namespace of its own (its uid there is mapped to :meth:`host_uid`)."""

    private_root: bool
    """Whether the worker sees a file system of its own, in which the folders above its scratch folders are made for
    it (else it reaches them by their paths on the machine, and its uid must be able to pass through each)."""

    def describe(self) -> str:
        """One line for people: the level and what it means (printed once at the start of a run)."""
        ...

    def worker_owner(self) -> tuple[int, int] | None:
        """``(uid, gid)`` that must own the worker's writable folders, or ``None`` to keep the grader's."""
        ...

    def host_uid(self) -> int:
        """The uid student code runs as outside any namespace (never 0 for ``bwrap`` and ``user``: the worker's
        hello is checked against it)."""
        ...

    def drop_to(self) -> tuple[int, int] | None:
        """``(uid, gid)`` the worker must switch to itself before any student code runs (a sandbox started by
        root), else ``None``."""
        ...

    def usage_elsewhere(self, pid: int) -> tuple[int, int]:
        """``(memory, disk)`` bytes the worker (``pid``: one of its processes) holds in the places this level gives
        it besides its scratch folders: the sandbox's ``/dev/shm`` and ``/tmp``, the machine's shared temporary
        folders. Counted by the watchdog against ``memory_mb`` and ``disk_mb``."""
        ...

    def launch(self, argv: Sequence[str], *, scratch: Path, work: Path, writable: Sequence[Path],
               env: Mapping[str, str]) -> Launch:
        """The confined command for ``argv`` (the worker's own command line).

        ``scratch`` is the session's scratch root, ``work`` the worker's working folder, ``writable`` every
        folder the worker may write (all below ``scratch``), ``env`` the worker's complete environment.
        """
        ...

    def sweep(self) -> None:
        """After a worker stopped: kill whatever it left running that the level can recognise."""
        ...

    def session(self) -> Isolation:
        """This level for one worker session (the ``user`` level gives each concurrent session its own uid)."""
        ...

    def release(self) -> None:
        """The session is over: clean up after it and give back what :meth:`session` took."""
        ...
