"""Arrays, tensors and pandas objects: the values that cross the wire as ``.npy`` files in the exchange folder.

Loaded inside the untrusted worker as part of its runtime (see ``worker.py``): standard library and NumPy only;
torch and pandas are used lazily, and only when such objects are actually present (``sys.modules`` is consulted
when encoding, the import happens when decoding a tagged value).

An ``ndarray`` travels as ``{"$t": "ndarray", "file": F}``, ``F`` the name of a ``.npy`` file of the exchange
(:mod:`.exchange`); a tensor as ``{"$t": "tensor", "file": F}`` (``detach().cpu()``; bfloat16/float8 sent as float32,
decoded with ``torch.from_numpy``). Object arrays holding only ``str`` become unicode arrays.

pandas objects keep their dtypes. A ``series`` is ``name``, ``index`` (an index record) and ``data`` (a column
record); a ``dataframe`` is ``columns`` and ``index`` (index records) and ``data``, a list of column records; an
``index`` is an index record. Column records: ``{"kind": "numpy", "values": F}`` for bool/int/uint/float/complex/
datetime64/timedelta64, ``{"kind": "strings", ...}`` for object columns holding only strings and for pandas string
dtypes (values as a unicode array plus a missing-value mask), ``{"kind": "category", ...}`` (codes, categories,
ordered) and ``{"kind": "masked", ...}`` for the nullable ``Int64``/``Float64``/``boolean`` family. Index records
are ``{"kind": "range", ...}`` for a ``RangeIndex`` or ``{"kind": "index", "name", "column"}``.

Not plain data: MultiIndex, tz-aware datetimes, periods, intervals, sparse data, object columns holding
non-strings, object arrays holding anything but ``str``, masked arrays, sparse/quantized tensors.

:class:`ArrayEncoding` and :class:`ArrayDecoding` are the halves of :class:`~.codec.Encoder` and
:class:`~.codec.Decoder` that handle these values.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from .exchange import ArrayHeader, Exchange
from .wire import MAX_DEPTH, TAG, CodecError, NotPlainData, get_field, qualified_type_name

__all__ = ["EXCHANGED_TAGS", "ArrayDecoding", "ArrayEncoding", "tensor_to_numpy"]

EXCHANGED_TAGS = frozenset({"ndarray", "tensor", "series", "dataframe", "index"})
"""Tags of the values :class:`ArrayDecoding` decodes."""

_NUMPY_COLUMN_KINDS = frozenset("biufcmM")
_MASKED_DTYPES = frozenset(
    {"Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64", "Float32", "Float64", "boolean"}
)
_STRING_STORAGES = frozenset({"python", "pyarrow"})
_PY_STR_BYTES = 80
"""Bytes charged per Python ``str`` made from a string column (object header, pointer), on top of its text."""


def tensor_to_numpy(tensor: Any, torch: Any) -> np.ndarray:
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


class ArrayEncoding:
    """The encoder's half for arrays, tensors and pandas objects (mixed into :class:`~.codec.Encoder`)."""

    exchange: Exchange
    files: list[str]
    sent: Any = None  # grader side: a SentArrays (sandbox/sent.py), whose files outlive the call
    if TYPE_CHECKING:
        def _encode(self, value: object, depth: int, *, strict: bool) -> Any: ...

    def _exchanged(self, value: object, depth: int) -> Any:
        """Encode an array, a tensor or a pandas object; anything else is :class:`NotPlainData`."""
        if isinstance(value, np.ndarray):
            return {TAG: "ndarray", "file": self._save(value)}
        torch = sys.modules.get("torch")
        if torch is not None and isinstance(value, torch.Tensor):
            return {TAG: "tensor", "file": self._save(tensor_to_numpy(value, torch))}
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

    def _save(self, array: np.ndarray) -> str:
        if isinstance(array, np.ma.MaskedArray):
            raise NotPlainData("masked arrays are not plain data")
        array = np.asarray(array)
        if array.dtype.hasobject:
            if array.dtype != np.dtype(object) or not all(isinstance(item, str) for item in array.flat):
                raise NotPlainData("object arrays holding anything but str are not plain data")
            array = array.astype(str) if array.size else np.empty(array.shape, dtype="<U1")
        name = self.sent.name_of(array) if self.sent is not None else None
        if name is None:
            name = self.exchange.save(array)
            if self.sent is None or not self.sent.keep(array, name):
                self.files.append(name)  # deleted after the call
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
        for item, is_missing in zip(objects, missing, strict=True):
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


