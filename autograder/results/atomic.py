"""Write files so that readers see the old content or the new one, never half of it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, flush it to disk, then rename it over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_if_changed(path: Path, text: str) -> bool:
    """:func:`write_atomic` ``text`` to ``path`` unless the file already holds exactly that (UTF-8); whether it
    wrote. Generated files that are committed keep their timestamps when nothing changed."""
    path = Path(path)
    try:
        if path.read_bytes() == text.encode("utf-8"):
            return False
    except OSError:
        pass  # missing or unreadable: write it
    write_atomic(path, text)
    return True
