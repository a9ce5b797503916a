"""The ``none`` isolation level: the worker runs as the grader's own user. For development only.

Student code can then read and write everything the grader can: the solutions, the hidden checks, the data,
the output folder. :func:`~.choose.choose_isolation` never picks it for a grader run by root (a ``WorkerSession``
made in code may still use it, for the course's own trusted code). The resource limits (set inside the worker), the
seccomp filter, the watchdog and a cgroup where delegated still apply. The grader says so loudly wherever this level
is used.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .isolation import Launch

__all__ = ["NoIsolation"]


@dataclass(frozen=True)
class NoIsolation:
    """No confinement beyond a scrubbed environment and resource limits."""

    name: str = "none"
    namespaced_pids: bool = False
    user_namespace: bool = False
    private_root: bool = False

    def describe(self) -> str:
        return ("none: NO ISOLATION - student code runs as the grader's own user and can read the answers and "
                "change results; use only to develop the course, never to grade a class")

    def worker_owner(self) -> tuple[int, int] | None:
        return None

    def host_uid(self) -> int:
        return os.geteuid()

    def drop_to(self) -> tuple[int, int] | None:
        return None

    def usage_elsewhere(self, pid: int) -> tuple[int, int]:
        """Nothing tells the worker's files in shared folders from the grader's own at this level."""
        return 0, 0

    def launch(self, argv: Sequence[str], *, scratch: Path, work: Path, writable: Sequence[Path],
               env: Mapping[str, str]) -> Launch:
        return Launch(list(argv))

    def session(self) -> NoIsolation:
        """The same level: sessions share nothing that needs telling apart."""
        return self

    def release(self) -> None:
        """Nothing was taken."""

    def sweep(self) -> None:
        """Nothing can tell a stray of the student's from the grader's own processes here."""