class ArrayDecoding:
    """The decoder's half for arrays, tensors and pandas objects (mixed into :class:`~.codec.Decoder`).

    Every array is loaded through :meth:`_load`: the file count is capped, and each header is checked against the
    reply's expectation and charged against the byte cap before its data is read.
    """

    exchange: Exchange
    files: list[str]
    max_files: int | None
    _check_header: Callable[[ArrayHeader], None] | None
    if TYPE_CHECKING:
        def _decode(self, data: Any, depth: int) -> Any: ...

        def _charge(self, size: int, what: str) -> None: ...

    def _exchanged(self, tag: str, data: dict[str, Any], depth: int) -> Any:
        """Decode a value tagged with one of :data:`EXCHANGED_TAGS`."""
        if tag == "ndarray":
            return self._load(data.get("file"))
        if tag == "tensor":
            import torch  # lazy: only when a tensor arrives

            return torch.from_numpy(self._load(data.get("file")))
        import pandas as pd  # lazy: only when pandas data arrives

        if tag == "index":
            return self._index(data, pd, depth)
        if tag == "series":
            values, dtype = self._column(get_field(data, "data", dict), pd, depth)
            index = self._index(get_field(data, "index", dict), pd, depth)
            name = self._decode(data.get("name"), depth + 1)
            series = pd.Series(values, dtype=dtype, name=name, copy=False)
            series.index = index
            return series
        if tag == "dataframe":
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

    def _index(self, record: dict[str, Any], pd: Any, depth: int) -> Any:
        name = self._decode(record.get("name"), depth + 1)
        kind = record.get("kind")
        if kind == "range":
            return pd.RangeIndex(
                get_field(record, "start", int), get_field(record, "stop", int), get_field(record, "step", int),
                name=name,
            )
        if kind == "index":
            values, dtype = self._column(get_field(record, "column", dict), pd, depth)
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
            categories = self._index(get_field(record, "categories", dict), pd, depth + 1)
            ordered = get_field(record, "ordered", bool)
            categorical = pd.Categorical.from_codes(codes, categories=categories, ordered=ordered)
            return categorical, categorical.dtype
        if kind == "strings":
            return self._strings(record, pd)
        if kind == "masked":
            name = get_field(record, "dtype", str)
            if name not in _MASKED_DTYPES:
                raise CodecError(f"unknown masked dtype {name!r}")
            values = self._load(record.get("values"))
            missing = self._mask(record.get("na"), len(values))
            self._charge(values.nbytes + missing.nbytes, "a masked column's copy")
            array = pd.array(values, dtype=name)
            array[missing] = pd.NA
            return array, array.dtype
        raise CodecError(f"unknown column kind {kind!r}")

    def _strings(self, record: dict[str, Any], pd: Any) -> tuple[Any, Any]:
        texts = self._load(record.get("values"))
        if texts.ndim != 1 or texts.dtype.kind != "U":
            raise CodecError("string column must be a 1-D unicode array")
        self._charge(texts.size * _PY_STR_BYTES + texts.nbytes, "a string column's Python strings")
        objects = texts.astype(object)
        missing = None if record.get("na") is None else self._mask(record.get("na"), len(objects))
        storage = get_field(record, "storage", str)
        if storage == "object":
            if missing is not None:
                objects[missing] = np.nan
            return objects, np.dtype(object)
        if storage not in _STRING_STORAGES:
            raise CodecError(f"unknown string storage {storage!r}")
        na_value = {"NA": pd.NA, "nan": np.nan}.get(get_field(record, "na_value", str), None)
        if na_value is None:
            raise CodecError("unknown string na_value")
        if missing is not None:
            objects[missing] = None
        dtype = pd.StringDtype(storage=storage, na_value=na_value)
        return pd.array(objects, dtype=dtype), dtype

    def _mask(self, name: Any, length: int) -> np.ndarray:
        mask = self._load(name)
        if mask.dtype != np.bool_ or mask.shape != (length,):
            raise CodecError("missing-value mask must be a 1-D bool array as long as the column")
        return mask

    def _dataframe(self, record: dict[str, Any], pd: Any, depth: int) -> Any:
        columns = self._index(get_field(record, "columns", dict), pd, depth + 1)
        index = self._index(get_field(record, "index", dict), pd, depth + 1)
        data = get_field(record, "data", list)
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
