"""Look at a submission's modules before any of its code runs: size caps and embedded data.

Nothing here executes student code: sizes come from the file system, literals and imports from the module's syntax
tree (:func:`ast.parse`). Two outcomes:

- a module over ``limits.module_kb`` is *refused*: it is not given to the worker and the checks of its tasks fail;
- a module carrying a large literal (a string or bytes constant, or a list/tuple/set/dict display of constants,
  over ``limits.literal_kb``) is *flagged*: still graded, but marked for a person to look at, as an embedded
  answer key is the remaining way to cheat on public data.

The modules each module imports are noted too: the runner has the worker import those of the assignment's
libraries ahead of the first call (:func:`autograder.grading.runner.prepare_submission`).
"""

from __future__ import annotations

import ast
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Inspection", "find_large_literals", "format_size", "imported_modules", "inspect_modules"]

_DISPLAYS = {ast.List: "list", ast.Tuple: "tuple", ast.Set: "set", ast.Dict: "dict"}

# CPython 3.11 keeps one counter per interpreter while it turns a parsed tree into ``ast`` objects, so two threads
# parsing at once (a batch's jobs inspect their next submissions concurrently) can make ``ast.parse`` raise
# ``SystemError: AST constructor recursion depth mismatch`` (python/cpython#106905) and a correct submission would
# fail to be prepared. Our own parses take turns under this lock (process-wide, as the counter is); a race with a
# library parsing in another thread (a traceback's caret anchors, ``DataFrame.eval``) is retried.
_PARSE_LOCK = threading.Lock()
_PARSE_ATTEMPTS = 3


@dataclass
class Inspection:
    """What was found in a submission's modules.

    Attributes:
        accepted: module name -> file, for the modules small enough to be graded.
        refused: module name -> why it is not graded (e.g. ``"trees.py is 3.2 MiB, over the 1024 KiB limit ..."``).
        flags: one line per finding a person should look at (refused modules and large literals).
        imports: accepted module name -> the modules it imports absolutely anywhere in its code (``None``: it does
            not parse, so nobody knows).
    """

    accepted: dict[str, Path] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    imports: dict[str, frozenset[str] | None] = field(default_factory=dict)


def format_size(size: int) -> str:
    """``1536`` -> ``"1.5 KiB"``, ``3355443`` -> ``"3.2 MiB"`` (bytes under 1 KiB: ``"900 B"``)."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MiB"
    if size >= 1024:
        return f"{size / 1024:.0f} KiB" if size >= 10 * 1024 else f"{size / 1024:.1f} KiB"
    return f"{size} B"


def inspect_modules(modules: Mapping[str, Path], *, module_kb: int, literal_kb: int) -> Inspection:
    """Refuse modules over ``module_kb`` KiB and flag large literals in the others (see the module docstring)."""
    found = Inspection()
    for name, path in sorted(modules.items()):
        size = path.stat().st_size
        if size > module_kb * 1024:
            reason = f"{name}.py is {format_size(size)}, over the {module_kb} KiB limit for a module"
            found.refused[name] = reason
            found.flags.append(f"{reason}: not graded")
            continue
        found.accepted[name] = path
        tree, flags = _parse(path.read_bytes(), f"{name}.py")
        found.flags += flags + _literal_flags(tree, f"{name}.py", literal_kb * 1024)
        found.imports[name] = imported_modules(tree) if tree is not None else None
    return found


def find_large_literals(source: bytes, filename: str, limit: int) -> list[str]:
    """One line per literal over ``limit`` bytes in ``source`` (outermost only), in source order.

    A module that does not parse is not flagged (the worker reports its syntax error to the student), except
    when it is too deeply nested for the parser: that is unusual enough for a person to look at.
    """
    tree, flags = _parse(source, filename)
    return flags + _literal_flags(tree, filename, limit)


def imported_modules(tree: ast.AST) -> frozenset[str]:
    """The modules ``tree`` imports absolutely, at any depth: ``import torch.nn`` gives ``torch.nn``, ``from
    sklearn.tree import plot_tree`` gives ``sklearn.tree``; relative imports name no module, and imports under
    ``if TYPE_CHECKING:`` are never run, so they are left out."""
    names: set[str] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))
    return frozenset(names)


def _is_type_checking(test: ast.expr) -> bool:
    """``TYPE_CHECKING`` or ``typing.TYPE_CHECKING``."""
    return ((isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
            or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


def _parse(source: bytes, filename: str) -> tuple[ast.AST | None, list[str]]:
    """The module's syntax tree, or ``None`` and what a person should know (see :func:`find_large_literals`)."""
    try:
        return _parse_serialized(source, filename), []
    except (SyntaxError, ValueError):
        return None, []
    except (RecursionError, MemoryError):
        return None, [f"{filename}: too deeply nested to inspect (a person should look)"]


