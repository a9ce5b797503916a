"""The grader's end of the worker protocol: JSON lines over two pipes, and what a reply may say.

The grader writes one request line on the request pipe and reads reply lines from the reply pipe (the format is
described in ``worker.py``). Everything read is untrusted: a reply must answer the request's id and nonce, be a
JSON object of the documented shape, and stay under ``Limits.message_bytes``. This module only moves and checks
bytes; it raises :class:`ChannelEvent` subclasses that the session turns into the errors of :mod:`.errors`.
"""

from __future__ import annotations

import json
import math
import os
import re
import select
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import ProtocolError, StudentError
from .runtime.output import MESSAGE_BYTES, TRACEBACK_BYTES, TYPE_NAME_BYTES, cap

__all__ = ["Channel", "Closed", "Expired", "Gone", "Refused", "check_error", "parse_reply", "ready"]


class Refused(ProtocolError):
    """The worker refused a request it could not understand (a stale handle, a bad field); the worker is fine."""


class ChannelEvent(Exception):
    """Something other than a reply line happened on the channel."""


class Expired(ChannelEvent):
    """The deadline passed."""


class Closed(ChannelEvent):
    """The worker closed its end of a pipe."""


class Gone(ChannelEvent):
    """The worker is no longer running (or a limit was hit): no reply will come."""


@dataclass
class Channel:
    """The grader's ends of one worker's pipes (``request_fd`` non-blocking) and the unread reply bytes."""

    request_fd: int
    reply_fd: int
    max_line: int
    buffer: bytearray = field(default_factory=bytearray)

    def pending(self) -> bool:
        """Whether anything arrived that no request asked for (between calls the reply pipe must be empty)."""
        return bool(self.buffer) or ready(self.reply_fd, 0)

    def drain_is_eof(self) -> bool:
        """Read what is pending; whether it was only the end of the pipe (the worker died between calls)."""
        return not self.buffer and not os.read(self.reply_fd, 1 << 16)

    def send(self, data: bytes, deadline: float, alive: Callable[[], bool], poll_s: float) -> None:
        """Write all of ``data`` before ``deadline``; raises :class:`Expired`, :class:`Closed` or :class:`Gone`."""
        view = memoryview(data)
        while view:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise Expired
            if not ready(self.request_fd, min(remaining, poll_s), write=True):
                if not alive():
                    raise Gone
                continue
            try:
                written = os.write(self.request_fd, view)
            except BlockingIOError:
                continue
            except BrokenPipeError:
                raise Closed from None
            view = view[written:]

    def receive(self, deadline: float, alive: Callable[[], bool], poll_s: float) -> bytes:
        """The next reply line (without its newline); raises :class:`Expired`, :class:`Closed`, :class:`Gone`
        (``alive`` returning ``False`` also covers a limit hit) or :class:`ProtocolError` for an over-long line."""
        while True:
            newline = self.buffer.find(b"\n")
            if newline >= 0:
                line = bytes(self.buffer[:newline])
                del self.buffer[: newline + 1]
                return line
            if len(self.buffer) > self.max_line:
                raise ProtocolError(f"reply line longer than {self.max_line} bytes")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise Expired
            if ready(self.reply_fd, min(remaining, poll_s)):
                chunk = os.read(self.reply_fd, 1 << 20)
                if not chunk:
                    raise Closed
                self.buffer += chunk
            elif not alive() and not ready(self.reply_fd, 0):  # else: read what it wrote before dying
                raise Gone

    def close(self) -> None:
        for fd in (self.request_fd, self.reply_fd):
            try:
                os.close(fd)
            except OSError:
                pass


def ready(fd: int, seconds: float, *, write: bool = False) -> bool:
    """Whether ``fd`` becomes readable (or writable) within ``seconds``; EOF and errors count as ready.

    ``poll`` rather than ``select``: a long-running grader may hold file descriptors above ``FD_SETSIZE``.
    """
    poller = select.poll()
    poller.register(fd, select.POLLOUT if write else select.POLLIN)
    return bool(poller.poll(max(0, math.ceil(seconds * 1000))))


_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')  # a JSON string, escapes included
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")


def json_shape(line: bytes) -> tuple[int, int]:
    """``(values, depth)``: bounds on the number of values (scalars, lists and objects) in the JSON text ``line``
    and on how deep its lists and objects nest, found without decoding it (strings' contents do not count)."""
    bare = _STRING.sub(b'""', line)
    values = bare.count(b",") + bare.count(b"[") + bare.count(b"{") + 1
    brackets = np.frombuffer(bare.translate(None, _NOT_BRACKET), dtype=np.uint8)
    if not len(brackets):
        return values, 0
    steps = np.where((brackets == ord("[")) | (brackets == ord("{")), 1, -1)
    return values, int(np.cumsum(steps, dtype=np.int64).max())


def parse_reply(line: bytes, expected: tuple[int, str] | None, *, max_values: int = 1_000_000,
                max_depth: int = 256) -> dict[str, Any]:
    """The JSON object on ``line``, checked to answer ``expected`` ``(id, nonce)`` (``None``: the hello).

    Before it is decoded, a line with more than ``max_values`` values or nested deeper than ``max_depth`` is refused:
    bytes alone do not bound the judge's memory (a 30 MB line of empty lists decodes to 2.6 GB of Python objects).
    """
    values, depth = json_shape(line)
    if values > max_values or depth > max_depth:
        raise ProtocolError(f"reply refused before decoding: about {values} JSON values nested {depth} deep (at most "
                            f"{max_values} values nested {max_depth} deep; arrays travel as .npy files)")
    try:
        reply = json.loads(line)
    except (ValueError, RecursionError):
        raise ProtocolError(f"malformed line on the reply pipe: {line[:200]!r}") from None
    if not isinstance(reply, dict):
        raise ProtocolError(f"malformed line on the reply pipe: {line[:200]!r}")
    if expected is not None:
        request_id, nonce = expected
        if type(reply.get("id")) is not int or reply["id"] != request_id or reply.get("nonce") != nonce:
            raise ProtocolError(f"reply does not answer request {request_id} (forged or stale line on the pipe)")
    return reply


def check_error(reply: dict[str, Any]) -> None:
    """Raise what an error reply reports: :class:`StudentError` for the student's exceptions, else
    :class:`Refused` when the worker refused the request, else :class:`ProtocolError` (the worker is no longer
    trusted)."""
    error = reply.get("error")
    if reply.get("ok") is not False or not isinstance(error, dict):
        raise ProtocolError("reply is neither a value nor an error")
    kind, type_name, text, trace = (error.get(key) for key in ("kind", "type", "message", "traceback"))
    if not all(isinstance(item, str) for item in (kind, type_name, text, trace)):
        raise ProtocolError("malformed error in reply")
    if kind == "student":  # capped here too: student code can replace the worker's own cap
        raise StudentError(cap(type_name, TYPE_NAME_BYTES), cap(text, MESSAGE_BYTES), cap(trace, TRACEBACK_BYTES))
    if kind in ("request", "internal"):
        raise Refused(f"worker refused the request: {text}")
    raise ProtocolError(f"unknown error kind {kind!r} in reply")
