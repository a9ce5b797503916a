"""Sandboxed execution of student code: the student computes in an isolated worker process, the grader judges.

Typical use::

    from autograder.sandbox import WorkerSession

    with WorkerSession(submission_dir, ["trees", "mnist_mlp"], scratch=tmp) as w:
        rmse = w.call("trees.rmse", y_true, y_pred, timeout=10, seed=0).value
        model = w.call("mnist_mlp.build_mlp", hidden_sizes=[64], timeout=30).value  # a Handle
        logits = w.call_method(model, "__call__", torch.zeros(8, 784), timeout=10).value

The grader's side of the conversation is at the top of the package: ``session`` (:class:`WorkerSession`, one
submission's worker), ``lifecycle`` (start, handshake, restart), ``conversation`` (one request and its reply),
``protocol`` (framing and validating what the worker sends), ``sent`` (arrays the grader sent), ``expect``
(what a call must return), ``copy_out`` (taking a file out of the worker's folders) and ``errors``.

``runtime/`` holds the worker program and its codec, copied into every sandbox and run there (the grader imports the
codec too). ``confine/`` holds how a worker is confined: the isolation levels, its limits, cgroup, watchdog, mounts,
scratch folders and its process.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .confine.choose import choose_isolation
    from .confine.isolation import LEVELS, Isolation, IsolationError
    from .confine.limits import Limits
    from .errors import LimitExceeded, ProtocolError, StudentError, WorkerCrashed, WorkerError, WorkerTimeout
    from .runtime.codec import CodecError, Handle, NotPlainData
    from .session import Reply, WorkerSession

# Imported on first use (PEP 562), so that a light module of the package (``mounts``, which the command line uses
# before anything else) does not import NumPy with the session.
_EXPORTS = {
    "choose_isolation": "confine.choose",
    "CodecError": "runtime.codec", "Handle": "runtime.codec", "NotPlainData": "runtime.codec",
    "LimitExceeded": "errors", "ProtocolError": "errors", "StudentError": "errors", "WorkerCrashed": "errors",
    "WorkerError": "errors", "WorkerTimeout": "errors", "LEVELS": "confine.isolation", "Isolation": "confine.isolation",
    "IsolationError": "confine.isolation", "Limits": "confine.limits", "Reply": "session", "WorkerSession": "session",
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
