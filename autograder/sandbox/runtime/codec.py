"""Plain-data encoding across the grader/worker process boundary (used by both sides).

This module and the ones it imports (:mod:`.wire`, :mod:`.exchange`, :mod:`.arrays`) are the codec. They are
loaded inside the untrusted worker too, as part of its runtime (``worker.py`` imports them from its runtime folder
as a package of their own), so they import only the standard library, NumPy and each other (relative imports);
pandas and torch are used lazily. They import nothing else from the ``autograder`` package.

Wire format
-----------
A value becomes a JSON-compatible structure (``json.dumps(..., allow_nan=True)`` on both sides, so NaN and
infinities survive). ``None``, ``bool``, ``int``, ``float``, ``str`` and ``list`` map to themselves; a ``dict``
whose keys are all ``str`` (and that has no ``"$t"`` key) maps to a JSON object. Everything else is a *tagged*
JSON object ``{"$t": <tag>, ...}``:

==============  ==========================================================================================
tag             payload
==============  ==========================================================================================
``tuple``       ``items``: list of encoded values (comes back a tuple)
``dict``        ``items``: list of ``[key, value]`` pairs (dicts with non-str keys, or a ``"$t"`` key)
``complex``     ``re``, ``im``
``bytes``       ``b64``: base64 text
``ndarray``     ``file``: name of a ``.npy`` file in the exchange directory (:mod:`.exchange`)
``tensor``      ``file``: as ``ndarray``; decoded with ``torch.from_numpy`` (bfloat16/float8 sent as float32)
``series``      ``name``, ``index`` (an index record), ``data`` (a column record) (:mod:`.arrays`)
``dataframe``   ``columns`` and ``index`` (index records), ``data``: list of column records
``index``       an index record (a standalone pandas ``Index``)
``handle``      ``id``, ``type``, ``repr``: a :class:`Handle` to an object that stays in the worker (:mod:`.wire`)
==============  ==========================================================================================

This module encodes and decodes the plain JSON values and the small tags, and dispatches arrays, tensors and
pandas objects to :mod:`.arrays`. Not plain data (→ a :class:`Handle` on the worker side, :class:`NotPlainData` on
the grader side): whatever :mod:`.arrays` refuses, containers nested deeper than :data:`MAX_DEPTH`, and any other
Python object.

Safety
------
Nothing is ever unpickled (:mod:`.exchange` says how exchange files are written and validated). Any malformed
message raises :class:`CodecError`.

Bounded replies
---------------
A :class:`Decoder` may be given ``max_bytes``: the reply's JSON text (measured by re-encoding it the way the worker
does) plus every exchange file, counted from its size *before* it is loaded, plus the copies decoding makes
(Python strings of string columns, pandas' own copies) must stay under it; and ``max_files``: the number of
exchange files read for one reply. And ``expect``, a :class:`ReplyCheck` (``expect.py`` builds them from a
check's declaration): it sees the whole wire form before anything is loaded, then each array's header.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from .arrays import EXCHANGED_TAGS, ArrayDecoding, ArrayEncoding
from .exchange import ArrayHeader, Exchange
from .wire import (
    HANDLE_TEXT_CHARS,
    MAX_DEPTH,
    TAG,
    CodecError,
    Handle,
    NotPlainData,
    decode_handle,
    get_field,
    handle_record,
    qualified_type_name,
)

__all__ = [
    "HANDLE_TEXT_CHARS",
    "MAX_DEPTH",
    "TAG",
    "ArrayHeader",
    "CodecError",
    "Decoder",
    "Encoder",
    "Exchange",
    "Handle",
    "NotPlainData",
    "ReplyCheck",
    "handle_record",
    "qualified_type_name",
]


class ReplyCheck(Protocol):
    """What a decoder is told to expect (``expect.Returns`` implements it)."""

    def vet(self, data: Any) -> Callable[[ArrayHeader], None]:
        """Check the wire form before anything is loaded (raise :class:`CodecError`); return the check of each
        array header, called before that array is loaded."""
        ...  # pragma: no cover - protocol


class Encoder(ArrayEncoding):
    """Turns a value into the JSON-compatible wire form, writing arrays to the exchange directory.

    Args:
        exchange: where arrays go.
        keep: worker side: called with any object that is not plain data, returns the :class:`Handle` it is kept
            under. ``None`` (grader side): such an object raises :class:`NotPlainData`.
        check_handle: grader side: called with every :class:`Handle` about to be sent; raises if it is stale.
        sent: grader side: files kept for large read-only arrays, sent again by name (``sandbox/sent.py``).

    ``files`` lists the exchange files written so far, so the caller can delete them after the call (files kept
    by ``sent`` are not in it).
    """

    def __init__(
        self,
        exchange: Exchange,
        *,
        keep: Callable[[object], Handle] | None = None,
        check_handle: Callable[[Handle], None] | None = None,
        sent: Any = None,
    ) -> None:
        self.exchange = exchange
        self.keep = keep
        self.check_handle = check_handle
        self.sent = sent
        self.files: list[str] = []

    def encode(self, value: object) -> Any:
        """Encode ``value``; on the worker side, parts that are not plain data become handles."""
        return self._encode(value, 0, strict=False)

    def discard(self) -> None:
        """Delete every exchange file this encoder wrote."""
        self.exchange.remove(self.files)
        self.files.clear()

    # -- internals ---------------------------------------------------------------------------------------------

    def _encode(self, value: object, depth: int, *, strict: bool) -> Any:
        if strict or self.keep is None:
            return self._plain(value, depth, strict=strict)
        mark = len(self.files)
        try:
            return self._plain(value, depth, strict=False)
        except NotPlainData:
            self.exchange.remove(self.files[mark:])
            del self.files[mark:]
            return handle_record(self.keep(value))

    def _plain(self, value: object, depth: int, *, strict: bool) -> Any:
        if depth > MAX_DEPTH:
            raise NotPlainData(f"nested deeper than {MAX_DEPTH} levels")
        if value is None or type(value) in (bool, int, float, str):
            return value
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        if isinstance(value, np.generic):
            return self._numpy_scalar(value)
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return float(value)
        if isinstance(value, str):
            return str.__str__(value)
        if isinstance(value, complex):
            return {TAG: "complex", "re": value.real, "im": value.imag}
        if isinstance(value, (bytes, bytearray, memoryview)):
            return {TAG: "bytes", "b64": base64.b64encode(bytes(value)).decode("ascii")}
        if isinstance(value, Handle):
            if self.check_handle is not None:
                self.check_handle(value)
            return handle_record(value)
        if isinstance(value, list):
            return [self._encode(item, depth + 1, strict=strict) for item in value]
        if isinstance(value, tuple):
            return {TAG: "tuple", "items": [self._encode(item, depth + 1, strict=strict) for item in value]}
        if isinstance(value, dict):
            return self._dict(value, depth, strict=strict)
        return self._exchanged(value, depth)

    def _numpy_scalar(self, value: np.generic) -> Any:
        if isinstance(value, np.integer):
            return int(value)
        if isinstance(value, np.floating):
            return float(value)
        if isinstance(value, np.complexfloating):
            return {TAG: "complex", "re": float(value.real), "im": float(value.imag)}
        if isinstance(value, np.str_):
            return str.__str__(value)
        if isinstance(value, np.bytes_):
            return {TAG: "bytes", "b64": base64.b64encode(bytes(value)).decode("ascii")}
        raise NotPlainData(f"numpy scalar of dtype {value.dtype} is not plain data")

    def _dict(self, value: dict[Any, Any], depth: int, *, strict: bool) -> Any:
        if all(type(key) is str for key in value) and TAG not in value:
            return {key: self._encode(item, depth + 1, strict=strict) for key, item in value.items()}
        items = [
            [self._encode(key, depth + 1, strict=True), self._encode(item, depth + 1, strict=strict)]
            for key, item in value.items()
        ]
        return {TAG: "dict", "items": items}


class Decoder(ArrayDecoding):
    """Turns the wire form back into values, reading arrays from the exchange directory.

    Args:
        exchange: where arrays are read from (names are validated, see :meth:`Exchange.load`).
        on_handle: called with every decoded :class:`Handle`; returns what replaces it (worker side: the object
            from the handle table, raising :class:`CodecError` for an unknown id; grader side: the handle stamped
            with the worker's token).
        max_bytes: cap on the bytes decoded (see "Bounded replies" above); ``None``: no cap.
        max_files: cap on the exchange files read; ``None``: no cap.
        expect: what the value must look like, checked before anything is loaded; ``None``: anything.

    Every malformation raises :class:`CodecError`; ``files`` lists the exchange files that were read, ``used`` the
    bytes counted against ``max_bytes`` so far. One decoder serves one message: the caps are for all its values.
    """

    def __init__(
        self,
        exchange: Exchange,
        *,
        on_handle: Callable[[Handle], Any],
        max_bytes: int | None = None,
        max_files: int | None = None,
        expect: ReplyCheck | None = None,
    ) -> None:
        self.exchange = exchange
        self.on_handle = on_handle
        self.max_bytes = max_bytes
        self.max_files = max_files
        self.expect = expect
        self.files: list[str] = []
        self.used = 0
        self._check_header: Callable[[ArrayHeader], None] | None = None

    def decode(self, data: Any) -> Any:
        """Decode one encoded value."""
        try:
            if self.max_bytes is not None:
                self._charge(len(json.dumps(data, allow_nan=True, separators=(",", ":"))), "its JSON text")
            self._check_header = self.expect.vet(data) if self.expect is not None else None
            return self._decode(data, 0)
        except CodecError:
            raise
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError, RecursionError) as exc:
            raise CodecError(f"malformed value: {type(exc).__name__}: {exc}") from exc

    # -- internals ---------------------------------------------------------------------------------------------

    def _decode(self, data: Any, depth: int) -> Any:
        if depth > MAX_DEPTH + 10:
            raise CodecError("value nested too deeply")
        if data is None or type(data) in (bool, int, float, str):
            return data
        if type(data) is list:
            return [self._decode(item, depth + 1) for item in data]
        if type(data) is not dict:
            raise CodecError(f"unexpected {type(data).__name__} in message")
        tag = data.get(TAG)
        if tag is None:
            return {key: self._decode(item, depth + 1) for key, item in data.items()}
        if tag == "tuple":
            return tuple(self._decode(item, depth + 1) for item in get_field(data, "items", list))
        if tag == "dict":
            result = {}
            for pair in get_field(data, "items", list):
                if type(pair) is not list or len(pair) != 2:
                    raise CodecError("dict item is not a [key, value] pair")
                result[self._decode(pair[0], depth + 1)] = self._decode(pair[1], depth + 1)
            return result
        if tag == "complex":
            return complex(get_field(data, "re", (int, float)), get_field(data, "im", (int, float)))
        if tag == "bytes":
            text = get_field(data, "b64", str)
            self._charge(len(text) * 3 // 4, "decoded bytes")
            return base64.b64decode(text, validate=True)
        if tag == "handle":
            return self.on_handle(decode_handle(data))
        if tag in EXCHANGED_TAGS:
            return self._exchanged(tag, data, depth)
        raise CodecError(f"unknown tag {tag!r}")

    def _charge(self, size: int, what: str) -> None:
        """Count ``size`` more bytes against ``max_bytes`` (before they are allocated)."""
        self.used += size
        if self.max_bytes is not None and self.used > self.max_bytes:
            raise CodecError(
                f"reply holds more than {self.max_bytes} bytes (JSON text, arrays and decoding copies; "
                f"{self.used} counted when reaching {what}, {len(self.files)} arrays loaded before it)"
            )
