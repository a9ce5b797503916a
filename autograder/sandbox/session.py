"""The grader side of the sandbox: one :class:`WorkerSession` drives one student worker process at a time.

Student code computes in the worker; the grader only ever receives plain data (validated while decoding) or
:class:`~autograder.sandbox.codec.Handle` references, and judges it. Nothing from the worker is unpickled and the
worker's stdout/stderr are never parsed.

Scratch layout (everything below ``scratch``; existing folders of these names are replaced)::

    scratch/work/       the worker's cwd and first sys.path entry: ONLY <module>.py for each listed module that
                        exists in the submission (regular files; symlinks are not copied). Files the student
                        code writes here are what :meth:`WorkerSession.path` returns.
    scratch/exchange/   .npy files carrying arrays both ways (cleared whenever a worker stops)
    scratch/logs/       worker-<n>.log: stdout+stderr of the n-th worker process (grader-owned, handed over as fds)
    scratch/runtime/    copies of worker.py and codec.py (grader-owned, read-only for the worker)
    scratch/home/, scratch/tmp/   HOME and TMPDIR of the worker

Process model: the worker is started lazily on first use, in its own session and process group, with a
scrubbed environment and stdin from /dev/null. A call writes one JSON request on a pipe and waits (``poll``)
for the reply line on another pipe. On timeout, crash, a limit violation or an untrustworthy reply the whole
process group (and every descendant the watchdog has seen, even ones that left the group) is SIGKILLed; the
next call transparently starts a fresh worker in the same work dir, and old handles become invalid.

A watchdog thread per worker polls every 0.1 s the private resident memory of the worker and its descendants and
the size of its log, and kills the worker above ``Limits.memory_mb`` / ``Limits.max_log_bytes``. The memory cap
counts what the worker allocates on top of its own start-up footprint (interpreter + NumPy + torch, ~370 MiB
private on a CUDA build of torch, measured when it says hello), so ``memory_mb`` is what the student's code gets.

Threads: calls on one session are serialised by a lock; :meth:`WorkerSession.close` may come from another
thread (it kills the worker first, so a call in flight ends promptly). The worker asks Linux to SIGKILL it when
the *thread* that started it exits (``PR_SET_PDEATHSIG``), so use a session from a long-lived thread.

Killing is best-effort against a determined student who double-forks and ``setsid()``s between two polls; real
isolation needs ``run_as`` (a dedicated user) plus containers/cgroups around the grader.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import pwd
import secrets
import select
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import Any, NoReturn

import psutil

from .codec import CodecError, Decoder, Encoder, Exchange, Handle
from .errors import LimitExceeded, ProtocolError, StudentError, WorkerCrashed, WorkerError, WorkerTimeout
from .limits import Limits

__all__ = ["Reply", "WorkerSession"]

_MIB = 1024 * 1024
_WATCHDOG_INTERVAL_S = 0.1
_EXIT_GRACE_S = 5.0  # after EOF on the reply pipe, how long a dying worker may take to become reapable
_REAP_TIMEOUT_S = 10.0
_RUNTIME_FILES = ("worker.py", "codec.py")


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


@dataclass(frozen=True)
class _Layout:
    """The folders of one session below ``scratch``."""

    root: Path
    work: Path
    exchange: Path
    logs: Path
    runtime: Path
    home: Path
    tmp: Path

    @classmethod
    def under(cls, scratch: Path) -> _Layout:
        return cls(
            root=scratch,
            work=scratch / "work",
            exchange=scratch / "exchange",
            logs=scratch / "logs",
            runtime=scratch / "runtime",
            home=scratch / "home",
            tmp=scratch / "tmp",
        )

    def worker_dirs(self) -> tuple[Path, ...]:
        """Folders the worker may write to (chowned to ``run_as``)."""
        return (self.work, self.exchange, self.home, self.tmp)


@dataclass(frozen=True)
class _RunAs:
    """The unprivileged user the worker runs as."""

    name: str
    uid: int
    gid: int


class _Watchdog:
    """Thread that kills a worker whose memory or output exceeds the limits.

    It also remembers every descendant process it has seen, so that :meth:`kill` reaches processes that left the
    worker's process group (``setsid``) or were re-parented when their parent died.
    """

    def __init__(self, pid: int, log_path: Path, limits: Limits) -> None:
        self._pid = pid
        self._log_path = log_path
        self._limits = limits
        self._root = psutil.Process(pid)
        self._known: dict[int, psutil.Process] = {pid: self._root}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._violation: tuple[str, str] | None = None
        self._baseline: int | None = None  # the worker's own footprint, measured when it says hello
        self._thread = threading.Thread(target=self._run, name=f"sandbox-watchdog-{pid}", daemon=True)

    @property
    def violation(self) -> tuple[str, str] | None:
        """``(kind, detail)`` of the limit that was exceeded, or ``None``."""
        with self._lock:
            return self._violation

    def start(self) -> None:
        self._thread.start()

    def set_baseline(self) -> None:
        """Record the current footprint as the worker's own (not charged to the student); enables the memory cap."""
        baseline = self.memory()
        with self._lock:
            self._baseline = baseline

    def memory(self) -> int:
        """Private resident bytes of the worker and its descendants."""
        return sum(_private_memory(process) for process in self._processes())

    def stop(self) -> None:
        """Stop polling (returns once the thread has finished its current check)."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()

    def kill(self) -> None:
        """SIGKILL the worker's process group and every descendant seen so far (the worker itself is not reaped)."""
        processes = self._processes()
        try:
            os.killpg(self._pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        for process in processes:
            try:
                process.kill()  # psutil checks the process is still the one it saw (no pid reuse)
            except psutil.Error:
                pass

    # -- internals ---------------------------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.wait(_WATCHDOG_INTERVAL_S):
            self._check()

    def _check(self) -> None:
        with self._lock:
            baseline = self._baseline
        if baseline is not None:
            used = self.memory() - baseline
            if used > self._limits.memory_mb * _MIB:
                detail = f"{used / _MIB:.0f} MiB > {self._limits.memory_mb} MiB"
                self._flag("memory", f"{detail} (on top of the worker's own {baseline / _MIB:.0f} MiB)")
                return
        try:
            size = self._log_path.stat().st_size
        except OSError:
            return
        if size > self._limits.max_log_bytes:
            self._flag("output", f"{size} bytes of output > {self._limits.max_log_bytes} bytes")

    def _flag(self, kind: str, detail: str) -> None:
        with self._lock:
            if self._violation is None:
                self._violation = (kind, detail)
        self.kill()
        self._stop.set()

    def _processes(self) -> list[psutil.Process]:
        """The worker, its current descendants, and earlier-seen descendants that still run."""
        try:
            for child in self._root.children(recursive=True):
                self._known.setdefault(child.pid, child)
        except psutil.Error:
            pass
        alive = []
        for pid, process in list(self._known.items()):
            try:
                running = process.is_running() and process.status() != psutil.STATUS_ZOMBIE
            except psutil.Error:
                running = False
            if running:
                alive.append(process)
            elif pid != self._pid:
                self._known.pop(pid, None)
        return alive


def _private_memory(process: psutil.Process) -> int:
    """Resident anonymous + shared-memory bytes of a process (file-backed pages such as libraries excluded)."""
    try:
        with open(f"/proc/{process.pid}/status", "rb") as f:
            fields = dict(line.split(b":", 1) for line in f.read().splitlines() if b":" in line)
        return sum(int(fields[key].split()[0]) * 1024 for key in (b"RssAnon", b"RssShmem") if key in fields)
    except (OSError, ValueError):
        try:
            return int(process.memory_info().rss)
        except psutil.Error:
            return 0


@dataclass(eq=False)
class _Worker:
    """One running worker process and the grader's ends of its pipes."""

    process: subprocess.Popen[bytes]
    token: str
    request_fd: int
    reply_fd: int
    log_path: Path
    watchdog: _Watchdog
    device: str = "cpu"
    buffer: bytearray = field(default_factory=bytearray)
    output_mark: int = 0
    stopped: bool = False

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        """Whether the worker process is still running (checked without reaping it)."""
        if self.stopped:
            return False
        try:
            status = os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return False
        return status is None

    def wait_exit(self, seconds: float) -> bool:
        """Wait up to ``seconds`` for the worker to die on its own; whether it did."""
        deadline = time.monotonic() + seconds
        while self.alive():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        return True

    def log_size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0

    def stop(self) -> None:
        """Kill the process group and all known descendants, reap the worker and close the pipes (idempotent)."""
        if self.stopped:
            return
        self.watchdog.stop()
        self.watchdog.kill()
        try:
            self.process.wait(timeout=_REAP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            pass  # stuck in the kernel (D state); SIGKILL is pending, nothing more to do
        self.stopped = True
        for fd in (self.request_fd, self.reply_fd):
            try:
                os.close(fd)
            except OSError:
                pass

    def death(self) -> str:
        """How the (stopped) worker ended, e.g. ``"worker killed by signal SIGSEGV"``."""
        code = self.process.returncode
        if code is None:
            return "worker did not exit"
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            return f"worker killed by signal {name}"
        return f"worker exited with code {code}"


class WorkerSession:
    """Runs a submission's modules in a sandboxed worker process and calls into them.

    Args:
        submission: folder with the student's ``<module>.py`` files.
        modules: module names the grader may call into; only these files are copied into the work dir.
        scratch: a folder owned by the grader for this session (see the module docstring for its layout).
        limits: resource limits.
        gpu: value for ``CUDA_VISIBLE_DEVICES`` in the worker (default: inherited if set).
        run_as: user name to run the worker as; requires the grader to run as root.
        env: extra environment variables for the worker (trusted: added as given).

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
        run_as: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self._closed = True  # until set up; makes __del__/close safe if __init__ fails
        self._worker: _Worker | None = None
        self._lock = threading.RLock()  # held for the whole of a call; close() from another thread kills first
        names = [modules] if isinstance(modules, str) else list(modules)
        for name in names:
            if not isinstance(name, str) or not name.isidentifier():
                raise ValueError(f"module names must be Python identifiers, got {name!r}")
        self.modules: tuple[str, ...] = tuple(dict.fromkeys(names))
        self.limits = limits
        self._run_as = _resolve_user(run_as)
        self._layout = _Layout.under(Path(scratch).resolve())
        self._env = _worker_environment(self._layout, gpu, env)
        self._old_tokens: set[str] = set()
        self._generation = 0
        self._request_id = 0
        self._prepare_scratch(Path(submission))
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
        except Exception:  # noqa: BLE001, S110 - never raise from a finaliser
            pass

    def close(self) -> None:
        """Kill the worker (whole process group) and refuse further calls. Idempotent.

        May be called from another thread (cancellation): the processes are killed at once, so a call in flight
        fails promptly (``WorkerCrashed``), and the clean-up waits for that call to return.
        """
        self._closed = True
        worker = getattr(self, "_worker", None)
        if worker is not None and not worker.stopped:
            worker.watchdog.kill()
        lock = getattr(self, "_lock", None)
        if lock is None:
            return
        with lock:
            if self._worker is not None:
                self._discard(self._worker)

    # -- public API --------------------------------------------------------------------------------------------

    @property
    def work_dir(self) -> Path:
        """The worker's working directory (the scratch copy of the submission)."""
        return self._layout.work

    @property
    def device(self) -> str:
        """``"cuda"`` or ``"cpu"`` as reported by the worker (starts it if needed)."""
        with self._lock:
            return self._ensure_worker().device

    def call(self, target: str, /, *args: Any, timeout: float, seed: int | None = 0, **kwargs: Any) -> Reply:
        """Call ``module.function`` (or ``module.Class.attr`` ...) in the worker with plain-data/handle arguments.

        ``seed`` (``None``: do not reseed) seeds ``random``, NumPy's global RNG and torch before the call.
        ``timeout`` and ``seed`` are the session's: to pass the student's function arguments of those names,
        use :meth:`invoke`.
        """
        return self.invoke(target, args, kwargs, timeout=timeout, seed=seed)

    def invoke(self, target: str, args: Sequence[Any] = (), kwargs: Mapping[str, Any] | None = None, *,
               timeout: float, seed: int | None = 0) -> Reply:
        """Like :meth:`call`, with the function's arguments given as a sequence and a mapping."""
        self._split_target(target)
        return self._request({"op": "call", "target": target}, tuple(args), dict(kwargs or {}), timeout=timeout,
                             seed=seed)

    def call_method(
        self, handle: Handle, method: str, /, *args: Any, timeout: float, seed: int | None = 0, **kwargs: Any
    ) -> Reply:
        """Call ``method`` on the object behind ``handle`` (``"__call__"`` runs a torch module's forward)."""
        return self.invoke_method(handle, method, args, kwargs, timeout=timeout, seed=seed)

    def invoke_method(self, handle: Handle, method: str, args: Sequence[Any] = (),
                      kwargs: Mapping[str, Any] | None = None, *, timeout: float, seed: int | None = 0) -> Reply:
        """Like :meth:`call_method`, with the method's arguments given as a sequence and a mapping."""
        kwargs = dict(kwargs or {})
        if not isinstance(handle, Handle):
            raise TypeError(f"call_method needs a Handle, got {type(handle).__name__}")
        if not isinstance(method, str) or not method.isidentifier():
            raise ValueError(f"bad method name {method!r}")
        message = {"op": "call_method", "handle": handle.id, "method": method}
        return self._request(message, args, kwargs, timeout=timeout, seed=seed, handle=handle)

    def get(self, target: str, *, timeout: float) -> Reply:
        """Read a module attribute (``"module.NAME"``); importing the module counts against ``timeout``."""
        self._split_target(target)
        return self._request({"op": "get", "target": target}, (), {}, timeout=timeout, seed=0)

    def release(self, handle: Handle, *, timeout: float = 10) -> None:
        """Drop the worker's reference to ``handle``'s object (the handle becomes unknown)."""
        if not isinstance(handle, Handle):
            raise TypeError(f"release needs a Handle, got {type(handle).__name__}")
        self._request({"op": "release", "handle": handle.id}, (), {}, timeout=timeout, seed=None, handle=handle)

    def restart(self) -> None:
        """Kill the worker; the next call starts a fresh process in the same work dir (old handles die)."""
        with self._lock:
            self._check_open()
            if self._worker is not None:
                self._discard(self._worker)

    def path(self, relpath: str | os.PathLike[str]) -> Path:
        """Absolute grader-side path of a file or folder the student code left in the work dir.

        Refuses absolute paths, ``..`` and any symlink along the way (``ValueError``); ``FileNotFoundError`` if
        absent. The worker may still be running: copy or load the file promptly.
        """
        relative = PurePosixPath(os.fspath(relpath))
        if relative.is_absolute() or not relative.parts or ".." in relative.parts:
            raise ValueError(f"path must be relative to the work dir without '..', got {os.fspath(relpath)!r}")
        current = self._layout.work
        for part in relative.parts:
            current = current / part
            info = os.lstat(current)  # FileNotFoundError if absent
            if stat.S_ISLNK(info.st_mode):
                raise ValueError(f"{os.fspath(relpath)!r} goes through a symlink ({part!r})")
        if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
            raise ValueError(f"{os.fspath(relpath)!r} is not a regular file or folder")
        return current

    # -- set-up ------------------------------------------------------------------------------------------------

    def _prepare_scratch(self, submission: Path) -> None:
        layout = self._layout
        layout.root.mkdir(parents=True, exist_ok=True)
        for folder in (layout.work, layout.exchange, layout.logs, layout.runtime, layout.home, layout.tmp):
            if folder.is_symlink() or folder.is_file():
                folder.unlink()
            elif folder.exists():
                shutil.rmtree(folder)
            folder.mkdir(mode=0o700)
        for name in self.modules:
            source = submission / f"{name}.py"
            try:
                info = os.lstat(source)
            except FileNotFoundError:
                continue
            if stat.S_ISREG(info.st_mode):  # a symlink could point at solutions or hidden checks: not copied
                shutil.copyfile(source, layout.work / source.name)
        here = Path(__file__).resolve().parent
        for name in _RUNTIME_FILES:
            shutil.copyfile(here / name, layout.runtime / name)
            (layout.runtime / name).chmod(0o644)
        layout.runtime.chmod(0o755)
        if self._run_as is not None:
            _check_reachable(layout.root, self._run_as)
            for folder in layout.worker_dirs():
                _chown_tree(folder, self._run_as)

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

    # -- worker lifecycle --------------------------------------------------------------------------------------

    def _ensure_worker(self) -> _Worker:
        """The running worker; start one if there is none. A worker that died between calls is reported here."""
        self._check_open()
        worker = self._worker
        if worker is not None:
            if worker.alive() and worker.watchdog.violation is None:
                return worker
            mark = worker.output_mark
            violation = worker.watchdog.violation
            self._discard(worker)
            error: WorkerError
            if violation is not None:
                error = LimitExceeded(*violation)
            else:
                error = WorkerCrashed(f"{worker.death()} between calls")
            error.output = self._output(worker, mark)
            raise error
        return self._start()

    def _start(self) -> _Worker:
        layout = self._layout
        self._generation += 1
        log_path = layout.logs / f"worker-{self._generation}.log"
        request_read, request_write = os.pipe()
        reply_read, reply_write = os.pipe()
        log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND | os.O_CLOEXEC, 0o600)
        command = [
            sys.executable, "-s", "-P", "-B", "-u", str(layout.runtime / "worker.py"),
            "--request-fd", str(request_read),
            "--reply-fd", str(reply_write),
            "--exchange", str(layout.exchange),
            "--modules", ",".join(self.modules),
            "--parent-pid", str(os.getpid()),
        ]  # fmt: skip
        user: dict[str, Any] = {}
        if self._run_as is not None:
            user = {"user": self._run_as.uid, "group": self._run_as.gid, "extra_groups": []}
        try:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log_fd,
                stderr=log_fd,
                pass_fds=(request_read, reply_write),
                cwd=layout.work,
                env=self._env,
                start_new_session=True,
                **user,
            )
        except BaseException as exc:
            os.close(request_write)
            os.close(reply_read)
            if isinstance(exc, PermissionError) and self._run_as is not None:
                raise PermissionError(
                    f"run_as user {self._run_as.name!r} cannot start {sys.executable}: the interpreter and its "
                    f"packages must be readable and executable for that user ({exc})"
                ) from exc
            raise
        finally:
            os.close(request_read)
            os.close(reply_write)
            os.close(log_fd)
        os.set_blocking(request_write, False)
        watchdog = _Watchdog(process.pid, log_path, self.limits)
        worker = _Worker(process, secrets.token_hex(8), request_write, reply_read, log_path, watchdog)
        watchdog.start()
        try:
            startup = self.limits.startup_timeout_s
            hello = self._receive(worker, time.monotonic() + startup, None, timeout=startup, starting=True)
        except WorkerError as exc:
            exc.output = self._output(worker, 0)
            raise
        except BaseException:
            self._discard(worker)
            raise
        device = hello.get("device")
        if hello.get("hello") is not True or hello.get("pid") != process.pid or device not in ("cpu", "cuda"):
            self._fail(worker, ProtocolError(f"bad hello from worker: {hello!r}"[:500]))
        worker.device = device
        watchdog.set_baseline()
        worker.output_mark = worker.log_size()
        self._worker = worker
        return worker

    def _discard(self, worker: _Worker) -> None:
        """Stop ``worker`` for good: kill its processes, forget its handles, clear the exchange folder."""
        worker.stop()
        self._old_tokens.add(worker.token)
        if self._worker is worker:
            self._worker = None
        _clear_folder(self._layout.exchange)

    def _fail(self, worker: _Worker, error: WorkerError) -> NoReturn:
        """Discard the worker and raise ``error`` (a reply we cannot trust leaves the worker in an unknown state)."""
        self._discard(worker)
        raise error

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
    ) -> Reply:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout < math.inf:
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63):
            raise ValueError(f"seed must be a non-negative int or None, got {seed!r}")
        if handle is not None:  # before (re)starting a worker for nothing
            self._check_handle(self._worker, handle)
        worker = self._ensure_worker()
        exchange = Exchange(self._layout.exchange, "g", max_file_bytes=self.limits.memory_mb * _MIB)
        encoder = Encoder(exchange, check_handle=lambda h: self._check_handle(worker, h))
        decoder = Decoder(exchange, on_handle=lambda h: dataclasses.replace(h, worker=worker.token))
        try:
            if message["op"] in ("call", "call_method"):
                message["args"] = encoder.encode(list(args))
                message["kwargs"] = encoder.encode(dict(kwargs))
            self._request_id += 1
            request_id, nonce = self._request_id, secrets.token_hex(16)
            message.update(id=request_id, nonce=nonce, seed=seed)
            data = (json.dumps(message, allow_nan=True, separators=(",", ":")) + "\n").encode()
            start = worker.log_size()
            started = time.monotonic()
            deadline = started + timeout
            try:
                self._expect_silence(worker)
                self._send(worker, data, deadline, timeout)
                reply = self._receive(worker, deadline, (request_id, nonce), timeout=timeout)
                value = self._interpret(worker, reply, decoder)
                self._check_limits(worker)
            except WorkerError as exc:
                exc.output = self._output(worker, start)
                raise
            except BaseException:
                self._discard(worker)  # interrupted mid-request: the worker's state is unknown
                raise
            seconds = time.monotonic() - started
            output = self._output(worker, start)
            worker.output_mark = worker.log_size()
            return Reply(value=value, output=output, seconds=seconds)
        finally:
            encoder.discard()
            exchange.remove(decoder.files)

    def _check_handle(self, worker: _Worker | None, handle: Handle) -> None:
        if worker is not None and handle.worker == worker.token:
            return
        if handle.worker in self._old_tokens:
            raise ProtocolError(f"handle #{handle.id} ({handle.type}) belongs to a worker that was restarted")
        raise ProtocolError(f"handle #{handle.id} ({handle.type}) does not belong to this session's worker")

    def _expect_silence(self, worker: _Worker) -> None:
        """Between calls the reply pipe must be empty: anything there was forged, or is the real reply to a call
        whose answer a student forged (the worker can no longer be trusted)."""
        readable = _ready(worker.reply_fd, 0)
        if worker.buffer or readable:
            if readable and not os.read(worker.reply_fd, 1 << 16) and not worker.buffer:
                worker.wait_exit(_EXIT_GRACE_S)
                self._fail_dead(worker)
            self._fail(worker, ProtocolError("unexpected data on the reply pipe between calls (forged reply?)"))

    def _send(self, worker: _Worker, data: bytes, deadline: float, timeout: float) -> None:
        view = memoryview(data)
        while view:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._fail(worker, WorkerTimeout(timeout))
            if not _ready(worker.request_fd, min(remaining, _WATCHDOG_INTERVAL_S), write=True):
                if not worker.alive():
                    self._fail_dead(worker)
                continue
            try:
                written = os.write(worker.request_fd, view)
            except BlockingIOError:
                continue
            except BrokenPipeError:
                worker.wait_exit(_EXIT_GRACE_S)
                self._fail_dead(worker)
            view = view[written:]

    def _receive(
        self,
        worker: _Worker,
        deadline: float,
        expected: tuple[int, str] | None,
        *,
        timeout: float,
        starting: bool = False,
    ) -> dict[str, Any]:
        """Wait for the next reply line and check it answers ``expected`` ``(id, nonce)`` (``None``: the hello)."""
        while True:
            newline = worker.buffer.find(b"\n")
            if newline >= 0:
                line = bytes(worker.buffer[:newline])
                del worker.buffer[: newline + 1]
                return self._parse_reply(worker, line, expected)
            if len(worker.buffer) > self.limits.message_bytes:
                self._fail(worker, ProtocolError(f"reply line longer than {self.limits.message_bytes} bytes"))
            if worker.watchdog.violation is not None:
                self._fail_dead(worker)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._fail(worker, WorkerTimeout(timeout))
            if _ready(worker.reply_fd, min(remaining, _WATCHDOG_INTERVAL_S)):
                chunk = os.read(worker.reply_fd, 1 << 20)
                if chunk:
                    worker.buffer += chunk
                    continue
                if not worker.wait_exit(_EXIT_GRACE_S):
                    self._fail(worker, ProtocolError("worker closed its reply pipe"))
                self._fail_dead(worker, starting=starting)
            elif not worker.alive():
                if not _ready(worker.reply_fd, 0):  # otherwise: loop once more and read what it wrote before dying
                    self._fail_dead(worker, starting=starting)

    def _fail_dead(self, worker: _Worker, *, starting: bool = False) -> NoReturn:
        """Discard a worker that died (or was killed by the watchdog) and raise the matching error."""
        self._discard(worker)
        violation = worker.watchdog.violation
        if violation is not None:
            raise LimitExceeded(*violation)
        suffix = " during start-up" if starting else ""
        raise WorkerCrashed(worker.death() + suffix)

    def _parse_reply(self, worker: _Worker, line: bytes, expected: tuple[int, str] | None) -> dict[str, Any]:
        try:
            reply = json.loads(line)
        except (ValueError, RecursionError):
            self._fail(worker, ProtocolError(f"malformed line on the reply pipe: {line[:200]!r}"))
        if not isinstance(reply, dict):
            self._fail(worker, ProtocolError(f"malformed line on the reply pipe: {line[:200]!r}"))
        if expected is not None:
            request_id, nonce = expected
            if type(reply.get("id")) is not int or reply["id"] != request_id or reply.get("nonce") != nonce:
                self._fail(
                    worker,
                    ProtocolError(f"reply does not answer request {request_id} (forged or stale line on the pipe)"),
                )
        return reply

    def _interpret(self, worker: _Worker, reply: dict[str, Any], decoder: Decoder) -> Any:
        """The value of a well-formed reply, or the error it reports."""
        if reply.get("ok") is True:
            if "value" not in reply:
                self._fail(worker, ProtocolError("reply without a value"))
            try:
                return decoder.decode(reply["value"])
            except CodecError as exc:
                self._fail(worker, ProtocolError(f"malformed value in reply: {exc}"))
        error = reply.get("error")
        if reply.get("ok") is not False or not isinstance(error, dict):
            self._fail(worker, ProtocolError("reply is neither a value nor an error"))
        kind, type_name, text, trace = (error.get(key) for key in ("kind", "type", "message", "traceback"))
        if not all(isinstance(item, str) for item in (kind, type_name, text, trace)):
            self._fail(worker, ProtocolError("malformed error in reply"))
        if kind == "student":
            raise StudentError(type_name, text, trace)
        if kind in ("request", "internal"):
            raise ProtocolError(f"worker refused the request: {text}")  # the worker itself is fine
        self._fail(worker, ProtocolError(f"unknown error kind {kind!r} in reply"))

    def _check_limits(self, worker: _Worker) -> None:
        """After a reply: the call fails if the worker exceeded a limit meanwhile."""
        violation = worker.watchdog.violation
        if violation is not None:
            self._fail(worker, LimitExceeded(*violation))
        size = worker.log_size()
        if size > self.limits.max_log_bytes:
            self._fail(worker, LimitExceeded("output", f"{size} bytes of output > {self.limits.max_log_bytes} bytes"))

    def _output(self, worker: _Worker, start: int) -> str:
        return _read_output(worker.log_path, start, self.limits.output_bytes)


