"""Taking a file out of the worker's working folder: the judge reads a copy, never a path the worker can change.

A file the student's code wrote (``model.pt``, ``params.npz``) sits where student code may still be running. Opened
by name, it could be swapped for a symlink to the answers, a FIFO that blocks ``open()`` forever, or a file under
a lease that blocks it for 45 s, between the judge's check and its use. So :func:`copy_out` opens it exactly once,
walking down from the working folder one component at a time with ``O_NOFOLLOW`` (a symlink anywhere is refused)
and ``O_NONBLOCK`` (a FIFO or a leased file fails at once instead of blocking), checks on the descriptor that it is
a regular file of at most ``max_bytes``, and copies at most that many bytes into a folder only the judge can write.
Checks then read the copy.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path, PurePosixPath

__all__ = ["copy_out"]

_CHUNK = 1 << 20
_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


def copy_out(work: Path, relpath: str | os.PathLike[str], into: Path, max_bytes: int) -> Path:
    """Copy the regular file ``relpath`` (relative to ``work``) into the folder ``into``; the copy's path.

    Raises ``FileNotFoundError`` if it is absent, ``ValueError`` (with a message for the student) if the path is
    absolute, holds ``..`` or a symlink, is not a regular file, is locked by a lease, or holds more than
    ``max_bytes`` bytes.
    """
    shown = os.fspath(relpath)
    relative = PurePosixPath(shown)
    if relative.is_absolute() or not relative.parts or ".." in relative.parts:
        raise ValueError(f"path must be relative to the working folder without '..', got {shown!r}")
    folder = os.open(work, _DIRECTORY)
    try:
        for part in relative.parts[:-1]:
            below = _open(part, _DIRECTORY, folder, shown)
            os.close(folder)
            folder = below
        source = _open(relative.parts[-1], _FILE, folder, shown)
    finally:
        os.close(folder)
    try:
        info = os.fstat(source)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"{shown!r} is not a regular file")
        if info.st_size > max_bytes:
            raise ValueError(f"{shown!r} is {info.st_size / 2**20:.1f} MiB, more than the {max_bytes / 2**20:.1f} MiB "
                             "this check reads")
        into.mkdir(mode=0o700, exist_ok=True)
        sink, name = tempfile.mkstemp(prefix=f"{relative.stem}-", suffix=relative.suffix, dir=into)
        try:
            _copy(source, sink, max_bytes, shown)
        except BaseException:
            os.unlink(name)
            raise
        finally:
            os.close(sink)
    finally:
        os.close(source)
    return Path(name)


def _copy(source: int, sink: int, max_bytes: int, shown: str) -> None:
    copied = 0
    while chunk := os.read(source, min(_CHUNK, max_bytes + 1 - copied)):
        copied += len(chunk)
        if copied > max_bytes:  # it grew while the judge read it
            raise ValueError(f"{shown!r} grew past {max_bytes / 2**20:.1f} MiB while the judge read it")
        view = memoryview(chunk)
        while view:
            view = view[os.write(sink, view):]


def _open(name: str, flags: int, folder: int, shown: str) -> int:
    try:
        return os.open(name, flags, dir_fd=folder)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            raise FileNotFoundError(errno.ENOENT, f"{shown!r} does not exist in the working folder") from None
        if exc.errno in (errno.ELOOP, errno.EMLINK):
            raise ValueError(f"{shown!r} goes through a symlink ({name!r})") from None
        if exc.errno == errno.ENOTDIR:
            what = "a symlink" if _is_link(name, folder) else "not a folder"
            raise ValueError(f"{shown!r} goes through {name!r}, which is {what}") from None
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            raise ValueError(f"{shown!r} is locked by a process of the submission (a file lease)") from None
        if exc.errno == errno.ENXIO:
            raise ValueError(f"{shown!r} is not a regular file") from None
        raise


def _is_link(name: str, folder: int) -> bool:
    """Whether ``name`` in ``folder`` is a symlink now (for the message only)."""
    try:
        os.readlink(name, dir_fd=folder)
    except OSError:
        return False
    return True
