"""Sandboxed execution of student code: the student computes in an isolated worker process, the grader judges.

Typical use::

    from autograder.sandbox import WorkerSession

    with WorkerSession(submission_dir, ["trees", "mnist_mlp"], scratch=tmp) as w:
        rmse = w.call("trees.rmse", y_true, y_pred, timeout=10, seed=0).value
        model = w.call("mnist_mlp.build_mlp", hidden_sizes=[64], timeout=30).value  # a Handle
        logits = w.call_method(model, "__call__", torch.zeros(8, 784), timeout=10).value

Modules: ``session`` (grader side, :class:`WorkerSession`), ``worker`` (the worker program, run by file path),
``codec`` (plain-data wire format shared by both sides), ``limits`` and ``errors``; how a worker is confined:
``isolation`` (the interface and the levels), ``bwrap``, ``user``, ``unconfined`` (one module per level),
``choose`` (picking the level), ``process`` (start and stop), ``watchdog``, ``cgroup``, ``scratch``, ``protocol``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .choose import choose_isolation
    from .codec import CodecError, Handle, NotPlainData
    from .errors import LimitExceeded, ProtocolError, StudentError, WorkerCrashed, WorkerError, WorkerTimeout
    from .isolation import LEVELS, Isolation, IsolationError
    from .limits import Limits
    from .session import Reply, WorkerSession

# Imported on first use (PEP 562), so that a light module of the package (``mounts``, which the command line uses
# before anything else) does not import NumPy with the session.
_EXPORTS = {
    "choose_isolation": "choose", "CodecError": "codec", "Handle": "codec", "NotPlainData": "codec",
    "LimitExceeded": "errors", "ProtocolError": "errors", "StudentError": "errors", "WorkerCrashed": "errors",
    "WorkerError": "errors", "WorkerTimeout": "errors", "LEVELS": "isolation", "Isolation": "isolation",
    "IsolationError": "isolation", "Limits": "limits", "Reply": "session", "WorkerSession": "session",
}

__all__ = [
    "LEVELS",
    "CodecError",
    "Handle",
    "Isolation",
    "IsolationError",
    "LimitExceeded",
    "Limits",
    "NotPlainData",
    "ProtocolError",
    "Reply",
    "StudentError",
    "WorkerCrashed",
    "WorkerError",
    "WorkerSession",
    "WorkerTimeout",
    "choose_isolation",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
