"""Plain-data encoding across the grader/worker process boundary (used by both sides).

This module is loaded *by file path* inside the untrusted worker (see ``worker.py``), so it imports only the
standard library and NumPy; pandas and torch are used lazily, and only when such objects are actually present
(``sys.modules`` is consulted when encoding, the import happens when decoding a tagged value). It imports
nothing from the ``autograder`` package.

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
``ndarray``     ``file``: name of a ``.npy`` file in the exchange directory
``tensor``      ``file``: as ``ndarray``; decoded with ``torch.from_numpy`` (bfloat16/float8 sent as float32)
``series``      ``name``, ``index`` (an index record), ``data`` (a column record)
``dataframe``   ``columns`` and ``index`` (index records), ``data``: list of column records
``index``       an index record (a standalone pandas ``Index``)
``handle``      ``id``, ``type``, ``repr``: a :class:`Handle` to an object that stays in the worker
==============  ==========================================================================================

Column records keep pandas dtypes: ``{"kind": "numpy", "values": F}`` for bool/int/uint/float/complex/
datetime64/timedelta64, ``{"kind": "strings", ...}`` for object columns holding only strings and for pandas
string dtypes (values as a unicode array plus a missing-value mask), ``{"kind": "category", ...}`` (codes,
categories, ordered) and ``{"kind": "masked", ...}`` for the nullable ``Int64``/``Float64``/``boolean`` family.
Index records are ``{"kind": "range", ...}`` for a ``RangeIndex`` or ``{"kind": "index", "name", "column"}``.
Not plain data (→ a :class:`Handle` on the worker side, :class:`NotPlainData` on the grader side): MultiIndex,
tz-aware datetimes, periods, intervals, sparse data, object columns holding non-strings, object arrays holding
anything but ``str``, masked arrays, sparse/quantized tensors, and any other Python object.

Safety
------
Nothing is ever unpickled: arrays are written with ``allow_pickle=False`` and read with
``np.load(..., allow_pickle=False)``. An exchange-file name taken from a message must be a plain basename
(``[A-Za-z0-9][A-Za-z0-9_-]*.npy``), is opened with ``O_NOFOLLOW`` (no symlinks), must be a regular file no
larger than the exchange's ``max_file_bytes``, and its ``.npy`` header must describe exactly the bytes that follow
it (so a forged header cannot make the reader allocate more than the file holds). Any malformed message raises
:class:`CodecError`.

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
import math
import os
import re
import secrets
import stat
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

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

TAG = "$t"
"""Key marking a tagged JSON object."""

MAX_DEPTH = 100
"""Containers nested deeper than this are not plain data (this also catches self-referencing lists)."""

HANDLE_TEXT_CHARS = 200
"""``Handle.type`` and ``Handle.repr`` are cut to this many characters."""

_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}\.npy")
_NUMPY_COLUMN_KINDS = frozenset("biufcmM")
_MASKED_DTYPES = frozenset(
    {"Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64", "Float32", "Float64", "boolean"}
)
_STRING_STORAGES = frozenset({"python", "pyarrow"})
_PY_STR_BYTES = 80
"""Bytes charged per Python ``str`` made from a string column (object header, pointer), on top of its text."""


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


class ReplyCheck(Protocol):
    """What a decoder is told to expect (``expect.Returns`` implements it)."""

    def vet(self, data: Any) -> Callable[[ArrayHeader], None]:
        """Check the wire form before anything is loaded (raise :class:`CodecError`); return the check of each
        array header, called before that array is loaded."""
        ...  # pragma: no cover - protocol


def qualified_type_name(obj: object) -> str:
    """``"module.QualName"`` of ``type(obj)``, cut to :data:`HANDLE_TEXT_CHARS`."""
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"[:HANDLE_TEXT_CHARS]


def handle_record(handle: Handle) -> dict[str, Any]:
    """The tagged JSON record of a handle (what travels; the ``worker`` token never does)."""
    return {TAG: "handle", "id": handle.id, "type": handle.type, "repr": handle.repr}


class Exchange:
    """A directory through which arrays travel as ``.npy`` files.

    Args:
        directory: the exchange directory (created by the grader, outside the worker's working directory).
        prefix: prefix of the file names this side writes (``"g"`` grader, ``"w"`` worker); names are random, so
            the other side cannot plant a file under a name this side will use.
        max_file_bytes: largest file :meth:`load` accepts, ``None`` for no limit.
    """

    def __init__(self, directory: str | os.PathLike[str], prefix: str, max_file_bytes: int | None = None) -> None:
        if not re.fullmatch(r"[A-Za-z0-9]{1,8}", prefix):
            raise ValueError(f"bad exchange prefix {prefix!r}")
        self.directory = Path(directory)
        self.prefix = prefix
        self.max_file_bytes = max_file_bytes

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
                    shape, _, dtype = np.lib.format.read_array_header_1_0(f)
                elif version == (2, 0):
                    shape, _, dtype = np.lib.format.read_array_header_2_0(f)
                else:
                    raise CodecError(f"exchange file {name!r}: unsupported .npy version {version}")
                if dtype.hasobject:
                    raise CodecError(f"exchange file {name!r} holds Python objects")
                expected = f.tell() + math.prod(shape) * dtype.itemsize
                if expected != info.st_size:
                    raise CodecError(
                        f"exchange file {name!r}: header promises {expected} bytes, file has {info.st_size}"
                    )
                if admit is not None:
                    admit(ArrayHeader(name, tuple(shape), dtype, info.st_size))
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


class Encoder:
    """Turns a value into the JSON-compatible wire form, writing arrays to the exchange directory.

    Args:
        exchange: where arrays go.
        keep: worker side: called with any object that is not plain data, returns the :class:`Handle` it is kept
            under. ``None`` (grader side): such an object raises :class:`NotPlainData`.
        check_handle: grader side: called with every :class:`Handle` about to be sent; raises if it is stale.

    ``files`` lists the exchange files written so far, so the caller can delete them after the call.
    """

    def __init__(
        self,
        exchange: Exchange,
        *,
        keep: Callable[[object], Handle] | None = None,
        check_handle: Callable[[Handle], None] | None = None,
    ) -> None:
        self.exchange = exchange
        self.keep = keep
        self.check_handle = check_handle
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

    def _plain(self, value: object, depth: int, *, strict: bool) -> Any:  # noqa: C901 - one branch per type
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
        if isinstance(value, np.ndarray):
            return {TAG: "ndarray", "file": self._save(value)}
        torch = sys.modules.get("torch")
        if torch is not None and isinstance(value, torch.Tensor):
            return {TAG: "tensor", "file": self._save(_tensor_to_numpy(value, torch))}
        pd = sys.modules.get("pandas")
        if pd is not None:
            if isinstance(value, pd.DataFrame):
                return self._dataframe(value, pd, depth)
            if isinstance(value, pd.Series):
                return {
                    TAG: "series",
                    "name": self._encode(value.name, depth + 1, strict=True),
                    "index": self._index(value.index, pd, depth + 1),
                    "data": self._column(value, pd, depth + 1),
                }
            if isinstance(value, pd.Index):
                return {TAG: "index", **self._index(value, pd, depth + 1)}
        raise NotPlainData(f"{qualified_type_name(value)} is not plain data")

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

    def _save(self, array: np.ndarray) -> str:
        if isinstance(array, np.ma.MaskedArray):
            raise NotPlainData("masked arrays are not plain data")
        array = np.asarray(array)
        if array.dtype.hasobject:
            if array.dtype != np.dtype(object) or not all(isinstance(item, str) for item in array.flat):
                raise NotPlainData("object arrays holding anything but str are not plain data")
            array = array.astype(str) if array.size else np.empty(array.shape, dtype="<U1")
        name = self.exchange.save(array)
        self.files.append(name)
        return name

    def _index(self, index: Any, pd: Any, depth: int) -> dict[str, Any]:
        if isinstance(index, pd.MultiIndex):
            raise NotPlainData("a pandas MultiIndex is not plain data")
        name = self._encode(index.name, depth + 1, strict=True)
        if isinstance(index, pd.RangeIndex):
            return {"kind": "range", "start": index.start, "stop": index.stop, "step": index.step, "name": name}
        return {"kind": "index", "name": name, "column": self._column(index, pd, depth + 1)}

    def _column(self, values: Any, pd: Any, depth: int) -> dict[str, Any]:
        """Encode the values of a Series or Index (1-D), keeping its dtype."""
        dtype = values.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            categorical = values.array
            return {
                "kind": "category",
                "codes": self._save(np.asarray(categorical.codes)),
                "categories": self._index(categorical.categories, pd, depth + 1),
                "ordered": bool(categorical.ordered),
            }
        if isinstance(dtype, np.dtype) and dtype.kind in _NUMPY_COLUMN_KINDS:
            return {"kind": "numpy", "values": self._save(values.to_numpy())}
        if dtype == np.dtype(object) or isinstance(dtype, pd.StringDtype):
            return self._strings(values, dtype, pd)
        if isinstance(dtype, pd.api.extensions.ExtensionDtype) and dtype.name in _MASKED_DTYPES:
            missing = np.asarray(values.isna(), dtype=bool)
            fill = False if dtype.name == "boolean" else 0
            data = values.to_numpy(dtype=dtype.numpy_dtype, na_value=fill)
            return {"kind": "masked", "dtype": dtype.name, "values": self._save(data), "na": self._save(missing)}
        raise NotPlainData(f"pandas dtype {dtype} is not plain data")

    def _strings(self, values: Any, dtype: Any, pd: Any) -> dict[str, Any]:
        objects = values.to_numpy(dtype=object)
        missing = np.asarray(pd.isna(objects), dtype=bool)
        texts = []
        for item, is_missing in zip(objects, missing):
            if is_missing:
                texts.append("")
            elif isinstance(item, str):
                texts.append(item)
            else:
                raise NotPlainData(f"a column of dtype {dtype} holding {qualified_type_name(item)} is not plain data")
        record: dict[str, Any] = {"kind": "strings", "values": self._save(np.array(texts, dtype=str))}
        record["na"] = self._save(missing) if missing.any() else None
        if isinstance(dtype, pd.StringDtype):
            record["storage"] = dtype.storage
            record["na_value"] = "NA" if dtype.na_value is pd.NA else "nan"
        else:
            record["storage"] = "object"
        return record

    def _dataframe(self, frame: Any, pd: Any, depth: int) -> dict[str, Any]:
        return {
            TAG: "dataframe",
            "columns": self._index(frame.columns, pd, depth + 1),
            "index": self._index(frame.index, pd, depth + 1),
            "data": [self._column(frame.iloc[:, i], pd, depth + 1) for i in range(frame.shape[1])],
        }


def _tensor_to_numpy(tensor: Any, torch: Any) -> np.ndarray:
    """``tensor.detach().cpu()`` as a NumPy array; dtypes NumPy lacks become float32 / complex64."""
    if tensor.layout != torch.strided or tensor.is_quantized:
        raise NotPlainData(f"a {tensor.layout} / quantized tensor is not plain data")
    try:
        cpu = tensor.detach().cpu().resolve_conj().resolve_neg()
    except (RuntimeError, NotImplementedError) as exc:
        raise NotPlainData(f"tensor cannot be copied to the CPU: {exc}") from exc
    try:
        return cpu.numpy()
    except TypeError:
        if cpu.is_floating_point():
            return cpu.float().numpy()
        if cpu.is_complex():
            return cpu.to(torch.complex64).numpy()
        raise NotPlainData(f"tensor dtype {cpu.dtype} has no NumPy equivalent") from None


class Decoder:
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

    def _decode(self, data: Any, depth: int) -> Any:  # noqa: C901 - one branch per tag
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
            return tuple(self._decode(item, depth + 1) for item in _get(data, "items", list))
        if tag == "dict":
            result = {}
            for pair in _get(data, "items", list):
                if type(pair) is not list or len(pair) != 2:
                    raise CodecError("dict item is not a [key, value] pair")
                result[self._decode(pair[0], depth + 1)] = self._decode(pair[1], depth + 1)
            return result
        if tag == "complex":
            return complex(_get(data, "re", (int, float)), _get(data, "im", (int, float)))
        if tag == "bytes":
            text = _get(data, "b64", str)
            self._charge(len(text) * 3 // 4, "decoded bytes")
            return base64.b64decode(text, validate=True)
        if tag == "ndarray":
            return self._load(data.get("file"))
        if tag == "tensor":
            import torch  # noqa: PLC0415 - lazy: only when a tensor arrives

            return torch.from_numpy(self._load(data.get("file")))
        if tag == "handle":
            handle = Handle(
                id=_get(data, "id", int),
                type=_get(data, "type", str)[:HANDLE_TEXT_CHARS],
                repr=_get(data, "repr", str)[:HANDLE_TEXT_CHARS],
            )
            return self.on_handle(handle)
        if tag in ("series", "dataframe", "index"):
            import pandas as pd  # noqa: PLC0415 - lazy: only when pandas data arrives

            if tag == "index":
                return self._index(data, pd, depth)
            if tag == "series":
                values, dtype = self._column(_get(data, "data", dict), pd, depth)
                index = self._index(_get(data, "index", dict), pd, depth)
                name = self._decode(data.get("name"), depth + 1)
                series = pd.Series(values, dtype=dtype, name=name, copy=False)
                series.index = index
                return series
            return self._dataframe(data, pd, depth)
        raise CodecError(f"unknown tag {tag!r}")

    def _load(self, name: Any) -> np.ndarray:
        if self.max_files is not None and len(self.files) >= self.max_files:
            raise CodecError(f"reply holds more than {self.max_files} arrays")
        array = self.exchange.load(name, admit=self._admit)
        self.files.append(name)
        return array

    def _admit(self, header: ArrayHeader) -> None:
        """Before an array is loaded: its header must fit the expectation and its size the byte cap."""
        if self._check_header is not None:
            self._check_header(header)
        self._charge(header.file_bytes, f"exchange file {header.name}")

    def _charge(self, size: int, what: str) -> None:
        """Count ``size`` more bytes against ``max_bytes`` (before they are allocated)."""
        self.used += size
        if self.max_bytes is not None and self.used > self.max_bytes:
            raise CodecError(
                f"reply holds more than {self.max_bytes} bytes (JSON text, arrays and decoding copies; "
                f"{self.used} counted when reaching {what}, {len(self.files)} arrays loaded before it)"
            )

    def _index(self, record: dict[str, Any], pd: Any, depth: int) -> Any:
        name = self._decode(record.get("name"), depth + 1)
        kind = record.get("kind")
        if kind == "range":
            return pd.RangeIndex(
                _get(record, "start", int), _get(record, "stop", int), _get(record, "step", int), name=name
            )
        if kind == "index":
            values, dtype = self._column(_get(record, "column", dict), pd, depth)
            return pd.Index(values, dtype=dtype, name=name, copy=False)
        raise CodecError(f"unknown index kind {kind!r}")

    def _column(self, record: dict[str, Any], pd: Any, depth: int) -> tuple[Any, Any]:
        """Decode a column record into ``(values, dtype)`` ready for the Series/Index constructors."""
        kind = record.get("kind")
        if depth > MAX_DEPTH + 10:
            raise CodecError("value nested too deeply")
        if kind == "numpy":
            values = self._load(record.get("values"))
            if values.ndim != 1 or values.dtype.kind not in _NUMPY_COLUMN_KINDS:
                raise CodecError("numpy column must be 1-D with a bool/number/datetime dtype")
            return values, values.dtype
        if kind == "category":
            codes = self._load(record.get("codes"))
            categories = self._index(_get(record, "categories", dict), pd, depth + 1)
            categorical = pd.Categorical.from_codes(codes, categories=categories, ordered=_get(record, "ordered", bool))
            return categorical, categorical.dtype
        if kind == "strings":
            texts = self._load(record.get("values"))
            if texts.ndim != 1 or texts.dtype.kind != "U":
                raise CodecError("string column must be a 1-D unicode array")
            self._charge(texts.size * _PY_STR_BYTES + texts.nbytes, "a string column's Python strings")
            objects = texts.astype(object)
            missing = None if record.get("na") is None else self._mask(record.get("na"), len(objects))
            storage = _get(record, "storage", str)
            if storage == "object":
                if missing is not None:
                    objects[missing] = np.nan
                return objects, np.dtype(object)
            if storage not in _STRING_STORAGES:
                raise CodecError(f"unknown string storage {storage!r}")
            na_value = {"NA": pd.NA, "nan": np.nan}.get(_get(record, "na_value", str), None)
            if na_value is None:
                raise CodecError("unknown string na_value")
            if missing is not None:
                objects[missing] = None
            dtype = pd.StringDtype(storage=storage, na_value=na_value)
            return pd.array(objects, dtype=dtype), dtype
        if kind == "masked":
            name = _get(record, "dtype", str)
            if name not in _MASKED_DTYPES:
                raise CodecError(f"unknown masked dtype {name!r}")
            values = self._load(record.get("values"))
            missing = self._mask(record.get("na"), len(values))
            self._charge(values.nbytes + missing.nbytes, "a masked column's copy")
            array = pd.array(values, dtype=name)
            array[missing] = pd.NA
            return array, array.dtype
        raise CodecError(f"unknown column kind {kind!r}")

    def _mask(self, name: Any, length: int) -> np.ndarray:
        mask = self._load(name)
        if mask.dtype != np.bool_ or mask.shape != (length,):
            raise CodecError("missing-value mask must be a 1-D bool array as long as the column")
        return mask

    def _dataframe(self, record: dict[str, Any], pd: Any, depth: int) -> Any:
        columns = self._index(_get(record, "columns", dict), pd, depth + 1)
        index = self._index(_get(record, "index", dict), pd, depth + 1)
        data = _get(record, "data", list)
        if len(data) != len(columns):
            raise CodecError(f"dataframe has {len(columns)} column labels but {len(data)} columns")
        series = {}
        for position, column in enumerate(data):
            if type(column) is not dict:
                raise CodecError("column record must be an object")
            values, dtype = self._column(column, pd, depth + 1)
            self._charge(int(getattr(values, "nbytes", 0)), "a dataframe column's copy")
            if len(values) != len(index):
                raise CodecError(f"column {position} has {len(values)} values, the index {len(index)}")
            series[position] = pd.Series(values, dtype=dtype, copy=False)
        frame = pd.DataFrame(series) if series else pd.DataFrame(index=pd.RangeIndex(len(index)))
        frame.index = index
        frame.columns = columns
        return frame


def _get(record: dict[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    """``record[key]``, checked to be of ``kind`` (bool is not accepted as int)."""
    value = record.get(key)
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        raise CodecError(f"field {key!r} must be {' or '.join(k.__name__ for k in kinds)}")
    return value
