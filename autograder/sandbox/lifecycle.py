"""The life of a session's worker processes: start one (at once, or ahead of the first call), check its hello,
notice that it died between calls, and discard it for good.

:class:`~.session.WorkerSession` holds one :class:`WorkerLifecycle` and calls it under the session's lock; nothing
here takes a lock of its own. A discarded worker's token is remembered, so that a handle into it is refused with
a clear message instead of reaching the next worker.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from .confine.isolation import Isolation, IsolationError
from .confine.limits import Limits
from .confine.process import WorkerProcess, start_worker
from .confine.scratch import Layout, clear_folder
from .conversation import Conversation
from .errors import LimitExceeded, ProtocolError, WorkerCrashed, WorkerError
from .runtime.codec import Handle
from .sent import SentArrays

__all__ = ["WorkerLifecycle"]

log = logging.getLogger(__name__)


class WorkerLifecycle:
    """The current worker of a session (``current``), the one started ahead of need (``pending``), and what goes
    with each: the conversation on its pipes (``talk``) and the arrays already sent to it (``sent``)."""

    def __init__(self, layout: Layout, submission: Path, modules: Sequence[str], *, limits: Limits,
                 isolation: Isolation, env: Mapping[str, str], preload: Sequence[str]) -> None:
        self._layout = layout
        self._submission = submission
        self._modules = tuple(modules)
        self._limits = limits
        self._isolation = isolation
        self._env = dict(env)
        self._preload = tuple(preload)
        self._generation = 0
        self._old_tokens: set[str] = set()
        self.current: WorkerProcess | None = None
        self.pending: WorkerProcess | None = None  # spawned by spawn_pending, hello not yet read
        self.talk = Conversation(limits, self.discard)
        self.sent = SentArrays()  # large read-only arguments already in the current worker's exchange folder

    def ensure(self) -> WorkerProcess:
        """The running worker; start one if there is none. A worker that died between calls is reported here."""
        worker = self.current
        if worker is not None:
            if worker.alive() and worker.watchdog.violation is None:
                return worker
            mark = worker.output_mark
            violation = worker.watchdog.violation
            self.discard(worker)
            error: WorkerError
            if violation is not None:
                error = LimitExceeded(*violation)
            else:
                error = WorkerCrashed(f"{worker.death()} between calls")
            error.output = self.talk.output(worker, mark)
            raise error
        return self.adopt_pending() or self.handshake(self.spawn())

    def spawn(self) -> WorkerProcess:
        """Start a worker process; it is not the session's until :meth:`handshake` has checked its hello."""
        self._generation += 1
        return start_worker(self._layout, self._modules, generation=self._generation, limits=self._limits,
                            isolation=self._isolation, env=self._env, preload=self._preload)

    def spawn_pending(self) -> bool:
        """Start a worker ahead of need (the calling thread becomes its parent: ``PR_SET_PDEATHSIG``). False if
        there is a worker already, running or pending."""
        if self.current is not None or self.pending is not None:
            return False
        self.pending = self.spawn()
        return True

    def adopt_pending(self, closed: bool = False) -> WorkerProcess | None:
        """Finish the start of the pending worker, if there is one (``closed``: discard it instead)."""
        worker, self.pending = self.pending, None
        if worker is None:
            return None
        if closed:
            self.discard(worker)
            return None
        return self.handshake(worker)

    def handshake(self, worker: WorkerProcess) -> WorkerProcess:
        """Wait for a spawned worker's hello and check it; the worker becomes the current one."""
        try:
            startup = self._limits.startup_timeout_s
            hello = self.talk.receive(worker, time.monotonic() + startup, None, timeout=startup, starting=True)
        except WorkerError as exc:
            exc.output = self.talk.output(worker, 0)
            raise
        except BaseException:
            self.discard(worker)
            raise
        device = hello.get("device")
        pid_ok = self._isolation.namespaced_pids or hello.get("pid") == worker.pid
        if hello.get("hello") is not True or not pid_ok or device not in ("cpu", "cuda"):
            self.talk.fail(worker, ProtocolError(f"bad hello from worker: {hello!r}"[:500]))
        self._check_uid(worker, hello)
        worker.device = device
        worker.watchdog.set_baseline()
        worker.output_mark = worker.log_size()
        self.current = worker
        return worker

    def _check_uid(self, worker: WorkerProcess, hello: dict) -> None:
        """Refuse a worker that runs as another uid than its level chose, or as root under a level that confines
        (the hello comes before any student code runs: it is the runtime's own word)."""
        isolation = self._isolation
        seen = hello.get("parent_uid" if isolation.user_namespace else "uid")
        expected = isolation.host_uid()
        if seen != expected or (seen == 0 and isolation.name != "none"):
            self.discard(worker)
            raise IsolationError(f"the {isolation.name} sandbox runs student code as uid {seen!r} outside, not as "
                                 f"the unprivileged uid {expected} it chose: refusing to grade with it")

    def discard(self, worker: WorkerProcess, *, disk_full: bool = False) -> None:
        """Stop ``worker`` for good: kill its processes, forget its handles, clear the exchange folder (and, after
        a worker filled the disk, or with ``disk_full``, every writable folder: the next worker starts from the
        submission again)."""
        worker.stop()
        self.sent.clear()  # its files go with the exchange folder
        self._old_tokens.add(worker.token)
        if self.current is worker:
            self.current = None
        violation = worker.watchdog.violation
        if disk_full or (violation is not None and violation[0] == "disk"):
            self._layout.reset(self._submission, self._modules, self._isolation.worker_owner())
        else:
            clear_folder(self._layout.exchange)

    def kill_now(self) -> None:
        """Kill every worker process at once, without the clean-up (safe from another thread: see ``close``)."""
        for worker in (self.current, self.pending):
            if worker is not None and not worker.stopped:
                worker.kill()

    def discard_all(self) -> None:
        """Discard the current and the pending worker."""
        if self.current is not None:
            self.discard(self.current)
        if self.pending is not None:
            worker, self.pending = self.pending, None
            self.discard(worker)

    def check_handle(self, worker: WorkerProcess | None, handle: Handle) -> None:
        """Refuse a handle that does not belong to ``worker``, saying whether it is from an earlier worker."""
        if worker is not None and handle.worker == worker.token:
            return
        if handle.worker in self._old_tokens:
            raise ProtocolError(f"handle #{handle.id} ({handle.type}) belongs to a worker that was restarted")
        raise ProtocolError(f"handle #{handle.id} ({handle.type}) does not belong to this session's worker")
