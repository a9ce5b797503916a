"""Talking to one worker over its pipes: send a request, wait for the reply, and trust nothing that comes back.

A reply that cannot be trusted (forged, malformed, late, from a dead worker or one over a limit) discards the worker
through the session's ``discard`` before the matching error is raised, so the next call starts a fresh one.
:class:`~.session.WorkerSession` owns the workers; this class holds what a request/reply exchange needs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

from .confine.isolation import IsolationError
from .confine.limits import Limits
from .confine.process import WorkerProcess
from .confine.watchdog import INTERVAL_S
from .errors import LimitExceeded, ProtocolError, WorkerCrashed, WorkerError, WorkerTimeout
from .protocol import Closed, Expired, Gone, Refused, check_error, parse_reply
from .runtime.codec import CodecError, Decoder
from .runtime.output import read_output

__all__ = ["Conversation"]

EXIT_GRACE_S = 5.0  # after EOF on the reply pipe, how long a dying worker may take to become reapable
REFUSED_EXIT = 71  # process_setup's exit code when the worker cannot drop its privileges (before any student code)


class Conversation:
    """The request/reply half of a worker session (see the module's docstring)."""

    def __init__(self, limits: Limits, discard: Callable[[WorkerProcess], None]) -> None:
        self._limits = limits
        self._discard = discard

    def fail(self, worker: WorkerProcess, error: WorkerError) -> NoReturn:
        """Discard the worker and raise ``error`` (a reply we cannot trust leaves the worker in an unknown state)."""
        self._discard(worker)
        raise error

    def expect_silence(self, worker: WorkerProcess) -> None:
        """Between calls the reply pipe must be empty: anything there was forged, or is the real reply to a call
        whose answer a student forged (the worker can no longer be trusted)."""
        if worker.channel.pending():
            if worker.channel.drain_is_eof():
                worker.wait_exit(EXIT_GRACE_S)
                self.fail_dead(worker)
            self.fail(worker, ProtocolError("unexpected data on the reply pipe between calls (forged reply?)"))

    def send(self, worker: WorkerProcess, data: bytes, deadline: float, timeout: float) -> None:
        try:
            worker.channel.send(data, deadline, worker.alive, INTERVAL_S)
        except Expired:
            self.fail(worker, WorkerTimeout(timeout))
        except (Closed, Gone):
            worker.wait_exit(EXIT_GRACE_S)
            self.fail_dead(worker)

    def receive(self, worker: WorkerProcess, deadline: float, expected: tuple[int, str] | None, *,
                 timeout: float, starting: bool = False) -> dict[str, Any]:
        """Wait for the next reply line and check it answers ``expected`` ``(id, nonce)`` (``None``: the hello)."""
        def alive() -> bool:
            return worker.watchdog.violation is None and worker.alive()

        try:
            line = worker.channel.receive(deadline, alive, INTERVAL_S)
        except Expired:
            self.fail(worker, WorkerTimeout(timeout))
        except Closed:
            if not worker.wait_exit(EXIT_GRACE_S):
                self.fail(worker, ProtocolError("worker closed its reply pipe"))
            self.fail_dead(worker, starting=starting)
        except Gone:
            self.fail_dead(worker, starting=starting)
        except ProtocolError as exc:
            self.fail(worker, exc)
        try:
            return parse_reply(line, expected, max_values=self._limits.reply_values,
                               max_depth=self._limits.reply_depth)
        except ProtocolError as exc:
            self.fail(worker, exc)

    def fail_dead(self, worker: WorkerProcess, *, starting: bool = False) -> NoReturn:
        """Discard a worker that died (or was killed by the watchdog) and raise the matching error."""
        self._discard(worker)
        violation = worker.watchdog.violation
        if violation is not None:
            raise LimitExceeded(*violation)
        if starting and worker.process.returncode == REFUSED_EXIT:  # no student code has run: the sandbox failed
            raise IsolationError(f"the worker refused to run student code ({worker.death()}): "
                                 f"{self.output(worker, 0).strip()[-500:]}")
        suffix = " during start-up" if starting else ""
        raise WorkerCrashed(worker.death() + suffix)

    def interpret(self, worker: WorkerProcess, reply: dict[str, Any], decoder: Decoder) -> Any:
        """The value of a well-formed reply, or the error it reports."""
        if reply.get("ok") is True:
            if "value" not in reply:
                self.fail(worker, ProtocolError("reply without a value"))
            try:
                return decoder.decode(reply["value"])
            except CodecError as exc:
                self.fail(worker, ProtocolError(f"malformed value in reply: {exc}"))
        try:
            check_error(reply)
        except Refused:
            raise  # the worker refused a request it could not understand; it is fine
        except ProtocolError as exc:
            self.fail(worker, exc)
        raise AssertionError("check_error always raises")  # pragma: no cover

    def check_limits(self, worker: WorkerProcess) -> None:
        """After a reply: the call fails if the worker exceeded a limit meanwhile."""
        worker.watchdog.check_disk()
        violation = worker.watchdog.violation
        if violation is not None:
            self.fail(worker, LimitExceeded(*violation))
        size = worker.log_size()
        if size > self._limits.max_log_bytes:
            self.fail(worker, LimitExceeded("output", f"{size} bytes of output > {self._limits.max_log_bytes} bytes"))

    def output(self, worker: WorkerProcess, start: int) -> str:
        return read_output(worker.log_path, start, self._limits.output_bytes)
