"""Choosing the isolation level for a run: the strongest this machine allows, or the one asked for.

``auto`` tries, in order: ``bwrap`` (bubblewrap installed and able to create namespaces), ``user`` (the grader
runs as root and an unprivileged user can run the interpreter), ``none`` (development only). Asking for a level
by name gets exactly that level or an :class:`~autograder.sandbox.isolation.IsolationError` that says why not.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .bwrap import BwrapIsolation, bwrap_problem
from .isolation import LEVELS, Isolation, IsolationError
from .scratch import check_reachable
from .unconfined import NoIsolation
from .user import RunAs, UserIsolation, can_run_interpreter, worker_user

__all__ = ["choose_isolation"]

log = logging.getLogger(__name__)


def choose_isolation(level: str = "auto", *, run_as: str | None = None, hidden: Sequence[Path] = (),
                     tmp_mb: int = 256) -> Isolation:
    """The isolation level to grade with.

    Args:
        level: ``"auto"`` or one of :data:`~autograder.sandbox.isolation.LEVELS`.
        run_as: the unprivileged user for the ``user`` level (and to start bubblewrap as, when root); chosen
            automatically when ``None``.
        hidden: files and folders inside installed packages that hold course answers (hidden under ``bwrap``).
        tmp_mb: size of the sandbox's private ``/tmp`` under ``bwrap``.
    """
    if level not in ("auto", *LEVELS):
        raise IsolationError(f"unknown isolation level {level!r}; choose auto, {', '.join(LEVELS)}")
    reasons: list[str] = []
    if level in ("auto", "bwrap"):
        found = _bwrap(run_as, tuple(hidden), tmp_mb, reasons)
        if found is not None:
            return found
        if level == "bwrap":
            raise IsolationError("; ".join(reasons))
    if level in ("auto", "user"):
        found = _user(run_as, reasons)
        if found is not None:
            return found
        if level == "user":
            raise IsolationError("; ".join(reasons))
    if level == "auto":
        log.warning("no isolation available (%s): student code runs as the grader's user", "; ".join(reasons))
    return NoIsolation()


def _bwrap(run_as: str | None, hidden: tuple[Path, ...], tmp_mb: int, reasons: list[str]) -> Isolation | None:
    executable = shutil.which("bwrap")
    problem = bwrap_problem(executable)
    if problem is not None:
        reasons.append(problem)
        return None
    user = _unprivileged(run_as) if os.geteuid() == 0 else None
    if user is not None and (bwrap_problem(executable, user) is not None or not _reaches_tmp(user)):
        # unprivileged user namespaces are off, or the scratch folders (made in the temporary folder) are out of
        # the user's reach: bwrap runs as root, and a pids cgroup stops fork bombs
        user = None
    return BwrapIsolation(executable, tmp_mb=tmp_mb, run_as=user, hidden=hidden)  # type: ignore[arg-type]  # a str: bwrap_problem found it


def _user(run_as: str | None, reasons: list[str]) -> Isolation | None:
    if os.geteuid() != 0:
        reasons.append("the user level needs the grader to run as root")
        return None
    try:
        user = worker_user(run_as)
    except (PermissionError, ValueError) as exc:
        reasons.append(str(exc))
        return None
    problem = can_run_interpreter(user)
    if problem is not None:
        reasons.append(problem)
        return None
    return UserIsolation(user)


def _unprivileged(run_as: str | None) -> RunAs | None:
    """A worker user that can run the interpreter, to start bubblewrap as; ``None`` when there is none."""
    try:
        user = worker_user(run_as)
    except (PermissionError, ValueError):
        return None
    return user if can_run_interpreter(user) is None else None


def _reaches_tmp(user: RunAs) -> bool:
    """Whether ``user`` can pass through every folder above the temporary folder, where scratch folders go."""
    try:
        check_reachable(Path(tempfile.gettempdir()).resolve(), user.uid, user.gid)
    except (PermissionError, OSError):
        return False
    return True
