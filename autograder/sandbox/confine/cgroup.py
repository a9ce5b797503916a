"""A cgroup per worker, where the machine delegates one: a hard cap on processes and memory, and a sure kill.

The watchdog (polling) and the rlimits set inside the worker apply everywhere; a cgroup adds what they cannot:
``pids.max`` stops a fork bomb even when the kernel does not enforce ``RLIMIT_NPROC`` (processes whose user is
root outside a user namespace are exempt), the memory limit holds between two polls, and killing every process
of the cgroup reaches a daemon that escaped every other way.

Both layouts are handled: cgroup v2 (a ``cgroup.controllers`` file at ``/sys/fs/cgroup``, and the grader's own
cgroup writable with ``pids`` and ``memory`` enabled for its children) and cgroup v1 (writable ``pids`` and
``memory`` hierarchies). Anything else means "not delegated": :meth:`Cgroup.create` returns ``None`` and the
other limits carry on alone.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Cgroup"]

_ROOT = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class Cgroup:
    """The cgroup folder(s) of one worker (one per v1 hierarchy, or one v2 folder)."""

    folders: tuple[Path, ...]

    @classmethod
    def create(cls, *, pids_max: int, memory_bytes: int) -> Cgroup | None:
        """A fresh cgroup with these limits, or ``None`` where the machine delegates none."""
        name = f"autograder-{secrets.token_hex(6)}"
        try:
            if (_ROOT / "cgroup.controllers").exists():
                return cls._create_v2(name, pids_max, memory_bytes)
            return cls._create_v1(name, pids_max, memory_bytes)
        except OSError:
            return None

    @classmethod
    def _create_v2(cls, name: str, pids_max: int, memory_bytes: int) -> Cgroup | None:
        own = _ROOT / _own_v2_path().lstrip("/")
        enabled = (own / "cgroup.subtree_control").read_text().split()
        if not {"pids", "memory"} <= set(enabled):
            return None
        folder = own / name
        folder.mkdir()
        try:
            (folder / "pids.max").write_text(str(pids_max))
            (folder / "memory.max").write_text(str(memory_bytes))
            (folder / "memory.swap.max").write_text("0") if (folder / "memory.swap.max").exists() else None
        except OSError:
            folder.rmdir()
            raise
        return cls((folder,))

    @classmethod
    def _create_v1(cls, name: str, pids_max: int, memory_bytes: int) -> Cgroup | None:
        pids, memory = _ROOT / "pids", _ROOT / "memory"
        if not (os.access(pids, os.W_OK) and os.access(memory, os.W_OK)):
            return None
        made: list[Path] = []
        try:
            for hierarchy, limits in ((pids, {"pids.max": pids_max}),
                                      (memory, {"memory.limit_in_bytes": memory_bytes})):
                folder = hierarchy / _own_v1_path(hierarchy.name).lstrip("/") / name
                folder.mkdir()
                made.append(folder)
                for key, value in limits.items():
                    (folder / key).write_text(str(value))
        except OSError:
            for folder in made:
                with contextlib.suppress(OSError):
                    folder.rmdir()
            raise
        return cls(tuple(made))

    def allow(self, uid: int, gid: int) -> None:
        """Let ``uid`` move its own processes in (the worker is started as another user, which joins itself)."""
        for folder in self.folders:
            os.chown(folder / "cgroup.procs", uid, gid)

    def join_function(self) -> Callable[[], None]:
        """A ``preexec_fn`` that moves the starting child into this cgroup before it runs anything.

        It only opens and writes files (no locks, no allocation-heavy Python), as code between fork and exec must.
        """
        paths = [str(folder / "cgroup.procs") for folder in self.folders]

        def join() -> None:
            for path in paths:
                fd = os.open(path, os.O_WRONLY)
                try:
                    os.write(fd, b"0")
                finally:
                    os.close(fd)

        return join

    def pids(self) -> set[int]:
        """Every process in the cgroup."""
        found: set[int] = set()
        for folder in self.folders:
            with contextlib.suppress(OSError, ValueError):
                found.update(int(line) for line in (folder / "cgroup.procs").read_text().split())
        return found

    def kill_all(self, timeout: float = 5.0) -> None:
        """SIGKILL every process of the cgroup, until none is left (or ``timeout``)."""
        kill_file = self.folders[0] / "cgroup.kill"
        if kill_file.exists():
            with contextlib.suppress(OSError):
                kill_file.write_text("1")
        deadline = time.monotonic() + timeout
        while (pids := self.pids()) and time.monotonic() < deadline:
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)

    def remove(self) -> None:
        """Kill what is left and delete the cgroup folders."""
        self.kill_all()
        for folder in self.folders:
            for _ in range(50):  # the kernel frees a cgroup shortly after its last process is reaped
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)


def _own_v2_path() -> str:
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        if line.startswith("0::"):
            return line[3:]
    raise OSError("no cgroup v2 entry in /proc/self/cgroup")


def _own_v1_path(controller: str) -> str:
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return path
    raise OSError(f"no cgroup v1 {controller} entry in /proc/self/cgroup")