def _parse_serialized(source: bytes, filename: str) -> ast.AST:
    """``ast.parse``, one thread at a time, retried on the spurious ``SystemError`` described at ``_PARSE_LOCK``."""
    with _PARSE_LOCK:
        for _ in range(_PARSE_ATTEMPTS - 1):
            try:
                return ast.parse(source, filename=filename)
            except SystemError:
                continue
        return ast.parse(source, filename=filename)


def _literal_flags(tree: ast.AST | None, filename: str, limit: int) -> list[str]:
    if tree is None:
        return []
    return [f"{filename} line {line}: a {format_size(size)} {kind} (embedded data? a person should look)"
            for line, size, kind in _walk(tree, limit)]


def _walk(tree: ast.AST, limit: int) -> list[tuple[int, int, str]]:
    """``(line, size, kind)`` of every outermost literal over ``limit`` in ``tree``, in source order.

    Iterative (no recursion): a long chain like ``x + 1 + 1 + ...`` is a very deep tree.
    """
    nodes = list(ast.walk(tree))  # breadth first: every parent before its children
    sizes: dict[int, int | None] = {}
    for node in reversed(nodes):  # children before their parents
        sizes[id(node)] = _literal_size(node, sizes)
    found: list[tuple[int, int, int, str]] = []
    stack = list(ast.iter_child_nodes(tree))
    while stack:
        node = stack.pop()
        size = sizes[id(node)]
        if size is not None and size > limit:
            found.append((node.lineno, node.col_offset, size, _kind(node)))  # type: ignore[attr-defined]  # only expressions get a size
        else:
            stack.extend(ast.iter_child_nodes(node))
    return [(line, size, kind) for line, _, size, kind in sorted(found)]


def _literal_size(node: ast.AST, sizes: Mapping[int, int | None]) -> int | None:
    """Bytes of data a literal node embeds, or ``None`` if ``node`` is not a literal (``sizes``: its children's).

    Literals: constants (strings by their UTF-8 size, bytes by length, numbers by the length of their text),
    signed numbers, ``+`` of literals (``"a" "b"`` is already one constant), and displays; in a display only the
    literal parts count, so one name among a million numbers does not hide them.
    """
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, str):
            return len(value.encode("utf-8", "surrogatepass"))
        if isinstance(value, bytes):
            return len(value)
        return len(repr(value))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return sizes[id(node.operand)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = sizes[id(node.left)], sizes[id(node.right)]
        return None if left is None or right is None else left + right
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return sum(sizes[id(item)] or 0 for item in node.elts)
    if isinstance(node, ast.Dict):
        return sum(sizes[id(item)] or 0 for item in (*node.keys, *node.values) if item is not None)
    return None


def _kind(node: ast.AST) -> str:
    while isinstance(node, ast.UnaryOp):
        node = node.operand
    if isinstance(node, ast.Constant):
        return "bytes literal" if isinstance(node.value, bytes) else (
            "string literal" if isinstance(node.value, str) else "number literal")
    if isinstance(node, ast.BinOp):
        return "concatenation of literals"
    return f"{_DISPLAYS[type(node)]} display of constants"
