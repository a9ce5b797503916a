"""The watchdog: a thread per worker that kills it when it uses too much memory, output, disk or processes.

It polls every :data:`INTERVAL_S` seconds:

* memory: the *private* resident memory (``RssAnon + RssShmem``) of every process of the worker — the confining
  process (``bwrap``) and everything below it, which under bubblewrap is every process of the sandbox's PID
  namespace — above the worker's own start-up footprint (see
  :class:`~autograder.sandbox.confine.limits.Limits`), plus the shared memory it holds without mapping it,
  counted where it lives: memory files (``memfd_create``) its processes hold open, and what its isolation level
  finds elsewhere (the sandbox's own ``/dev/shm`` and ``/tmp``, or the files of its uid in the machine's ``/dev/shm``);
* processes: how many there are (a fork bomb is also stopped by ``RLIMIT_NPROC`` or a pids cgroup where those
  apply; this count is the backstop that works everywhere);
* output: the size of the worker's log (stdout and stderr);
* disk: the bytes and entries below the worker's writable folders, plus the unlinked files its processes hold open
  there (``O_TMPFILE``, or written and deleted: no walk sees them) and what its level counts elsewhere
  (``RLIMIT_FSIZE`` caps any one file).

It remembers every descendant it has seen, so :meth:`Watchdog.kill` reaches processes that left the worker's
process group (``setsid``) or were re-parented when their parent died.

Descendants are found by walking down from the worker (:func:`descendants`, which reads each thread's
``/proc/<pid>/task/<tid>/children``), so a poll costs in proportion to the worker's own processes. A scan of the
whole process table (what ``psutil.Process.children`` does) cost 1.7 ms on an idle machine, ten times a second
for every worker and warm spare: with many jobs on a busy machine that grows with the square of the jobs.
"""

from __future__ import annotations

import os
import signal
import stat
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import psutil

from .limits import Limits

__all__ = ["INTERVAL_S", "Watchdog", "descendants", "held_files", "private_memory", "used_bytes"]

INTERVAL_S = 0.1
_DISK_EVERY = 5  # the disk is walked every 5th poll (0.5 s): walking a folder costs more than reading /proc
_MIB = 1024 * 1024


