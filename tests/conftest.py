"""Fixtures and probes shared by the test modules: where a sandboxed worker may run, and which levels work here."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from autograder.sandbox.confine.bwrap import bwrap_problem
from autograder.sandbox.confine.user import can_run_interpreter, worker_user


def bwrap_missing() -> str | None:
    """Why bubblewrap cannot confine a worker here (``None``: it can; CI installs it)."""
    return bwrap_problem()


def user_level_problem() -> str | None:
    """Why the ``user`` level cannot run here (``None``: it can): it needs root and an interpreter the worker user
    can run (CI's first run uses Debian's Python; its second a virtual environment under 0700 /root: it cannot)."""
    if os.geteuid() != 0:
        return "the user level needs root"
    try:
        return can_run_interpreter(worker_user())
    except (PermissionError, ValueError) as exc:
        return str(exc)


@pytest.fixture()
def scratch() -> Iterator[Path]:
    """A worker's scratch folder under /tmp, not pytest's 0700 tmp folder: an unprivileged worker user must pass
    through its parents."""
    with tempfile.TemporaryDirectory(prefix="autograder-isolation-test-") as folder:
        os.chmod(folder, 0o711)
        yield Path(folder)
