"""Deterministic zip files: the same entries always give the same bytes.

Every entry gets a fixed timestamp (1980-01-01 00:00, the earliest a zip can hold), fixed Unix permissions
(0o644, or 0o755 for scripts), no extra fields, and the same DEFLATE level; entries are written sorted by
name. Nothing depends on the clock, the umask, the file system's order or who builds the archive, so a release
built twice from the same sources is byte-for-byte identical (and its checksum means something).
"""

from __future__ import annotations

import os
import stat
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

__all__ = ["ZIP_DATE_TIME", "Entry", "read_zip", "write_zip"]

#: The timestamp of every entry.
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
_LEVEL = 9
_UNIX = 3  # "made by" system: Unix, so that unzip honours the permission bits


@dataclass(frozen=True)
class Entry:
    """One file of an archive: its bytes and whether it is executable (0o755) or not (0o644)."""

    data: bytes
    executable: bool = False

    @property
    def mode(self) -> int:
        return 0o755 if self.executable else 0o644

    @classmethod
    def text(cls, text: str, executable: bool = False) -> Entry:
        """A UTF-8 text file with Unix line endings."""
        return cls(text.replace("\r\n", "\n").encode("utf-8"), executable)

    @classmethod
    def file(cls, path: Path, executable: bool = False) -> Entry:
        return cls(Path(path).read_bytes(), executable)


def _check_name(name: str) -> None:
    path = PurePosixPath(name)
    if not name or path.is_absolute() or ".." in path.parts or name.endswith("/") or "\\" in name:
        raise ValueError(f"bad archive entry name {name!r}")


def write_zip(path: Path, entries: Mapping[str, Entry]) -> int:
    """Write ``entries`` (archive name -> :class:`Entry`) to ``path`` deterministically; return its size in bytes.

    The file is written next to ``path`` first and moved into place, so a failed build leaves no half zip.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=_LEVEL) as archive:
            for name in sorted(entries):
                _check_name(name)
                entry = entries[name]
                info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = _UNIX
                info.external_attr = (stat.S_IFREG | entry.mode) << 16
                archive.writestr(info, entry.data, compresslevel=_LEVEL)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path.stat().st_size


def read_zip(path: Path) -> dict[str, Entry]:
    """The files of a zip (directories skipped), with the executable bit read from the Unix permissions."""
    entries: dict[str, Entry] = {}
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            entries[info.filename] = Entry(archive.read(info), bool((info.external_attr >> 16) & 0o111))
    return entries
