"""Python code inside the files of an archive: modules, notebook cells, fenced code in text, doctest examples.

The body-leak search (:mod:`.bodies`) looks for secret function bodies in every piece of Python an archive
file holds, however it is wrapped: a ``.py`` module; the code cells of a notebook (IPython magics and shell
escapes blanked out) and the fenced code blocks of its Markdown cells; fenced code blocks of ``.md``, ``.txt``
and ``.rst`` files; and the examples of every string constant that looks like a doctest (the public checks,
docstrings), in any of the above. Code that does not parse is skipped.
"""

from __future__ import annotations

import ast
import doctest
import json
import re
from collections.abc import Iterator

__all__ = ["python_sources"]

_FENCE = re.compile(r"^[ \t]*(```|~~~)[ \t]*(?P<lang>[\w+-]*)[^\n]*\n(?P<code>.*?)^[ \t]*\1", re.MULTILINE | re.DOTALL)
_MAGIC = re.compile(r"^\s*[%!]")


def _parse_quietly(code: str) -> ast.Module | None:
    try:
        return ast.parse(code)
    except (SyntaxError, ValueError):
        return None


def _doctest_code(tree: ast.AST) -> Iterator[ast.Module]:
    """The examples of every string constant that looks like a doctest (public checks, docstrings)."""
    parser = doctest.DocTestParser()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and ">>>" in node.value:
            try:
                examples = parser.get_examples(node.value)
            except ValueError:
                continue
            module = _parse_quietly("".join(example.source for example in examples))
            if module is not None:
                yield module
            else:
                yield from filter(None, (_parse_quietly(example.source) for example in examples))


def _cell_code(source: str) -> str:
    """A notebook code cell as Python: IPython magics and shell escapes blanked out."""
    return "\n".join("" if _MAGIC.match(line) else line for line in source.splitlines())


def _fenced(text: str) -> list[ast.Module]:
    return [t for m in _FENCE.finditer(text) if (t := _parse_quietly(_cell_code(m["code"]))) is not None]


def _notebook_sources(name: str, text: str) -> list[tuple[str, ast.Module]]:
    try:
        cells = json.loads(text).get("cells", [])
    except (ValueError, AttributeError):
        cells = []
    trees: list[tuple[str, ast.Module]] = []
    for i, cell in enumerate(cells):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        if cell.get("cell_type") == "code":
            tree = _parse_quietly(_cell_code(source))
            if tree is not None:
                trees.append((f"{name} (cell {i})", tree))
        elif cell.get("cell_type") == "markdown":
            trees += [(f"{name} (cell {i}, code block)", t) for t in _fenced(source)]
    return trees


def python_sources(name: str, data: bytes) -> Iterator[tuple[str, ast.Module]]:
    """Every piece of Python code in one archive file, as ``(where, tree)``."""
    text = data.decode("utf-8", errors="replace")
    trees: list[tuple[str, ast.Module]] = []
    if name.endswith(".py"):
        tree = _parse_quietly(text)
        if tree is not None:
            trees.append((name, tree))
    elif name.endswith(".ipynb"):
        trees += _notebook_sources(name, text)
    elif name.endswith((".md", ".txt", ".rst")):
        trees += [(f"{name} (code block)", t) for t in _fenced(text)]
    for where, tree in trees:
        yield where, tree
        for example in _doctest_code(tree):
            yield f"{where} (doctest)", example
