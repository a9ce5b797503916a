"""The exchange folder: arrays cross the process boundary as ``.npy`` files, never pickled.

Loaded inside the untrusted worker as part of its runtime (see ``worker.py``): standard library and NumPy only.

Each side writes files under random names with its own prefix (``g`` grader, ``w`` worker), so neither can plant
a file under a name the other will write. A file name taken from a message must be a plain basename
(``[A-Za-z0-9][A-Za-z0-9_-]*.npy``); the file is opened with ``O_NOFOLLOW`` (no symlinks), must be a regular file
no larger than the exchange's ``max_file_bytes``, and its ``.npy`` header must describe exactly the bytes that
follow it (so a forged header cannot make the reader allocate more than the file holds), and no object dtype.
Arrays are written with ``allow_pickle=False`` and read with ``np.load(..., allow_pickle=False)``.

The worker's side (``map_copy``) maps large files copy-on-write instead of reading them: the same file may be sent
to many calls (:mod:`...sent`), and the worker's changes to the array stay private to the process and the call. The
grader never maps a file: a worker could truncate it under the mapping.
"""

from __future__ import annotations

import math
import mmap
import os
import re
import secrets
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .wire import CodecError

__all__ = ["MAP_BYTES", "ArrayHeader", "Exchange"]

MAP_BYTES = 1 << 20
"""Smallest array the worker maps rather than reads (``map_copy``)."""
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}\.npy")


@dataclass(frozen=True)
class ArrayHeader:
    """What an exchange file's ``.npy`` header promises, read (and checked against the file size) before loading.

    Attributes:
        name: the exchange file's basename.
        shape: the array's shape.
        dtype: the array's dtype (never an object dtype).
        file_bytes: the file's size: header plus data.
    """

    name: str
    shape: tuple[int, ...]
    dtype: np.dtype
    file_bytes: int


class Exchange:
    """A directory through which arrays travel as ``.npy`` files.

    Args:
        directory: the exchange directory (created by the grader, outside the worker's working directory).
        prefix: prefix of the file names this side writes (``"g"`` grader, ``"w"`` worker); names are random, so
            the other side cannot plant a file under a name this side will use.
        max_file_bytes: largest file :meth:`load` accepts, ``None`` for no limit.
        map_copy: map files of at least :data:`MAP_BYTES` copy-on-write instead of reading them (the worker only).
    """

    def __init__(self, directory: str | os.PathLike[str], prefix: str, max_file_bytes: int | None = None, *,
                 map_copy: bool = False) -> None:
        if not re.fullmatch(r"[A-Za-z0-9]{1,8}", prefix):
            raise ValueError(f"bad exchange prefix {prefix!r}")
        self.directory = Path(directory)
        self.prefix = prefix
        self.max_file_bytes = max_file_bytes
        self.map_copy = map_copy

    def save(self, array: np.ndarray) -> str:
        """Write ``array`` (no object dtypes) to a new file and return its basename."""
        name = f"{self.prefix}-{secrets.token_hex(10)}.npy"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(self.directory / name, flags, 0o644)
        try:
            os.fchmod(fd, 0o644)  # readable by a worker running as another user, whatever the umask
            with os.fdopen(fd, "wb") as f:
                fd = -1
                np.lib.format.write_array(f, array, allow_pickle=False)
        except BaseException:
            if fd >= 0:
                os.close(fd)
            self.remove([name])
            raise
        return name

    def load(self, name: object, *, admit: Callable[[ArrayHeader], None] | None = None) -> np.ndarray:
        """Read and validate the exchange file ``name`` (as found in a message); raise :class:`CodecError`.

        ``admit`` is called with the validated header before the data is read; it refuses by raising
        :class:`CodecError`.
        """
        if not isinstance(name, str) or not _FILE_NAME.fullmatch(name):
            raise CodecError(f"bad exchange file name {name!r}")
        try:
            fd = os.open(self.directory / name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
        except OSError as exc:
            raise CodecError(f"cannot open exchange file {name!r}: {exc.strerror}") from exc
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            os.close(fd)
            raise CodecError(f"exchange file {name!r} is not a regular file")
        with os.fdopen(fd, "rb") as f:
            if self.max_file_bytes is not None and info.st_size > self.max_file_bytes:
                raise CodecError(f"exchange file {name!r} has {info.st_size} bytes > {self.max_file_bytes}")
            try:
                version = np.lib.format.read_magic(f)
                if version == (1, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
                elif version == (2, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
                else:
                    raise CodecError(f"exchange file {name!r}: unsupported .npy version {version}")
                if dtype.hasobject:
                    raise CodecError(f"exchange file {name!r} holds Python objects")
                offset = f.tell()
                expected = offset + math.prod(shape) * dtype.itemsize
                if expected != info.st_size:
                    raise CodecError(
                        f"exchange file {name!r}: header promises {expected} bytes, file has {info.st_size}"
                    )
                if admit is not None:
                    admit(ArrayHeader(name, tuple(shape), dtype, info.st_size))
                if self.map_copy and expected - offset >= MAP_BYTES:
                    mapping = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY)
                    return np.ndarray(shape, dtype, buffer=mapping, offset=offset, order="F" if fortran else "C")
                f.seek(0)
                return np.load(f, allow_pickle=False)
            except CodecError:
                raise
            except (ValueError, TypeError, OSError, EOFError) as exc:
                raise CodecError(f"exchange file {name!r} is not a valid .npy file: {exc}") from exc

    def remove(self, names: Iterable[str]) -> None:
        """Delete exchange files by name (names that are not plain basenames, or missing files, are skipped)."""
        for name in names:
            if isinstance(name, str) and _FILE_NAME.fullmatch(name):
                try:
                    os.unlink(self.directory / name)
                except FileNotFoundError:
                    pass
