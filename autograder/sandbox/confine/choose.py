"""Choosing the isolation level for a run: the strongest this machine allows, or the one asked for.

``auto`` tries, in order: ``bwrap`` (bubblewrap installed and able to create its namespaces), ``user`` (the grader
runs as root and an unprivileged user can run the interpreter), ``none`` (development only, and never for a grader
run by root: then nothing confines student code and the run is refused, saying what to change). Asking for a level
by name gets exactly that level or an :class:`~autograder.sandbox.confine.isolation.IsolationError` that says why not.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from .bwrap import BwrapIsolation, bwrap_problem
from .isolation import LEVELS, Isolation, IsolationError
from .unconfined import NoIsolation
from .user import RunAs, UserIsolation, WorkerUids, can_run_interpreter, worker_user

__all__ = ["choose_isolation"]

log = logging.getLogger(__name__)


def choose_isolation(level: str = "auto", *, run_as: str | None = None, hidden: Sequence[Path] = (),
                     tmp_mb: int = 256) -> Isolation:
    """The isolation level to grade with.

    Args:
        level: ``"auto"`` or one of :data:`~autograder.sandbox.confine.isolation.LEVELS`.
        run_as: the unprivileged user student code runs as when the grader is root (``bwrap`` and ``user``);
            chosen automatically when ``None`` (see :func:`~.user.worker_user`).
        hidden: files and folders inside installed packages that hold course answers (hidden under ``bwrap``).
        tmp_mb: size of the sandbox's private ``/tmp`` under ``bwrap``.
    """
    if level not in ("auto", *LEVELS):
        raise IsolationError(f"unknown isolation level {level!r}; choose auto, {', '.join(LEVELS)}")
    root = os.geteuid() == 0
    if level == "none" and root:
        raise IsolationError("--isolation none would run student code as root, unconfined: use bwrap or user, or "
                             "run the grader as an ordinary user to develop a course")
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
        if root:
            raise IsolationError("nothing here can confine student code, and the grader runs as root: "
                                 + "; ".join(reasons))
        log.warning("no isolation available (%s): student code runs as the grader's user", "; ".join(reasons))
    return NoIsolation()


def _bwrap(run_as: str | None, hidden: tuple[Path, ...], tmp_mb: int, reasons: list[str]) -> Isolation | None:
    executable = shutil.which("bwrap")
    problem = bwrap_problem(executable)
    if problem is not None:
        reasons.append(problem)
        return None
    uids = None
    if os.geteuid() == 0:  # bwrap is started by root and the worker switches to an unprivileged uid
        user = _worker_user(run_as, reasons)
        if user is None:
            return None
        uids = WorkerUids(user)
    return BwrapIsolation(executable, tmp_mb=tmp_mb, uids=uids, hidden=hidden)  # type: ignore[arg-type]  # a str: bwrap_problem found it


def _user(run_as: str | None, reasons: list[str]) -> Isolation | None:
    if os.geteuid() != 0:
        reasons.append("the user level needs the grader to run as root")
        return None
    user = _worker_user(run_as, reasons)
    if user is None:
        return None
    problem = can_run_interpreter(user)
    if problem is not None:
        reasons.append(f"{problem}; the user level needs an interpreter and packages every user can read (a "
                       f"virtual environment outside /root, e.g. python3 -m venv /opt/autograder-venv, made with "
                       f"an interpreter outside /root such as /usr/bin/python3; {sys.prefix} is this one)")
        return None
    return UserIsolation(user)


def _worker_user(run_as: str | None, reasons: list[str]) -> RunAs | None:
    try:
        return worker_user(run_as)
    except (PermissionError, ValueError) as exc:
        reasons.append(str(exc))
        return None
