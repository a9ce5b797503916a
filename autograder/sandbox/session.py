"""The grader side of the sandbox: one :class:`WorkerSession` drives one student worker process at a time.

Student code computes in the worker; the grader only ever receives plain data (validated while decoding) or
:class:`~autograder.sandbox.runtime.codec.Handle` references, and judges it. Nothing from the worker is unpickled
and the worker's stdout/stderr are never parsed.

Where things are: the scratch folder's layout is :mod:`.confine.scratch`; how a worker is confined,
:mod:`.confine.isolation` (levels :mod:`.confine.bwrap`, :mod:`.confine.user`, :mod:`.confine.unconfined`, chosen
by :mod:`.confine.choose`); starting, watching and killing the process, :mod:`.confine.process` (with
:mod:`.confine.watchdog` and :mod:`.confine.cgroup`); which worker is current, :mod:`.lifecycle`; one request and
its reply, :mod:`.conversation`; the pipes, :mod:`.protocol`; the worker program, :mod:`.runtime.worker`.

Process model: the worker is started lazily on first use, in its own session and process group, with a
scrubbed environment and stdin from /dev/null. A call writes one JSON request on a pipe and waits (``poll``)
for the reply line on another pipe. On timeout, crash, a limit violation or an untrustworthy reply every
process of the worker is SIGKILLed; the next call transparently starts a fresh worker in the same work dir,
and old handles become invalid.

Threads: calls on one session are serialised by a lock; :meth:`WorkerSession.close` may come from another
thread (it kills the worker first, so a call in flight ends promptly). The worker asks Linux to SIGKILL it when
the *thread* that started it exits (``PR_SET_PDEATHSIG``), so use a session from a long-lived thread.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import logging
import math
import os
import secrets
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from .confine.isolation import Isolation
from .confine.limits import Limits
from .confine.mounts import unmount
from .confine.process import WorkerProcess
from .confine.scratch import Layout
from .confine.unconfined import NoIsolation
from .confine.user import UserIsolation, resolve_user
from .copy_out import copy_out
from .errors import LimitExceeded, WorkerError
from .lifecycle import WorkerLifecycle
from .runtime.codec import Decoder, Encoder, Exchange, Handle, ReplyCheck

__all__ = ["Reply", "WorkerSession"]

log = logging.getLogger(__name__)

_MIB = 1024 * 1024


@dataclass
class Reply:
    """What a successful call returns.

    Attributes:
        value: the decoded return value (plain data, or a :class:`Handle` for objects that stay in the worker).
        output: the student's stdout+stderr printed during the call, cut to ``Limits.output_bytes``.
        seconds: wall-clock seconds from sending the request to decoding the reply (worker start-up excluded).
    """

    value: Any
    output: str
    seconds: float


class WorkerSession:
    """Runs a submission's modules in a sandboxed worker process and calls into them.

    Args:
        submission: folder with the student's ``<module>.py`` files.
        modules: module names the grader may call into; only these files are copied into the work dir.
        scratch: a folder owned by the grader for this session (layout: :mod:`.confine.scratch`).
        limits: resource limits.
        gpu: value for ``CUDA_VISIBLE_DEVICES`` in the worker (default: inherited if set).
        isolation: how the worker is confined (:func:`~autograder.sandbox.confine.choose.choose_isolation`); default
            ``run_as``'s user level if given, else none (the grader's user).
        run_as: shorthand for the user level with this unprivileged user (the grader must run as root).
        env: extra environment variables for the worker (trusted: added as given).
        preload: installed libraries (module names such as ``torch`` or ``sklearn.tree``) the worker imports before
            its first call, so that no call waits for them and their start-up is not charged to the student; others
            are imported when the student's code imports them. Torch is seeded before each call once it is loaded
            (the call that imports it runs unseeded); it is always preloaded with a ``gpu``.

    Use as a context manager; :meth:`close` kills the worker. All calls take a ``timeout`` in seconds (start-up of
    a new worker is not counted: it has ``Limits.startup_timeout_s``).
    """

    def __init__(
        self,
        submission: Path,
        modules: Sequence[str],
        *,
        scratch: Path,
        limits: Limits = Limits(),  # noqa: B008 - frozen dataclass, safe as a default
        gpu: str | None = None,
        isolation: Isolation | None = None,
        run_as: str | None = None,
        env: Mapping[str, str] | None = None,
        preload: Sequence[str] = ("torch",),
    ) -> None:
        self._closed = True  # until set up; makes __del__/close safe if __init__ fails
        self._lock = threading.RLock()  # held for the whole of a call; close() from another thread kills first
        names = [modules] if isinstance(modules, str) else list(modules)
        for name in names:
            if not isinstance(name, str) or not name.isidentifier():
                raise ValueError(f"module names must be Python identifiers, got {name!r}")
        self.modules: tuple[str, ...] = tuple(dict.fromkeys(names))
        self.limits = limits
        # a GPU worker makes its CUDA context at start, so it imports torch then
        self.preload: tuple[str, ...] = tuple(dict.fromkeys([*preload, *(["torch"] if gpu is not None else [])]))
        for name in self.preload:
            if not all(part.isidentifier() for part in name.split(".")):
                raise ValueError(f"preloaded libraries must be module names, got {name!r}")
        if isolation is None:
            isolation = UserIsolation(resolve_user(run_as)) if run_as else NoIsolation()
        self.isolation = isolation.session()
        self._released = False
        self._layout = Layout(Path(scratch).resolve())
        self._request_id = 0
        self._submission = Path(submission)
        self._tmpfs = False
        try:
            self._tmpfs = self._layout.prepare(self._submission, self.modules, self.isolation.worker_owner(),
                                               reach=not self.isolation.private_root, disk=limits)
            self._workers = WorkerLifecycle(self._layout, self._submission, self.modules, limits=limits,
                                            isolation=self.isolation, env=self._layout.environment(gpu, env),
                                            preload=self.preload)
        except BaseException:
            self.close()  # gives the uid back, and unmounts what prepare mounted
            raise
        self._closed = False

    # -- context management ------------------------------------------------------------------------------------

    def __enter__(self) -> WorkerSession:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # never raise from a finaliser
            pass

    def close(self) -> None:
        """Kill the worker (every process of it) and refuse further calls. Idempotent.

        May be called from another thread (cancellation): the processes are killed at once, so a call in flight
        fails promptly (``WorkerCrashed``), and the clean-up waits for that call to return.
        """
        self._closed = True
        workers: WorkerLifecycle | None = getattr(self, "_workers", None)  # None: __init__ failed before it
        if workers is not None:
            workers.kill_now()
        lock = getattr(self, "_lock", None)
        if lock is None:
            return
        with lock:
            if workers is not None:
                workers.discard_all()
            if not getattr(self, "_released", True):
                self._released = True
                self.isolation.release()
                if self._tmpfs:
                    unmount(self._layout.writable_root)

    # -- public API --------------------------------------------------------------------------------------------

    @property
    def submission(self) -> Path:
        """The grader-owned submission folder the worker's modules were copied from (never written by a worker)."""
        return self._submission

    @property
    def work_dir(self) -> Path:
        """The worker's working directory (the scratch copy of the submission)."""
        return self._layout.work

    @property
    def started(self) -> bool:
        """Whether a worker process is running now (started by a call or by :meth:`start_soon`)."""
        worker = self._workers.current
        return worker is not None and worker.alive()

    @property
    def device(self) -> str:
        """``"cuda"`` or ``"cpu"`` as reported by the worker (starts it if needed)."""
        with self._lock:
            return self._ensure_worker().device

    def call(self, target: str, /, *args: Any, timeout: float, seed: int | None = 0,
             expect: ReplyCheck | None = None, kwargs: Mapping[str, Any] | None = None, **named: Any) -> Reply:
        """Call ``module.function`` (or ``module.Class.attr`` ...) in the worker with plain-data/handle arguments.

        ``seed`` (``None``: do not reseed) seeds ``random``, NumPy's global RNG and torch before the call.
        ``expect`` (an ``expect.Returns``) declares what must come back: a reply that differs is refused
        (``ProtocolError``) before any array is loaded. The function's keyword arguments are ``named``, and those
        named like the session's own (``timeout``, ``seed``, ``expect``, ``kwargs``) go in ``kwargs``.
        """
        self._split_target(target)
        return self._request({"op": "call", "target": target}, args, _keywords(kwargs, named), timeout=timeout,
                             seed=seed, expect=expect)

    def call_method(self, handle: Handle, method: str, /, *args: Any, timeout: float, seed: int | None = 0,
                    expect: ReplyCheck | None = None, kwargs: Mapping[str, Any] | None = None,
                    **named: Any) -> Reply:
        """Call ``method`` on the object behind ``handle`` (``"__call__"`` runs a torch module's forward); the
        arguments as in :meth:`call`."""
        if not isinstance(handle, Handle):
            raise TypeError(f"call_method needs a Handle, got {type(handle).__name__}")
        if not isinstance(method, str) or not method.isidentifier():
            raise ValueError(f"bad method name {method!r}")
        message = {"op": "call_method", "handle": handle.id, "method": method}
        return self._request(message, args, _keywords(kwargs, named), timeout=timeout, seed=seed, handle=handle,
                             expect=expect)

    def get(self, target: str, *, timeout: float, expect: ReplyCheck | None = None) -> Reply:
        """Read a module attribute (``"module.NAME"``); importing the module counts against ``timeout``."""
        self._split_target(target)
        return self._request({"op": "get", "target": target}, (), {}, timeout=timeout, seed=0, expect=expect)

    def release(self, handle: Handle, *, timeout: float = 10) -> None:
        """Drop the worker's reference to ``handle``'s object (the handle becomes unknown)."""
        if not isinstance(handle, Handle):
            raise TypeError(f"release needs a Handle, got {type(handle).__name__}")
        self._request({"op": "release", "handle": handle.id}, (), {}, timeout=timeout, seed=None, handle=handle)

    def start_soon(self) -> threading.Thread | None:
        """Start the worker now and let it load in the background, so that the first call finds it warm
        (interpreter, runtime and preloaded libraries loaded) while the grader does other work, e.g. grades the
        previous submission of the job. The process is started in the calling thread (a worker dies with the thread
        that started it: ``PR_SET_PDEATHSIG``); a helper thread waits for its hello.

        Calls wait for the start (they take the same lock). A start that fails is reported by the first call.
        Returns the helper thread (``None`` if a worker is already there).
        """
        with self._lock:
            if self._closed or not self._workers.spawn_pending():
                return None

        def finish() -> None:
            with self._lock:
                try:
                    self._workers.adopt_pending(closed=self._closed)
                except Exception as exc:  # the first call reports it
                    log.debug("background start of a worker failed: %s", exc)

        thread = threading.Thread(target=finish, name="worker-start", daemon=True)
        thread.start()
        return thread

    def restart(self) -> None:
        """Kill the worker; the next call starts a fresh process in the same work dir (old handles die)."""
        with self._lock:
            self._check_open()
            if self._workers.current is not None:
                self._workers.discard(self._workers.current)

    def copy_out(self, relpath: str | os.PathLike[str], *, max_bytes: int) -> Path:
        """A copy of the regular file ``relpath`` that student code left in the work dir, in a folder only the judge
        can write (:func:`~.copy_out.copy_out`: opened once, without following symlinks or blocking, at most
        ``max_bytes``). ``FileNotFoundError`` if absent; ``ValueError`` (a message for the student) for an absolute
        path, ``..``, a symlink, a file that is not regular, a leased file or one too large."""
        return copy_out(self._layout.work, relpath, self._layout.judge, max_bytes)

    # -- worker lifecycle --------------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("this WorkerSession is closed")

    def _split_target(self, target: str) -> tuple[str, str]:
        if not isinstance(target, str) or "." not in target:
            raise ValueError(f"target must look like 'module.attribute', got {target!r}")
        module, attribute = target.split(".", 1)
        if module not in self.modules:
            raise ValueError(f"module {module!r} is not one of this session's modules {list(self.modules)}")
        if not all(part.isidentifier() for part in attribute.split(".")):
            raise ValueError(f"bad attribute path in target {target!r}")
        return module, attribute

    def _ensure_worker(self) -> WorkerProcess:
        self._check_open()
        return self._workers.ensure()

    # -- one request -------------------------------------------------------------------------------------------

    def _request(self, *args: Any, **kwargs: Any) -> Reply:
        with self._lock:
            return self._request_locked(*args, **kwargs)

    def _request_locked(
        self,
        message: dict[str, Any],
        args: Sequence[Any],
        kwargs: Mapping[str, Any],
        *,
        timeout: float,
        seed: int | None,
        handle: Handle | None = None,
        expect: ReplyCheck | None = None,
    ) -> Reply:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout < math.inf:
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63):
            raise ValueError(f"seed must be a non-negative int or None, got {seed!r}")
        if handle is not None:  # before (re)starting a worker for nothing
            self._workers.check_handle(self._workers.current, handle)
        worker = self._ensure_worker()
        exchange = Exchange(self._layout.exchange, "g", max_file_bytes=self.limits.memory_mb * _MIB)
        encoder = Encoder(exchange, check_handle=lambda h: self._workers.check_handle(worker, h),
                          sent=self._workers.sent)
        decoder = Decoder(exchange, on_handle=lambda h: dataclasses.replace(h, worker=worker.token),
                          max_bytes=self.limits.reply_bytes, max_files=self.limits.reply_files, expect=expect)
        try:
            if message["op"] in ("call", "call_method"):
                try:
                    message["args"] = encoder.encode(list(args))
                    message["kwargs"] = encoder.encode(dict(kwargs))
                except OSError as exc:
                    if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                        raise
                    self._workers.discard(worker, disk_full=True)  # the student's files filled the folders
                    raise LimitExceeded("disk", "the working folders are full (the judge could not send the call's "
                                                "arguments)") from None
            self._request_id += 1
            request_id, nonce = self._request_id, secrets.token_hex(16)
            message.update(id=request_id, nonce=nonce, seed=seed)
            data = (json.dumps(message, allow_nan=True, separators=(",", ":")) + "\n").encode()
            start = worker.log_size()
            started = time.monotonic()
            deadline = started + timeout
            talk = self._workers.talk
            try:
                talk.expect_silence(worker)
                talk.send(worker, data, deadline, timeout)
                reply = talk.receive(worker, deadline, (request_id, nonce), timeout=timeout)
                value = talk.interpret(worker, reply, decoder)
                talk.check_limits(worker)
            except WorkerError as exc:
                exc.output = talk.output(worker, start)
                raise
            except BaseException:
                self._workers.discard(worker)  # interrupted mid-request: the worker's state is unknown
                raise
            seconds = time.monotonic() - started
            output = talk.output(worker, start)
            worker.output_mark = worker.log_size()
            return Reply(value=value, output=output, seconds=seconds)
        finally:
            encoder.discard()
            exchange.remove(decoder.files)


def _keywords(kwargs: Mapping[str, Any] | None, named: dict[str, Any]) -> dict[str, Any]:
    """The function's keyword arguments: ``kwargs`` and ``named`` together (a name given in both is a mistake)."""
    both = set(kwargs or ()) & set(named)
    if both:
        raise TypeError(f"keyword arguments given twice: {', '.join(sorted(both))}")
    return {**(kwargs or {}), **named}
