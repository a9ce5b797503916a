"""Solution bodies: no function body of the reference solution, the hidden checks or the wrong answers may ship.

Every function and method of the reference solution is parsed, its docstrings dropped, and its body dumped as a
normalised AST (``ast.dump`` without line numbers), so that reformatting, comments and docstrings do not hide a
copy. Trivial bodies (``pass``, ``...``, ``raise NotImplementedError(...)``, a lone ``return`` of a name or
constant) and bodies identical in the starter (given helpers) are no answers and are skipped
(:func:`secret_bodies`). The same is done with the hidden checks' and the wrong answers' function bodies.

:func:`solution_body_leaks` then searches every statement list of every piece of Python in an archive
(:func:`~.snippets.python_sources`: modules, notebook cells, fenced code, doctest examples) for each secret body
as a contiguous run of statements, under any name.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from ...config import Course
from ..errors import ReleaseError
from .files import Files
from .snippets import python_sources

__all__ = ["Body", "Dump", "function_bodies", "secret_bodies", "solution_body_leaks"]

Dump = tuple[str, ...]
"""A normalised statement list: one ``ast.dump`` per statement."""


@dataclass(frozen=True)
class Body:
    """A secret function body: what it is (``"solution body of trees.rmse"``) and its normalised statements."""

    label: str
    dump: Dump


# -- normalised function bodies ----------------------------------------------------------------------------------


def _is_docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


class _DropDocstrings(ast.NodeTransformer):
    """Remove the docstring of the module and of every function and class (a body left empty gets ``pass``)."""

    def _strip(self, node: Any) -> Any:
        self.generic_visit(node)
        if node.body and _is_docstring(node.body[0]):
            node.body = node.body[1:] or [ast.Pass()]
        return node

    visit_Module = visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _strip


def _normalised(tree: ast.AST) -> ast.AST:
    return _DropDocstrings().visit(tree)


def _dump(statements: Iterable[ast.stmt]) -> Dump:
    return tuple(ast.dump(s, include_attributes=False) for s in statements)


def _body_without_docstring(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.stmt]:
    body = list(fn.body)
    return body[1:] if body and _is_docstring(body[0]) else body


def _raises_not_implemented(node: ast.stmt) -> bool:
    if not isinstance(node, ast.Raise) or node.exc is None:
        return False
    exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
    return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"


def _trivial(body: list[ast.stmt]) -> bool:
    """No answer in it: empty, ``pass``, ``...``, ``raise NotImplementedError(...)`` or ``return name/constant``."""
    if not body:
        return True
    if len(body) > 1:
        return False
    node = body[0]
    if isinstance(node, ast.Pass) or _raises_not_implemented(node):
        return True
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        return True
    return isinstance(node, ast.Return) and (node.value is None or isinstance(node.value, (ast.Name, ast.Constant)))


def _definitions(tree: ast.AST, prefix: str = "") -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Every function and method at any depth, with a dotted name (``Class.method``, ``outer.inner``)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield f"{prefix}{node.name}", node
            yield from _definitions(node, f"{prefix}{node.name}.")
        elif isinstance(node, ast.ClassDef):
            yield from _definitions(node, f"{prefix}{node.name}.")
        else:
            yield from _definitions(node, prefix)


def function_bodies(source: str | bytes, filename: str = "<source>") -> dict[str, list[Dump]]:
    """Dotted function name -> normalised bodies (a name defined twice has two) of the functions in ``source``."""
    tree = _normalised(ast.parse(source, filename=filename))
    bodies: dict[str, list[Dump]] = {}
    for name, fn in _definitions(tree):
        bodies.setdefault(name, []).append(_dump(fn.body))
    return bodies


def _raw_bodies(source: str | bytes, filename: str) -> dict[str, list[list[ast.stmt]]]:
    """Like :func:`function_bodies` but the statements themselves (docstrings dropped), to judge triviality."""
    tree = ast.parse(source, filename=filename)
    bodies: dict[str, list[list[ast.stmt]]] = {}
    for name, fn in _definitions(tree):
        bodies.setdefault(name, []).append(_body_without_docstring(fn))
    return bodies


def _nontrivial_bodies(path: Path) -> Iterator[tuple[str, Dump]]:
    """``(dotted name, normalised body)`` of every non-trivial function body of the Python file ``path``."""
    try:
        source = path.read_text(encoding="utf-8")
        raw = _raw_bodies(source, str(path))
    except (OSError, UnicodeDecodeError, SyntaxError) as exc:
        raise ReleaseError(f"cannot parse {path}: {exc}") from None
    for name, dumps in function_bodies(source, str(path)).items():
        for dump, statements in zip(dumps, raw[name], strict=True):
            if not _trivial(statements):
                yield name, dump


# -- the secret bodies ---------------------------------------------------------------------------------------------


def secret_bodies(course: Course, assignment: str) -> tuple[list[Body], int]:
    """The bodies that must not reach students, and how many solution bodies were skipped as given helpers.

    Solution bodies that differ from the starter's body of the same function, then the non-trivial bodies of
    the hidden checks and of the wrong answers that appear nowhere in the starter.
    """
    config = course.assignment(assignment)
    starter_dir, solution_dir = course.path(config.starter), course.path(config.solution)
    starter_any: set[Dump] = set()
    starter_by_name: dict[tuple[str, str], set[Dump]] = {}
    for module in config.modules:
        path = starter_dir / f"{module}.py"
        if path.is_file():
            try:
                bodies = function_bodies(path.read_text(encoding="utf-8"), str(path))
            except (OSError, UnicodeDecodeError, SyntaxError) as exc:
                raise ReleaseError(f"cannot parse {path}: {exc}") from None
            for name, dumps in bodies.items():
                starter_by_name[(module, name)] = set(dumps)
                starter_any.update(dumps)

    secrets: list[Body] = []
    given = 0
    for module in config.modules:
        path = solution_dir / f"{module}.py"
        if not path.is_file():
            raise ReleaseError(f"the reference solution {path} is missing")
        for name, dump in _nontrivial_bodies(path):
            if dump in starter_by_name.get((module, name), set()):
                given += 1
            else:
                secrets.append(Body(f"solution body of {module}.{name}", dump))

    others: list[tuple[str, Path]] = [
        (f"hidden check {PurePosixPath(config.checks, p.name)}", p)
        for p in sorted(course.path(config.checks).glob("*.py"))
    ]
    if config.wrong_answers and course.path(config.wrong_answers).is_file():
        others.append((f"wrong answers {config.wrong_answers}", course.path(config.wrong_answers)))
    for what, path in others:
        secrets += [Body(f"body of {what}:{name}", dump) for name, dump in _nontrivial_bodies(path)
                    if dump not in starter_any]
    return secrets, given


# -- searching an archive ----------------------------------------------------------------------------------------


def _statement_lists(tree: ast.AST) -> Iterator[list[ast.stmt]]:
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            value = getattr(node, field, None)
            if isinstance(value, list) and value and all(isinstance(s, ast.stmt) for s in value):
                yield value


def _contains(haystack: Dump, needle: Dump) -> bool:
    n = len(needle)
    return any(haystack[i:i + n] == needle for i in range(len(haystack) - n + 1) if haystack[i] == needle[0])


def solution_body_leaks(files: Files, secrets: list[Body], archive: str) -> list[str]:
    """Where each secret body appears in ``files`` (one message per body and file)."""
    problems: list[str] = []
    by_first: dict[str, list[Body]] = {}
    for body in secrets:
        if body.dump:
            by_first.setdefault(body.dump[0], []).append(body)
    for name in sorted(files):
        found: dict[str, str] = {}
        for where, tree in python_sources(name, files[name].data):
            for statements in _statement_lists(_normalised(tree)):
                dump = _dump(statements)
                for first in set(dump) & by_first.keys():
                    for body in by_first[first]:
                        if body.label not in found and _contains(dump, body.dump):
                            found[body.label] = where
        problems += [f"{label} appears in {archive}: {where}" for label, where in found.items()]
    return problems
