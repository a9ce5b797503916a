"""Declared return values: what the grader expects back from a worker call, checked before anything is loaded.

A check says what it expects with a *declaration*; the session's :class:`~autograder.sandbox.runtime.codec.Decoder`
checks the reply's structure against it before any exchange file is read, and every array's ``.npy`` header
(shape, dtype) before that array is loaded. A reply that differs is refused with :class:`ReplyMismatch`, which
names what was expected and what came. Declarations (grader side only; this module never runs in the worker):

=============================  =====================================================================================
declaration                    accepts
=============================  =====================================================================================
``None``                       anything (still bounded by ``Limits.reply_bytes`` like every reply)
``Array(shape, kinds, forms)`` an array: ``shape`` a tuple of ints and ``None`` (any length on that axis), or
                               ``None`` for any shape; ``kinds`` NumPy dtype kinds such as ``"f"`` or ``"iu"``
                               (``None``: any); ``forms``: which containers, of ``"ndarray"``, ``"tensor"`` and
                               ``"series"`` (a pandas Series of NumPy values; its shape is the values' shape)
``bool``, ``int``, ``str``     a value of that type (``int`` refuses ``bool``)
``float``                      an int or a float (not a bool); NumPy scalars arrive as Python numbers
``complex``, ``bytes``         a number / complex number; bytes
``list``, ``tuple``, ``dict``  a container of that kind, contents not checked
``Handle``                     an object that stays in the worker (a model, an estimator)
``(d1, d2, ...)``              a tuple of exactly that many items, each matching its declaration
``[d1, d2, ...]``              a list of exactly that many items, each matching its declaration
``{"key": d, ...}``            a dict holding at least these (``str``) keys, each value matching; other keys are
                               not checked
``ListOf(d, length)``          a list of any length (or exactly ``length``), every item matching ``d``
``DictOf(d)``                  a dict with any keys, every value matching ``d``
=============================  =====================================================================================

For example ``Returns((Array((n,)), Array((n,), kinds="b")))`` accepts a pair of length-``n`` arrays, the second
boolean. :class:`Returns` is what a :class:`~autograder.sandbox.session.WorkerSession` call takes as ``expect=``
(it implements :class:`~autograder.sandbox.runtime.codec.ReplyCheck`); checks pass the bare declaration as ``returns=``
to :meth:`~autograder.checks.Context.call`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .runtime.codec import TAG, ArrayHeader, CodecError, Handle

__all__ = ["Array", "DictOf", "ListOf", "ReplyMismatch", "Returns", "mismatch_in"]

_KINDS = frozenset("biufcmMSUV")
_FORMS = ("ndarray", "tensor", "series")
_TYPES: dict[type, str] = {
    bool: "a bool",
    int: "an int",
    float: "a number",
    complex: "a number",
    str: "a str",
    bytes: "bytes",
    list: "a list",
    tuple: "a tuple",
    dict: "a dict",
    Handle: "an object kept in the worker (a model, an estimator, ...)",
}
_MAX_DEPTH = 50
_SHOWN_KEYS = 8


class ReplyMismatch(CodecError):
    """A well-formed reply that is not what the call declared.

    Attributes:
        path: where in the value, e.g. ``"[1]['loss']"`` (empty: the value itself).
        expected: what the declaration asks for, in words.
        got: what came, in words.
    """

    def __init__(self, path: str, expected: str, got: str) -> None:
        where = f"item {path} of the value returned" if path else "the value returned"
        super().__init__(f"{where} should be {expected}, got {got}")
        self.path = path
        self.expected = expected
        self.got = got


@dataclass(frozen=True)
class Array:
    """Declares an array; see the module docstring.

    Attributes:
        shape: expected shape; ``None`` entries match any length on that axis; ``None`` matches any shape.
        kinds: allowed NumPy dtype kinds (``"b"`` bool, ``"i"``/``"u"`` integers, ``"f"`` floats, ``"c"`` complex,
            ``"U"`` strings, ...); tensors arrive as NumPy dtypes (bfloat16 as float32). ``None``: any.
        forms: the containers accepted: ``"ndarray"``, ``"tensor"``, ``"series"``.
    """

    shape: tuple[int | None, ...] | None = None
    kinds: str | None = None
    forms: tuple[str, ...] = ("ndarray", "tensor")

    def __post_init__(self) -> None:
        if self.shape is not None:
            try:
                if isinstance(self.shape, (str, bytes)) or any(isinstance(n, bool) for n in self.shape):
                    raise TypeError
                shape = tuple(None if n is None else operator.index(n) for n in self.shape)
            except TypeError:
                raise TypeError(f"Array.shape must be a tuple of ints and None, got {self.shape!r}") from None
            if any(n is not None and n < 0 for n in shape):
                raise TypeError(f"Array.shape must not hold negative lengths, got {self.shape!r}")
            object.__setattr__(self, "shape", shape)  # NumPy ints (X.shape[0] of a loaded array ...) as ints
        if self.kinds is not None and (not isinstance(self.kinds, str) or not self.kinds or set(self.kinds) - _KINDS):
            raise ValueError(f"Array.kinds must be NumPy dtype kinds ({''.join(sorted(_KINDS))}), got {self.kinds!r}")
        if not isinstance(self.forms, tuple) or not self.forms or set(self.forms) - set(_FORMS):
            raise ValueError(f"Array.forms must be a non-empty tuple of {_FORMS}, got {self.forms!r}")

    def describe(self) -> str:
        """The declaration in words, e.g. ``"a tensor of shape (?, 10) with dtype kind 'f'"``."""
        names = {"ndarray": "a NumPy array", "tensor": "a tensor", "series": "a pandas Series"}
        text = " or ".join(names[form] for form in _FORMS if form in self.forms)
        if self.shape is not None:
            text += f" of shape {_shape_text(self.shape)}"
        if self.kinds is not None:
            text += f" with dtype kind {' or '.join(repr(k) for k in self.kinds)}"
        return text

    def admit(self, header: ArrayHeader, path: str) -> None:
        """Raise :class:`ReplyMismatch` unless ``header`` (read before loading) fits this declaration."""
        problems = []
        if self.shape is not None and (
            len(header.shape) != len(self.shape)
            or any(want is not None and want != got for want, got in zip(self.shape, header.shape, strict=True))
        ):
            problems.append(f"shape {_shape_text(header.shape)}")
        if self.kinds is not None and header.dtype.kind not in self.kinds:
            problems.append(f"dtype {header.dtype} (kind {header.dtype.kind!r})")
        if problems:
            raise ReplyMismatch(path, self.describe(), "one of " + " and ".join(problems))


@dataclass(frozen=True)
class ListOf:
    """Declares a list whose every item matches ``item`` (``length``: exactly that many items)."""

    item: Any = None
    length: int | None = None

    def describe(self) -> str:
        return f"a list of {_items_text(self.length)}" if self.length is not None else "a list"


@dataclass(frozen=True)
class DictOf:
    """Declares a dict with any keys whose every value matches ``value``."""

    value: Any = None

    def describe(self) -> str:
        return "a dict"


@dataclass(frozen=True, eq=False)
class Returns:
    """A declaration ready for the decoder (the ``expect=`` of a session call); see the module docstring.

    Raises:
        TypeError: ``declaration`` is not made of the declarations listed above.
    """

    declaration: Any

    def __post_init__(self) -> None:
        _validate(self.declaration, 0)

    def describe(self) -> str:
        """The declaration in words."""
        return _describe(self.declaration)

    def vet(self, data: Any) -> Callable[[ArrayHeader], None]:
        """Check the wire form of a reply (nothing loaded yet); return the check of each array header.

        Raises:
            ReplyMismatch: the structure differs from the declaration.
        """
        arrays: dict[str, list[tuple[str, Array]]] = {}
        _walk(self.declaration, data, "", arrays, 0)

        def admit(header: ArrayHeader) -> None:
            for path, array in arrays.get(header.name, ()):
                array.admit(header, path)

        return admit


def mismatch_in(error: BaseException) -> ReplyMismatch | None:
    """The :class:`ReplyMismatch` that caused ``error`` (a session's ``ProtocolError``), if one did."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, ReplyMismatch):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


# -- internals -------------------------------------------------------------------------------------------------


def _validate(declaration: Any, depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise TypeError("return declaration nested too deeply")
    if declaration is None or isinstance(declaration, Array):
        return
    if isinstance(declaration, type):
        if declaration not in _TYPES:
            names = [t.__name__ for t in _TYPES]
            raise TypeError(f"{declaration.__name__} is not a return declaration (types: {names})")
        return
    if isinstance(declaration, (tuple, list)):
        for item in declaration:
            _validate(item, depth + 1)
        return
    if isinstance(declaration, dict):
        for key, value in declaration.items():
            if not isinstance(key, str):
                raise TypeError(f"declared dict keys must be str, got {key!r}")
            _validate(value, depth + 1)
        return
    if isinstance(declaration, ListOf):
        if declaration.length is not None and (type(declaration.length) is not int or declaration.length < 0):
            raise TypeError(f"ListOf.length must be a non-negative int, got {declaration.length!r}")
        _validate(declaration.item, depth + 1)
        return
    if isinstance(declaration, DictOf):
        _validate(declaration.value, depth + 1)
        return
    raise TypeError(f"not a return declaration: {declaration!r:.200}")


def _describe(declaration: Any) -> str:
    if declaration is None:
        return "anything"
    if isinstance(declaration, (Array, ListOf, DictOf)):
        return declaration.describe()
    if isinstance(declaration, type):
        return _TYPES[declaration]
    if isinstance(declaration, tuple):
        return f"a tuple of {_items_text(len(declaration))}"
    if isinstance(declaration, list):
        return f"a list of {_items_text(len(declaration))}"
    return f"a dict with keys {_keys_text(list(declaration))}"


def _walk(declaration: Any, data: Any, path: str, arrays: dict[str, list[tuple[str, Array]]], depth: int) -> None:
    """Match the wire form ``data`` against ``declaration``; collect the arrays' file names and declarations."""
    if declaration is None:
        return
    if depth > _MAX_DEPTH:
        raise CodecError("value nested too deeply")
    tag = data.get(TAG) if type(data) is dict else None

    def mismatch() -> ReplyMismatch:
        return ReplyMismatch(path, _describe(declaration), _wire_text(data))

    if isinstance(declaration, Array):
        if tag in ("ndarray", "tensor") and tag in declaration.forms:
            _record(arrays, data.get("file"), path, declaration)
        elif tag == "series" and "series" in declaration.forms:
            column = data.get("data")
            if type(column) is not dict or column.get("kind") != "numpy":
                kind = column.get("kind") if type(column) is dict else None
                what = {"strings": "strings", "category": "categories", "masked": "nullable values"}.get(kind, "?")
                raise ReplyMismatch(path, declaration.describe(), f"a pandas Series of {what}")
            _record(arrays, column.get("values"), path, declaration)
        else:
            raise mismatch()
    elif isinstance(declaration, type):
        if not _is_type(declaration, data, tag):
            raise mismatch()
    elif isinstance(declaration, (tuple, list, ListOf)):
        items = _items(declaration, data, tag)
        if items is None:
            raise mismatch()
        if isinstance(declaration, ListOf):
            for index, item in enumerate(items):
                _walk(declaration.item, item, f"{path}[{index}]", arrays, depth + 1)
        else:
            for index, (want, item) in enumerate(zip(declaration, items, strict=True)):  # _items checked the length
                _walk(want, item, f"{path}[{index}]", arrays, depth + 1)
    else:  # dict or DictOf
        entries = _entries(data, tag)
        if entries is None:
            raise mismatch()
        if isinstance(declaration, DictOf):
            for key, value in entries.items():
                _walk(declaration.value, value, f"{path}[{key!r}]", arrays, depth + 1)
            return
        missing = [key for key in declaration if key not in entries]
        if missing:
            raise ReplyMismatch(path, _describe(declaration),
                                f"a dict without {_keys_text(missing)} (its keys: {_keys_text(list(entries))})")
        for key, want in declaration.items():
            _walk(want, entries[key], f"{path}[{key!r}]", arrays, depth + 1)


def _record(arrays: dict[str, list[tuple[str, Array]]], name: Any, path: str, declaration: Array) -> None:
    if isinstance(name, str):  # anything else is malformed: the decoder refuses it
        arrays.setdefault(name, []).append((path, declaration))


def _is_type(declaration: type, data: Any, tag: Any) -> bool:
    kind = type(data)
    if declaration is bool:
        return kind is bool
    if declaration is int:
        return kind is int
    if declaration is float:
        return kind in (int, float)
    if declaration is complex:
        return kind in (int, float) or tag == "complex"
    if declaration is str:
        return kind is str
    if declaration is list:
        return kind is list
    if declaration is dict:
        return (kind is dict and tag is None) or tag == "dict"
    names = {bytes: "bytes", tuple: "tuple", Handle: "handle"}
    return tag == names[declaration]


def _items(declaration: Any, data: Any, tag: Any) -> list[Any] | None:
    """The wire items of a list or tuple matching ``declaration``'s kind and length, else ``None``."""
    if isinstance(declaration, tuple):
        items = data.get("items") if tag == "tuple" else None
    else:
        items = data if type(data) is list else None
    if type(items) is not list:
        return None
    length = declaration.length if isinstance(declaration, ListOf) else len(declaration)
    return items if length is None or len(items) == length else None


def _entries(data: Any, tag: Any) -> dict[Any, Any] | None:
    """The ``{str key: wire value}`` entries of a wire dict (non-str keys left out), else ``None``."""
    if type(data) is dict and tag is None:
        return data
    if tag != "dict" or type(data.get("items")) is not list:
        return None
    pairs = [pair for pair in data["items"] if type(pair) is list and len(pair) == 2]
    return {key: value for key, value in pairs if type(key) is str}


def _wire_text(data: Any) -> str:
    """What a wire value is, in words."""
    if data is None:
        return "None"
    kind = type(data)
    if kind in (bool, int, float):
        return f"{_TYPES[kind] if kind is not float else 'a float'} ({data!r:.40})"
    if kind is str:
        return f"a str ({data!r:.40})"
    if kind is list:
        return f"a list of {_items_text(len(data))}"
    if kind is not dict:
        return f"a {kind.__name__}"
    tag = data.get(TAG)
    if tag is None:
        return f"a dict with keys {_keys_text(list(data))}"
    if tag == "tuple" and type(data.get("items")) is list:
        return f"a tuple of {_items_text(len(data['items']))}"
    if tag == "handle":
        return f"an object kept in the worker ({str(data.get('type'))[:80]})"
    names = {"dict": "a dict", "complex": "a complex number", "bytes": "bytes", "ndarray": "a NumPy array",
             "tensor": "a tensor", "series": "a pandas Series", "dataframe": "a pandas DataFrame",
             "index": "a pandas Index"}
    return names.get(tag, f"a value tagged {str(tag)[:40]!r}")


def _items_text(count: int) -> str:
    return "1 item" if count == 1 else f"{count} items"


def _shape_text(shape: tuple[int | None, ...]) -> str:
    items = ["?" if n is None else str(n) for n in shape]
    return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"


def _keys_text(keys: list[Any]) -> str:
    shown = ", ".join(repr(key)[:40] for key in keys[:_SHOWN_KEYS])
    return shown + (f" and {len(keys) - _SHOWN_KEYS} more" if len(keys) > _SHOWN_KEYS else "") if keys else "none"