# -- helpers -----------------------------------------------------------------------------------------------------


def _ready(fd: int, seconds: float, *, write: bool = False) -> bool:
    """Whether ``fd`` becomes readable (or writable) within ``seconds``; EOF and errors count as ready.

    ``poll`` rather than ``select``: a long-running grader may hold file descriptors above ``FD_SETSIZE``.
    """
    poller = select.poll()
    poller.register(fd, select.POLLOUT if write else select.POLLIN)
    return bool(poller.poll(max(0, math.ceil(seconds * 1000))))


def _read_output(path: Path, start: int, cap: int) -> str:
    """Log bytes from ``start`` to the end, at most ``cap`` bytes: head and tail kept around a cut marker."""
    try:
        with open(path, "rb") as f:
            end = f.seek(0, os.SEEK_END)
            if start > end:  # the student truncated their own log
                start = 0
            size = end - start
            f.seek(start)
            if size <= cap:
                return f.read(size).decode("utf-8", "replace")
            keep = max(cap - len(f"\n[... {size} bytes cut ...]\n"), 0)
            head = _utf8_head(f.read(keep // 2))
            f.seek(end - (keep - keep // 2))
            tail = _utf8_tail(f.read(keep - keep // 2))
    except OSError:
        return ""
    cut = size - len(head) - len(tail)
    return f"{head.decode('utf-8', 'replace')}\n[... {cut} bytes cut ...]\n{tail.decode('utf-8', 'replace')}"


def _utf8_head(data: bytes) -> bytes:
    """``data`` without a UTF-8 character cut off at its end."""
    lead = len(data) - 1
    while lead >= 0 and len(data) - lead <= 3 and 0x80 <= data[lead] < 0xC0:
        lead -= 1
    if lead >= 0 and data[lead] >= 0xC0:
        needed = 2 if data[lead] < 0xE0 else 3 if data[lead] < 0xF0 else 4
        if len(data) - lead < needed:
            return data[:lead]
    return data


def _utf8_tail(data: bytes) -> bytes:
    """``data`` without the continuation bytes of a UTF-8 character cut off at its start."""
    skip = 0
    while skip < min(3, len(data)) and 0x80 <= data[skip] < 0xC0:
        skip += 1
    return data[skip:]


def _clear_folder(folder: Path) -> None:
    """Delete everything inside ``folder`` (not following symlinks)."""
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
        except FileNotFoundError:
            pass


def _worker_environment(layout: _Layout, gpu: str | None, extra: Mapping[str, str] | None) -> dict[str, str]:
    """The worker's complete environment (nothing is inherited unless listed here)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "HOME": str(layout.home),
        "TMPDIR": str(layout.tmp),
        "MPLBACKEND": "Agg",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "CUBLAS_WORKSPACE_CONFIG": ":4096:8",
    }
    if "OMP_NUM_THREADS" in os.environ:
        env["OMP_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"]
    devices = gpu if gpu is not None else os.environ.get("CUDA_VISIBLE_DEVICES")
    if devices is not None:
        env["CUDA_VISIBLE_DEVICES"] = devices
    for key, value in (extra or {}).items():
        if not isinstance(key, str) or not isinstance(value, str) or not key or "=" in key:
            raise ValueError(f"bad environment entry {key!r}={value!r}")
        env[key] = value
    return env


def _resolve_user(name: str | None) -> _RunAs | None:
    if name is None:
        return None
    if os.geteuid() != 0:
        raise PermissionError(f"run_as={name!r} needs the grader to run as root (euid is {os.geteuid()})")
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise ValueError(f"run_as: no such user {name!r}") from None
    if entry.pw_uid == 0:
        raise ValueError(f"run_as={name!r} is root; name an unprivileged user")
    return _RunAs(name, entry.pw_uid, entry.pw_gid)


def _check_reachable(folder: Path, user: _RunAs) -> None:
    """Raise if ``user`` cannot traverse every ancestor of ``folder`` (e.g. a 0700 /tmp/pytest-of-root)."""
    for ancestor in [*reversed(folder.parents), folder]:
        info = ancestor.stat()
        mode = info.st_mode
        if info.st_uid == user.uid:
            ok = bool(mode & stat.S_IXUSR)
        elif info.st_gid == user.gid:
            ok = bool(mode & stat.S_IXGRP)
        else:
            ok = bool(mode & stat.S_IXOTH)
        if not ok:
            raise PermissionError(
                f"run_as user {user.name!r} cannot reach the scratch folder: {ancestor} is mode {stat.filemode(mode)}"
            )


def _chown_tree(folder: Path, user: _RunAs) -> None:
    for root, dirs, files in os.walk(folder):
        for name in [*dirs, *files]:
            os.chown(os.path.join(root, name), user.uid, user.gid, follow_symlinks=False)
    os.chown(folder, user.uid, user.gid)
