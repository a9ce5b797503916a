"""Resource limits for one sandboxed worker process."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Limits"]


@dataclass(frozen=True)
class Limits:
    """Resource limits enforced by the grader on a worker: memory, disk and processes by the watchdog
    (``confine/watchdog.py``), the rlimits and the cgroup where the process starts (``confine/process.py``,
    ``runtime/process_setup.py``), the time of each call by the conversation (``sandbox/conversation.py``).

    Attributes:
        memory_mb: memory the student's code may use, summed over the worker and all its descendants. What is
            charged is *private* resident memory (``RssAnon + RssShmem`` from ``/proc/<pid>/status``), not plain
            RSS: the shared libraries of a CUDA build of torch alone map ~430 MiB of file-backed pages into every
            process, page cache shared with every other process. And it is charged on top of the worker's own
            start-up footprint (Python + NumPy + torch: ~370 MiB private, plus the CUDA context on a GPU),
            measured when the worker says hello, so a 400 MiB cap means 400 MiB for the student. Shared memory that
            no process maps is charged too, where it lives: memory files (``memfd_create``) the worker holds open,
            and the sandbox's ``/dev/shm`` and ``/tmp`` (memory-backed; at the ``user`` level, the files of the
            worker's uid in the machine's ``/dev/shm``). A worker above the cap is killed (whole process group) by
            a watchdog thread that polls every 0.1 s, so a fast allocation can
            overshoot the cap briefly. Not ``RLIMIT_AS``: that breaks CUDA.
        output_bytes: the captured output returned with each call is cut to at most this many bytes (head and
            tail kept, with a ``"[... N bytes cut ...]"`` marker in between).
        max_log_bytes: a worker whose total stdout+stderr exceeds this is killed (``LimitExceeded("output")``).
        startup_timeout_s: how long the worker may take to start (import numpy and its preloaded libraries) and say
            hello.
        message_bytes: the longest reply line (JSON) accepted from the worker; arrays travel as ``.npy`` files
            and are bounded by ``reply_bytes``.
        reply_bytes: the most the grader decodes from one reply: its JSON text plus every array, counted from the
            ``.npy`` headers before anything is loaded (``codec.Decoder``); a larger reply is refused
            (``ProtocolError``) without being materialised. The course sets it from ``limits.reply_mb``.
        reply_files: the most arrays (exchange files) one reply may hold.
        reply_values: the most JSON values (numbers, strings, lists, objects) one reply line may hold, counted before
            it is decoded: bytes alone do not bound what decoding allocates (an empty list is 3 bytes of JSON and
            56 bytes of Python).
        reply_depth: how deep the lists and objects of one reply line may nest, checked before it is decoded.
        max_processes: processes the worker may have at once (a fork bomb is killed). Set inside the worker as
            ``RLIMIT_NPROC`` where the kernel enforces it (not for root), counted by the watchdog everywhere, and
            the ``pids.max`` of the worker's cgroup where the machine delegates one.
        disk_mb: bytes the worker may write into its writable folders in all (the watchdog walks them, and counts
            the unlinked files its processes hold open there, e.g. ``O_TMPFILE``), and the largest single file
            (``RLIMIT_FSIZE``, set inside the worker).
        max_files: files and folders the worker may create in its writable folders.
        max_open_files: ``RLIMIT_NOFILE`` inside the worker.
        tmp_mb: size of the private ``/tmp`` (a memory-backed tmpfs) under bubblewrap.
    """

    memory_mb: int = 4096
    output_bytes: int = 64 * 1024
    max_log_bytes: int = 16 * 1024 * 1024
    startup_timeout_s: float = 120.0
    message_bytes: int = 64 * 1024 * 1024
    reply_bytes: int = 256 * 1024 * 1024
    reply_files: int = 10_000
    reply_values: int = 1_000_000
    reply_depth: int = 256
    max_processes: int = 64
    disk_mb: int = 1024
    max_files: int = 10_000
    max_open_files: int = 1024
    tmp_mb: int = 256

    def __post_init__(self) -> None:
        for name in ("memory_mb", "output_bytes", "max_log_bytes", "startup_timeout_s", "message_bytes",
                     "reply_bytes", "reply_files", "reply_values", "reply_depth",
                     "max_processes", "disk_mb", "max_files", "max_open_files", "tmp_mb"):
            if not getattr(self, name) > 0:
                raise ValueError(f"Limits.{name} must be positive, got {getattr(self, name)!r}")
        if self.output_bytes < 256:
            raise ValueError(f"Limits.output_bytes must be at least 256, got {self.output_bytes}")
