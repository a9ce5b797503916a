"""The vocabulary of the wire, shared by every part of the codec: tags, errors and handles.

Loaded inside the untrusted worker as part of its runtime (see ``worker.py``): standard library only, and
relative imports only between runtime files.

A value that is not plain data stays in the worker process and crosses the wire as a *handle* record,
``{"$t": "handle", "id", "type", "repr"}``: the worker's handle-table key, the object's qualified class name and
its ``repr`` (both cut to :data:`HANDLE_TEXT_CHARS`). The grader sees a :class:`Handle` and can send it back as an
argument or call its methods; the worker swaps it for the object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "HANDLE_TEXT_CHARS",
    "MAX_DEPTH",
    "TAG",
    "CodecError",
    "Handle",
    "NotPlainData",
    "decode_handle",
    "get_field",
    "handle_record",
    "qualified_type_name",
]

TAG = "$t"
"""Key marking a tagged JSON object."""

MAX_DEPTH = 100
"""Containers nested deeper than this are not plain data (this also catches self-referencing lists)."""

HANDLE_TEXT_CHARS = 200
"""``Handle.type`` and ``Handle.repr`` are cut to this many characters."""


class CodecError(ValueError):
    """A message or exchange file is malformed (or names an unknown handle)."""


class NotPlainData(TypeError):
    """The value cannot be encoded as plain data."""


@dataclass(frozen=True)
class Handle:
    """Reference to an object that stays in the worker process (a model, an optimizer, ...).

    Attributes:
        id: the worker's handle-table key.
        type: qualified class name of the object, e.g. ``"torch.nn.modules.linear.Linear"``.
        repr: ``repr()`` of the object, cut to 200 characters (informational only).
        worker: opaque token of the worker process the handle came from, set by the grader when it decodes a
            reply; a handle whose token is not the current worker's is refused before anything is sent.
    """

    id: int
    type: str
    repr: str
    worker: str = field(default="", repr=False)


def qualified_type_name(obj: object) -> str:
    """``"module.QualName"`` of ``type(obj)``, cut to :data:`HANDLE_TEXT_CHARS`."""
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"[:HANDLE_TEXT_CHARS]


def handle_record(handle: Handle) -> dict[str, Any]:
    """The tagged JSON record of a handle (what travels; the ``worker`` token never does)."""
    return {TAG: "handle", "id": handle.id, "type": handle.type, "repr": handle.repr}


def decode_handle(record: dict[str, Any]) -> Handle:
    """The :class:`Handle` a tagged handle record names (texts cut to :data:`HANDLE_TEXT_CHARS`)."""
    return Handle(
        id=get_field(record, "id", int),
        type=get_field(record, "type", str)[:HANDLE_TEXT_CHARS],
        repr=get_field(record, "repr", str)[:HANDLE_TEXT_CHARS],
    )


def get_field(record: dict[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    """``record[key]``, checked to be of ``kind`` (bool is not accepted as int); raise :class:`CodecError`."""
    value = record.get(key)
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        raise CodecError(f"field {key!r} must be {' or '.join(k.__name__ for k in kinds)}")
    return value
