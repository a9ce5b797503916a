"""Capping the student's output: the one place where printed text, messages and tracebacks are cut.

:func:`cap` keeps at most ``limit`` bytes (UTF-8) of an output: all of it if it fits, else its head and its tail
around a ``"[... N bytes cut ...]"`` marker, never splitting a UTF-8 character. The grader caps what a call
printed (:func:`read_output`, from the worker's log) and each check's collected output; the worker caps the
messages and tracebacks of student exceptions before they cross the wire.

Loaded inside the untrusted worker as part of its runtime (see ``worker.py``): standard library only.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import BinaryIO

__all__ = ["MESSAGE_BYTES", "TRACEBACK_BYTES", "TYPE_NAME_BYTES", "cap", "read_output"]

MESSAGE_BYTES = 16 * 1024
"""The most a student exception's message may take (cut by the worker, and again by the judge)."""
TRACEBACK_BYTES = 32 * 1024
"""The most a student exception's traceback may take (likewise)."""
TYPE_NAME_BYTES = 256
"""The most a student exception's type name may take (likewise)."""
_MARKER = "\n[... {} bytes cut ...]\n"


def cap(output: str | bytes | BinaryIO, limit: int) -> str:
    """``output`` as text of at most ``limit`` bytes of UTF-8: whole if it fits, else head and tail around a marker.

    ``output``: the text, its bytes, or a binary file positioned where the output starts (it runs to the end of
    the file; only the head and the tail are read, however large the file). Text that fits comes back unchanged;
    bytes are decoded as UTF-8 with replacement characters. ``N`` in the marker counts the bytes left out.
    """
    if isinstance(output, str):
        data = output.encode("utf-8", "surrogatepass")
        if len(data) <= limit:
            return output
        stream: BinaryIO = io.BytesIO(data)
    elif isinstance(output, (bytes, bytearray)):
        stream = io.BytesIO(output)
    else:
        stream = output
    start = stream.tell()
    end = stream.seek(0, os.SEEK_END)
    size = max(end - start, 0)
    stream.seek(start)
    if size <= limit:
        return stream.read(size).decode("utf-8", "replace")
    keep = max(limit - len(_MARKER.format(size)), 0)
    head = _utf8_head(stream.read(keep // 2))
    stream.seek(end - (keep - keep // 2))
    tail = _utf8_tail(stream.read(keep - keep // 2))
    left_out = size - len(head) - len(tail)
    return f"{head.decode('utf-8', 'replace')}{_MARKER.format(left_out)}{tail.decode('utf-8', 'replace')}"


def read_output(path: Path, start: int, limit: int) -> str:
    """What the worker's log ``path`` holds from byte ``start`` on, capped with :func:`cap` ("" if unreadable)."""
    try:
        with open(path, "rb") as f:
            if start > f.seek(0, os.SEEK_END):  # the student truncated their own log
                start = 0
            f.seek(start)
            return cap(f, limit)
    except OSError:
        return ""


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
