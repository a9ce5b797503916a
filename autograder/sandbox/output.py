"""Reading a worker's log: the student's output of one call, capped with its head and tail kept."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["read_output"]


def read_output(path: Path, start: int, cap: int) -> str:
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
