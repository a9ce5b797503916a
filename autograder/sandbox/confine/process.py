"""One running worker process: started confined, watched, and killed with everything it started.

:func:`start_worker` builds the worker's command line, hands it to the isolation level (which wraps it, e.g. in
``bwrap``), puts the process into a fresh cgroup where the machine delegates one, and starts the watchdog. A
:class:`WorkerProcess` knows how to tell whether the worker still runs, how it ended, and how to stop it for
good: watchdog kill (process group plus every descendant seen), cgroup kill, reap, the level's sweep for strays.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..protocol import Channel
from .cgroup import Cgroup
from .isolation import Isolation
from .limits import Limits
from .scratch import Layout
from .watchdog import Watchdog

__all__ = ["WorkerProcess", "start_worker"]

_MIB = 1024 * 1024
_REAP_TIMEOUT_S = 10.0
_CGROUP_HEADROOM_MB = 3072  # the cgroup's memory cap sits above the watchdog's: interpreter, torch, CUDA context


@dataclass(eq=False)
class WorkerProcess:
    """One running worker process and the grader's ends of its pipes."""

    process: subprocess.Popen[bytes]
    token: str
    channel: Channel
    log_path: Path
    watchdog: Watchdog
    isolation: Isolation
    cgroup: Cgroup | None = None
    device: str = "cpu"
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

    def kill(self) -> None:
        """Kill every process of the worker now (may be called from any thread; reaping is :meth:`stop`'s)."""
        self.watchdog.kill()
        if self.cgroup is not None:
            self.cgroup.kill_all(timeout=0.5)

    def stop(self) -> None:
        """Kill everything the worker started, reap it, close the pipes, remove its cgroup (idempotent)."""
        if self.stopped:
            return
        self.watchdog.stop()
        self.kill()
        try:
            self.process.wait(timeout=_REAP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            pass  # stuck in the kernel (D state); SIGKILL is pending, nothing more to do
        self.stopped = True
        self.channel.close()
        if self.cgroup is not None:
            self.cgroup.remove()
        self.watchdog.kill()  # anything that was still being forked while the group died
        self.isolation.sweep()

    def death(self) -> str:
        """How the (stopped) worker ended, e.g. ``"worker killed by signal SIGSEGV"``."""
        code = self.process.returncode
        if code is None:
            return "worker did not exit"
        signum = -code if code < 0 else code - 128 if self.isolation.namespaced_pids and code > 128 else 0
        if signum:  # bubblewrap reports a child killed by signal N as exit code 128 + N
            try:
                name = signal.Signals(signum).name
            except ValueError:
                name = f"signal {signum}"
            return f"worker killed by signal {name}"
        return f"worker exited with code {code}"


def start_worker(layout: Layout, modules: Sequence[str], *, generation: int, limits: Limits,
                 isolation: Isolation, env: Mapping[str, str], preload: Sequence[str] = ("torch",)) -> WorkerProcess:
    """Start a worker (it has not said hello yet: the session waits for that); it imports the ``preload`` libraries
    (module names, e.g. ``sklearn.tree``) before its hello, others only when the student's code does."""
    log_path = layout.logs / f"worker-{generation}.log"
    request_read, request_write = os.pipe()
    reply_read, reply_write = os.pipe()
    log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND | os.O_CLOEXEC, 0o600)
    rlimits = (f"nproc={limits.max_processes * 8},fsize={limits.disk_mb * _MIB},"
               f"nofile={limits.max_open_files}")  # nproc counts threads too: torch starts a few per process
    parent = 1 if isolation.namespaced_pids else os.getpid()  # under bwrap the worker's parent is the sandbox's init
    command = [
        sys.executable, "-s", "-P", "-B", "-u", str(layout.runtime / "worker.py"),
        "--request-fd", str(request_read), "--reply-fd", str(reply_write), "--exchange", str(layout.exchange),
        "--modules", ",".join(modules), "--parent-pid", str(parent), "--rlimits", rlimits,
        "--preload", ",".join(preload),
    ]  # fmt: skip
    drop = isolation.drop_to()
    if drop is not None:
        command += ["--drop-to", f"{drop[0]}:{drop[1]}"]
    launch = isolation.launch(command, scratch=layout.root, work=layout.work, writable=layout.writable(), env=env)
    cgroup = Cgroup.create(pids_max=limits.max_processes * 8,
                           memory_bytes=(limits.memory_mb + _CGROUP_HEADROOM_MB) * _MIB)
    owner = isolation.worker_owner()
    if cgroup is not None and owner is not None:
        cgroup.allow(*owner)
    try:
        process = subprocess.Popen(
            launch.argv, stdin=subprocess.DEVNULL, stdout=log_fd, stderr=log_fd,
            pass_fds=(request_read, reply_write), cwd=layout.work, env=dict(env), start_new_session=True,
            preexec_fn=cgroup.join_function() if cgroup is not None else None, **launch.popen,
        )  # fmt: skip
    except BaseException:
        os.close(request_write)
        os.close(reply_read)
        if cgroup is not None:
            cgroup.remove()
        raise
    finally:
        os.close(request_read)
        os.close(reply_write)
        os.close(log_fd)
    os.set_blocking(request_write, False)
    watchdog = Watchdog(process.pid, log_path, limits, layout.writable(), elsewhere=isolation.usage_elsewhere)
    channel = Channel(request_write, reply_read, max_line=limits.message_bytes)
    worker = WorkerProcess(process, secrets.token_hex(8), channel, log_path, watchdog, isolation, cgroup)
    watchdog.start()
    return worker
