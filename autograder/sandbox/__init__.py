"""Sandboxed execution of student code: the student computes in an isolated worker process, the grader judges.

Typical use::

    from autograder.sandbox import WorkerSession

    with WorkerSession(submission_dir, ["trees", "mnist_mlp"], scratch=tmp) as w:
        rmse = w.call("trees.rmse", y_true, y_pred, timeout=10, seed=0).value
        model = w.call("mnist_mlp.build_mlp", hidden_sizes=[64], timeout=30).value  # a Handle
        logits = w.call_method(model, "__call__", torch.zeros(8, 784), timeout=10).value

Modules: ``session`` (grader side, :class:`WorkerSession`), ``worker`` (the worker program, run by file path),
``codec`` (plain-data wire format shared by both sides), ``limits`` and ``errors``.
"""

from .codec import CodecError, Handle, NotPlainData
from .errors import LimitExceeded, ProtocolError, StudentError, WorkerCrashed, WorkerError, WorkerTimeout
from .limits import Limits
from .session import Reply, WorkerSession

__all__ = [
    "CodecError",
    "Handle",
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
]