class Watchdog:
    """Thread that kills a worker (``pid`` and all its descendants) that exceeds ``limits``.

    Args:
        pid: the process the grader started (the worker, or the process that confines it).
        log_path: the worker's log file (stdout and stderr).
        limits: the limits to enforce.
        folders: the worker's writable folders, whose total size is capped by ``limits.disk_mb``.
    """

    def __init__(self, pid: int, log_path: Path, limits: Limits, folders: Sequence[Path] = (),
                 elsewhere: Callable[[int], tuple[int, int]] | None = None) -> None:
        self._pid = pid
        self._log_path = log_path
        self._limits = limits
        self._folders = tuple(folders)
        self._elsewhere = elsewhere
        self._devices = {os.stat(folder).st_dev for folder in self._folders if folder.exists()}
        self._held = (0, 0)  # memory and disk outside the processes and the folders, as of the last poll
        self._root = psutil.Process(pid)
        self._known: dict[int, psutil.Process] = {pid: self._root}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._violation: tuple[str, str] | None = None
        self._baseline: int | None = None  # the worker's own footprint, measured when it says hello
        self._polls = 0
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
        """Private resident bytes of the worker and its descendants (what :meth:`set_baseline` records)."""
        return sum(private_memory(process.pid) for process in self.processes())

    def stop(self) -> None:
        """Stop polling (returns once the thread has finished its current check)."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()

    def kill(self) -> None:
        """SIGKILL the worker's process group and every descendant seen so far (the worker itself is not reaped)."""
        processes = self.processes()
        try:
            os.killpg(self._pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        for process in processes:
            try:
                process.kill()  # psutil checks the process is still the one it saw (no pid reuse)
            except psutil.Error:
                pass

    def processes(self) -> list[psutil.Process]:
        """The worker, its current descendants, and earlier-seen descendants that still run."""
        for pid in descendants(self._pid):
            if pid not in self._known:
                try:
                    self._known[pid] = psutil.Process(pid)  # remembers its start time: safe against pid reuse
                except psutil.Error:
                    pass  # already gone
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

    # -- internals ---------------------------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.wait(INTERVAL_S):
            self._check()

    def _check(self) -> None:
        self._polls += 1
        processes = self.processes()
        if len(processes) > self._limits.max_processes:
            self._flag("processes", f"{len(processes)} processes > {self._limits.max_processes}")
            return
        self._held = self.held_elsewhere(processes)  # every poll: a memory file or an unlinked file grows fast
        with self._lock:
            baseline = self._baseline
        if baseline is not None:
            resident = sum(private_memory(process.pid) for process in processes) - baseline
            used = resident + self._held[0]
            if used > self._limits.memory_mb * _MIB:
                detail = f"{used / _MIB:.0f} MiB > {self._limits.memory_mb} MiB"
                held = self._held[0]
                shared = f", {held / _MIB:.0f} MiB of it in memory files, /dev/shm, /tmp" if held else ""
                self._flag("memory", f"{detail} (on top of the worker's own {baseline / _MIB:.0f} MiB{shared})")
                return
        try:
            size = self._log_path.stat().st_size
        except OSError:
            size = 0
        if size > self._limits.max_log_bytes:
            self._flag("output", f"{size} bytes of output > {self._limits.max_log_bytes} bytes")
            return
        if self._polls % _DISK_EVERY == 0:
            self.check_disk(held=self._held[1])

    def held_elsewhere(self, processes: Sequence[psutil.Process] | None = None) -> tuple[int, int]:
        """``(memory, disk)`` bytes the worker holds outside its processes' resident memory and the files its
        writable folders list: memory files (``memfd_create``) and unlinked files it keeps open (``O_TMPFILE``, or
        written then deleted), and what its isolation level counts elsewhere (the sandbox's ``/dev/shm``)."""
        processes = self.processes() if processes is None else processes
        memory, disk = held_files([process.pid for process in processes], self._devices)
        if self._elsewhere is not None and processes:
            more_memory, more_disk = self._elsewhere(processes[-1].pid)  # the newest: inside the sandbox, if any
            memory, disk = memory + more_memory, disk + more_disk
        return memory, disk

    def check_disk(self, held: int | None = None) -> None:
        """Walk the writable folders now and flag the worker if they, and the unlinked files it holds (``held``
        bytes; ``None``: look now), take too much. The session also calls this after every reply, so that a call
        which filled the disk and returned before the next poll is the one that fails (not the next, innocent
        call)."""
        if not self._folders:
            return
        if held is None:
            held = self.held_elsewhere()[1]
        used_bytes, entries = disk_usage(self._folders, stop_after=self._limits.max_files + 1)
        used_bytes += held
        if entries > self._limits.max_files:
            self._flag("disk", f"more than {self._limits.max_files} files and folders written")
        elif used_bytes > self._limits.disk_mb * _MIB:
            elsewhere = f" ({held / _MIB:.0f} MiB of it outside its folders: unlinked files, /tmp)" if held else ""
            self._flag("disk", f"{used_bytes / _MIB:.0f} MiB written > {self._limits.disk_mb} MiB{elsewhere}")

    def _flag(self, kind: str, detail: str) -> None:
        with self._lock:
            if self._violation is None:
                self._violation = (kind, detail)
        self.kill()
        self._stop.set()


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid``, found by walking down its tree (parents before their children).

    Reads ``/proc/<pid>/task/<tid>/children`` of every thread (a child is listed under the thread that started it).
    On a kernel without those files (``CONFIG_PROC_CHILDREN`` off) it falls back to psutil, which scans every
    process of the machine.
    """
    if not os.path.exists(f"/proc/{os.getpid()}/task/{threading.get_native_id()}/children"):
        try:
            return [child.pid for child in psutil.Process(pid).children(recursive=True)]
        except psutil.Error:
            return []
    found: list[int] = []
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        try:
            threads = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue  # it has exited
        for thread in threads:
            try:
                with open(f"/proc/{parent}/task/{thread}/children", "rb") as listing:
                    children = [int(child) for child in listing.read().split()]
            except (OSError, ValueError):
                continue
            found += children
            frontier += children
    return found


def disk_usage(folders: Sequence[Path], *, stop_after: int) -> tuple[int, int]:
    """``(bytes, entries)`` below ``folders`` (allocated size, symlinks not followed); stops counting entries at
    ``stop_after`` so that a folder of a million files costs no more than the limit to walk."""
    total, entries = 0, 0
    stack = [str(folder) for folder in folders]
    while stack and entries < stop_after:
        try:
            with os.scandir(stack.pop()) as listing:
                for entry in listing:
                    entries += 1
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    total += info.st_blocks * 512
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
        except OSError:
            continue
    return total, entries


def held_files(pids: Sequence[int], disk_devices: set[int]) -> tuple[int, int]:
    """``(memory, disk)``: the bytes of the memory files (``memfd_create``) the processes ``pids`` hold open, and of
    the unlinked regular files they hold open on ``disk_devices`` (files with a name there are the walk's); each file
    counted once, at its allocated size."""
    seen: set[tuple[int, int]] = set()
    memory = disk = 0
    for pid in pids:
        try:
            descriptors = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for descriptor in descriptors:
            link = f"/proc/{pid}/fd/{descriptor}"
            try:
                info = os.stat(link)
            except OSError:
                continue
            if not stat.S_ISREG(info.st_mode) or (info.st_dev, info.st_ino) in seen:
                continue
            seen.add((info.st_dev, info.st_ino))
            if info.st_dev in disk_devices:
                disk += info.st_blocks * 512 if info.st_nlink == 0 else 0
                continue
            try:
                if os.readlink(link).startswith("/memfd:"):
                    memory += info.st_blocks * 512
            except OSError:
                continue
    return memory, disk


def used_bytes(path: str) -> int:
    """Bytes in use on the file system at ``path`` (0 if it cannot be read)."""
    try:
        info = os.statvfs(path)
    except OSError:
        return 0
    return (info.f_blocks - info.f_bfree) * info.f_frsize


def private_memory(pid: int) -> int:
    """Resident anonymous + shared-memory bytes of a process (file-backed pages such as libraries excluded)."""
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            fields = dict(line.split(b":", 1) for line in f.read().splitlines() if b":" in line)
        return sum(int(fields[key].split()[0]) * 1024 for key in (b"RssAnon", b"RssShmem") if key in fields)
    except (OSError, ValueError):
        try:
            return int(psutil.Process(pid).memory_info().rss)
        except psutil.Error:
            return 0
