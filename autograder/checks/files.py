"""Reading the model files a student's code saved, with the judge's memory bounded by a cap the check sets.

A ``.npz`` (``np.savez``) and a ``.pt`` (``torch.save``) are zip archives, and the libraries that load them
allocate what the archive *declares*: each member's uncompressed size (a 3 MB file of deflated zeros may declare
3 GiB) and, inside an ``.npz``, each array's ``.npy`` header (a shape of 2**40 floats is a few bytes of header).
So the archive is inspected before anything is loaded, from its central directory and headers only:

* every member's declared uncompressed size counts against ``max_bytes`` (compressed members at their inflated
  size: Python's ``zipfile`` never yields more than a member declares);
* ``.npz``: every member is a ``.npy`` array whose header gives no object dtype and a size (shape times item
  size) that fits in its member, and the arrays together fit in ``max_bytes``;
* ``.pt``: the pickle (``data.pkl``) is at most :data:`PICKLE_BYTES`; the archive is then written again, member by
  member as Python's ``zipfile`` read them, uncompressed, and ``torch.load(..., weights_only=True)`` reads that
  copy, so PyTorch's own zip reader sees exactly what was inspected.

Every refusal is an :class:`UnsafeFile` whose message is for the student. The paths given are the judge's own
copies (``Context.worker_file``), never files a worker can still change.
"""

from __future__ import annotations

import math
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["MAX_MEMBERS", "PICKLE_BYTES", "UnsafeFile", "read_checkpoint", "read_npz"]

MAX_MEMBERS = 10_000
"""Members an archive may hold (each costs the judge a directory entry and an open)."""
PICKLE_BYTES = 1 << 20
"""The largest ``data.pkl`` of a ``.pt`` (a state dict's pickle is a few KiB; the tensors are separate records)."""
_NPY_HEADER_BYTES = 10_000  # numpy's own default cap on a .npy header


class UnsafeFile(ValueError):
    """The file cannot be read safely or at all; the message says why, for the student."""


def read_npz(path: Path, max_bytes: int) -> dict[str, np.ndarray]:
    """The arrays of the ``.npz`` at ``path`` (loaded with ``allow_pickle=False``) once it passed the inspection."""
    with _archive(path, "np.savez") as archive:
        infos = _members(archive, max_bytes)
        arrays = 0
        for info in infos:
            if not info.filename.endswith(".npy"):
                raise UnsafeFile(f"it holds {info.filename!r}, which is not an array (np.savez writes only .npy "
                                 "members)")
            arrays += _array_bytes(archive, info)
        if arrays > max_bytes:
            raise UnsafeFile(f"its arrays take {_mib(arrays)} in memory, more than the {_mib(max_bytes)} this check "
                             "reads")
    try:
        with np.load(path, allow_pickle=False) as loaded:
            return {key: loaded[key] for key in loaded.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise UnsafeFile(f"np.load(path, allow_pickle=False) cannot read it: {_first_line(exc)}") from None


def read_checkpoint(path: Path, max_bytes: int) -> Any:
    """What ``torch.load(path, weights_only=True, map_location="cpu")`` returns for the ``.pt`` at ``path``, read
    from a copy written beside it once the archive passed the inspection."""
    import pickle

    import torch

    copy = path.with_name(f"{path.stem}-inspected.pt")
    with _archive(path, "torch.save") as archive:
        infos = _members(archive, max_bytes)
        pickles = [info for info in infos if info.filename.endswith("data.pkl")]
        if not pickles:
            raise UnsafeFile("it is not a torch.save checkpoint (no data.pkl)")
        if any(info.file_size > PICKLE_BYTES for info in pickles):
            raise UnsafeFile(f"its data.pkl is over {_mib(PICKLE_BYTES)}: save a state dict of tensors, not Python "
                             "objects")
        with zipfile.ZipFile(copy, "w", zipfile.ZIP_STORED) as clean:
            for info in infos:
                with archive.open(info) as member, clean.open(info.filename, "w") as out:
                    _copy_member(member, out, info)
    try:
        return torch.load(copy, weights_only=True, map_location="cpu")
    except (pickle.UnpicklingError, RuntimeError, ValueError, EOFError, OSError) as exc:
        raise UnsafeFile(f"torch.load(path, weights_only=True) cannot read it: save tensors and plain values, not "
                         f"the model object ({_first_line(exc)})") from None
    finally:
        copy.unlink(missing_ok=True)


def _archive(path: Path, writer: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnsafeFile(f"it is not the zip archive {writer} writes ({_first_line(exc)})") from None


def _members(archive: zipfile.ZipFile, max_bytes: int) -> list[zipfile.ZipInfo]:
    """The archive's members, once their declared sizes passed the caps."""
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise UnsafeFile(f"it holds {len(infos)} files, more than {MAX_MEMBERS}")
    declared = sum(info.file_size for info in infos)
    if declared > max_bytes:
        packed = sum(info.compress_size for info in infos)
        raise UnsafeFile(f"it unpacks to {_mib(declared)} ({_mib(packed)} compressed), more than the "
                         f"{_mib(max_bytes)} this check reads")
    return infos


def _array_bytes(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """The memory the ``.npy`` member ``info`` takes once loaded, from its header; refuses what cannot be loaded."""
    try:
        with archive.open(info) as member:
            version = np.lib.format.read_magic(member)
            reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, _, dtype = reader(member, max_header_size=_NPY_HEADER_BYTES)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise UnsafeFile(f"{info.filename!r} is not a .npy array ({_first_line(exc)})") from None
    if dtype.hasobject:
        raise UnsafeFile(f"{info.filename!r} holds Python objects (save plain numeric arrays)")
    size = math.prod(shape) * dtype.itemsize
    if size > info.file_size:
        raise UnsafeFile(f"{info.filename!r} declares {_mib(size)} of data in a {_mib(info.file_size)} member")
    return size


def _copy_member(member: Any, out: Any, info: zipfile.ZipInfo) -> None:
    try:
        while chunk := member.read(1 << 20):
            out.write(chunk)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:  # a CRC that does not match, a truncated member
        raise UnsafeFile(f"{info.filename!r} is damaged ({_first_line(exc)})") from None


def _mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:200]
