"""Exceptions raised by the sandbox when a worker call does not produce a value.

Every failure of a :class:`~autograder.sandbox.session.WorkerSession` call is a :class:`WorkerError`. Each one
carries ``output``: the student's stdout/stderr captured during that call up to the failure (already capped to
``Limits.output_bytes``), so a grader can show the student what their code printed before it went wrong.

Which subclass tells *who* is at fault and what state the worker is in afterwards:

=====================  ==========================================================  ======================
exception              meaning                                                     worker afterwards
=====================  ==========================================================  ======================
:class:`StudentError`  the student's code raised (including ``sys.exit``,          alive, state kept
                       ImportError/SyntaxError while importing their module)
:class:`WorkerTimeout` the call did not answer in time                             killed; next call
                                                                                   starts a fresh one
:class:`WorkerCrashed` the worker process died (``os._exit``, segfault, ...)       dead; next call starts
                                                                                   a fresh one
:class:`LimitExceeded` memory or output limit hit                                  killed; next call
                                                                                   starts a fresh one
:class:`ProtocolError` a malformed or forged reply, an unknown or stale handle      killed if the reply was
                                                                                   malformed, else alive
=====================  ==========================================================  ======================
"""

from __future__ import annotations

__all__ = [
    "LimitExceeded",
    "ProtocolError",
    "StudentError",
    "WorkerCrashed",
    "WorkerError",
    "WorkerTimeout",
]


class WorkerError(Exception):
    """Base class: a call into the worker did not produce a value.

    Attributes:
        output: the student's output captured during the failed call (possibly cut in the middle).
    """

    def __init__(self, message: str, *, output: str = "") -> None:
        super().__init__(message)
        self.output = output


class StudentError(WorkerError):
    """The student's code raised an exception (any ``BaseException``, ``SystemExit`` included).

    ``str(err)`` is ``"TypeName: message"``; ``err.traceback`` is the formatted traceback from the worker, with
    the worker's own frames removed, ready to be shown to the student.
    """

    def __init__(self, type_name: str, message: str, traceback: str, *, output: str = "") -> None:
        super().__init__(f"{type_name}: {message}" if message else type_name, output=output)
        self.type_name = type_name
        self.message = message
        self.traceback = traceback


class WorkerTimeout(WorkerError):
    """The call (or the worker's start-up) did not answer within ``seconds``; the worker was killed."""

    def __init__(self, seconds: float, *, output: str = "") -> None:
        super().__init__(f"timed out after {seconds:g} s", output=output)
        self.seconds = seconds


class WorkerCrashed(WorkerError):
    """The worker process died, e.g. ``"worker exited with code 3"`` or ``"worker killed by signal SIGSEGV"``."""

    def __init__(self, description: str, *, output: str = "") -> None:
        super().__init__(description, output=output)
        self.description = description


class LimitExceeded(WorkerError):
    """A resource limit was exceeded and the worker was killed.

    Attributes:
        kind: ``"memory"`` or ``"output"``.
        detail: the measured value against the limit, e.g. ``"1210 MiB > 400 MiB"``.
    """

    def __init__(self, kind: str, detail: str, *, output: str = "") -> None:
        super().__init__(f"{kind} limit exceeded: {detail}", output=output)
        self.kind = kind
        self.detail = detail


class ProtocolError(WorkerError):
    """The worker's reply could not be trusted or the request could not be served.

    Raised for garbage or forged lines on the reply pipe, mismatched request ids, malformed exchange files,
    handles that are unknown to the worker or belong to a worker that was restarted.
    """

    def __init__(self, detail: str, *, output: str = "") -> None:
        super().__init__(detail, output=output)
        self.detail = detail
