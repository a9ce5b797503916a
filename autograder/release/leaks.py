"""Leak checks: nothing of the answers, the hidden checks or the held-out data may reach students.

Three families of checks run on the files of the release (archive name -> bytes), before anything is written:

* **Solution bodies** (:func:`solution_body_leaks`). Every function and method of the reference solution is
  parsed, its docstrings dropped, and its body dumped as a normalised AST (``ast.dump`` without line numbers),
  so that reformatting, comments and docstrings do not hide a copy. Trivial bodies (``pass``, ``...``,
  ``raise NotImplementedError(...)``, a lone ``return`` of a name or constant) and bodies identical in the
  starter (given helpers) are no answers and are skipped. Every statement list of every Python source in the
  archive (modules, notebook code cells, fenced code in Markdown, doctest examples in strings such as the
  public checks) is then searched for each remaining body as a contiguous run of statements, under any name.
  The same is done with the hidden checks' and the wrong answers' function bodies.
* **Forbidden files** (:func:`forbidden_files`): hidden check files, ``course.yml``, ``reference.json``,
  the wrong answers, the notebook's source, data files (``*.npy``, ``*.npz``, ``*.csv``, ``*.gz``, ``*.pt``,
  ``*.pkl``, MNIST and temperature files ...), by name, by type and by content; and calibrated reference
  figures (:func:`figure_leaks`) written out anywhere in the text.
* **Public API** (:func:`api_differences`): the starter and the solution must define the same public
  functions, classes, methods and module constants, the functions and methods with the same signatures
  (parameters, defaults and annotations compared as source text, decorators) and the same docstrings (of
  functions, classes and methods), so that what students read is what is graded. Constants are compared by
  name only: their values are answers, and a placeholder may need a wider annotation (``dict | None = None``).
* **Solved in the starter** (:func:`solved_in_starter`): a function the hidden checks call (or a constant
  they read) must not have the solution's body (value) in the starter, even though identical bodies are
  otherwise taken for given helpers.

:func:`check_leaks` runs all of them on the student zip (it can run on its own, without grading anything);
:func:`check_bundle` checks the Gradescope bundle for solution code and wrong answers. Both raise
:class:`~autograder.release.errors.ReleaseError` listing every problem, and return the verdicts otherwise.
"""

from __future__ import annotations

import ast
import doctest
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from ..config import Course
from .errors import ReleaseError
from .student import NOTEBOOK_SOURCE, student_entries, student_zip_name
from .zipfile_det import Entry

__all__ = [
    "Body", "api_differences", "check_bundle", "check_leaks", "figure_leaks", "forbidden_files",
    "function_bodies", "graded_targets", "secret_bodies", "solution_body_leaks", "solved_in_starter",
]

Files = Mapping[str, Entry]
Dump = tuple[str, ...]

# --------------------------------------------------------------------------------------------------------------
# Normalised function bodies
# --------------------------------------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class Body:
    """A secret function body: what it is (``"solution body of trees.rmse"``) and its normalised statements."""

    label: str
    dump: Dump


def _parse_file(path: Path) -> str:
    try:
        source = path.read_text(encoding="utf-8")
        ast.parse(source, filename=str(path))
    except (OSError, UnicodeDecodeError, SyntaxError) as exc:
        raise ReleaseError(f"cannot parse {path}: {exc}") from None
    return source


def secret_bodies(course: Course, assignment: str) -> tuple[list[Body], int]:
    """The bodies that must not reach students, and how many solution bodies were skipped as given helpers.

    Solution bodies that differ from the starter's body of the same function, then the non-trivial bodies of
    the hidden checks and of the wrong answers that appear nowhere in the starter.
    """
    config = course.assignment(assignment)
    starter_dir, solution_dir = course.path(config.starter), course.path(config.solution)
    starter_any: set[Dump] = set()
    starter_by_name: dict[tuple[str, str], list[Dump]] = {}
    for module in config.modules:
        path = starter_dir / f"{module}.py"
        if path.is_file():
            for name, dumps in function_bodies(_parse_file(path), str(path)).items():
                starter_by_name[(module, name)] = dumps
                starter_any.update(dumps)

    secrets: list[Body] = []
    given = 0
    for module in config.modules:
        path = solution_dir / f"{module}.py"
        if not path.is_file():
            raise ReleaseError(f"the reference solution {path} is missing")
        source = _parse_file(path)
        raw = _raw_bodies(source, str(path))
        for name, dumps in function_bodies(source, str(path)).items():
            for dump, statements in zip(dumps, raw[name]):
                if _trivial(statements):
                    continue
                if dump in starter_by_name.get((module, name), []):
                    given += 1
                    continue
                secrets.append(Body(f"solution body of {module}.{name}", dump))

    others: list[tuple[str, Path]] = [
        (f"hidden check {PurePosixPath(config.checks, p.name)}", p)
        for p in sorted(course.path(config.checks).glob("*.py"))
    ]
    if config.wrong_answers and course.path(config.wrong_answers).is_file():
        others.append((f"wrong answers {config.wrong_answers}", course.path(config.wrong_answers)))
    for what, path in others:
        source = _parse_file(path)
        raw = _raw_bodies(source, str(path))
        for name, dumps in function_bodies(source, str(path)).items():
            for dump, statements in zip(dumps, raw[name]):
                if not _trivial(statements) and dump not in starter_any:
                    secrets.append(Body(f"body of {what}:{name}", dump))
    return secrets, given


def graded_targets(course: Course, assignment: str) -> set[str]:
    """The ``module.attribute`` names the hidden checks ask the worker for (string constants in the checks)."""
    config = course.assignment(assignment)
    modules = "|".join(map(re.escape, config.modules))
    pattern = re.compile(rf"^({modules})\.[A-Za-z_]\w*$")
    targets: set[str] = set()
    for path in sorted(course.path(config.checks).glob("*.py")):
        for node in ast.walk(ast.parse(_parse_file(path), filename=str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and pattern.match(node.value):
                targets.add(node.value)
    return targets


def _constant_values(tree: ast.Module) -> dict[str, str]:
    values: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and node.value is not None:
            for target in node.targets:
                if isinstance(target, ast.Name):
                    values[target.id] = ast.dump(node.value, include_attributes=False)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            values[node.target.id] = ast.dump(node.value, include_attributes=False)
    return values


_EMPTY_VALUES = {ast.dump(ast.parse(x, mode="eval").body) for x in ("None", "...", "{}", "[]", "()", "''", "0")}


def solved_in_starter(course: Course, assignment: str) -> list[str]:
    """Graded functions, methods and constants the starter gives away: identical to the solution's.

    A body identical in starter and solution normally is a given helper; but if the hidden checks call that
    function (or read that constant), the starter hands out the answer.
    """
    config = course.assignment(assignment)
    targets = graded_targets(course, assignment)
    problems: list[str] = []
    for module in config.modules:
        starter, solution = course.path(config.starter) / f"{module}.py", course.path(config.solution) / f"{module}.py"
        if not (starter.is_file() and solution.is_file()):
            continue
        mine, theirs = _parse_file(starter), _parse_file(solution)
        starter_bodies, raw = function_bodies(mine, str(starter)), _raw_bodies(theirs, str(solution))
        for name, dumps in function_bodies(theirs, str(solution)).items():
            graded = f"{module}.{name.split('.')[0]}" in targets
            for dump, statements in zip(dumps, raw[name]):
                if graded and not _trivial(statements) and dump in starter_bodies.get(name, []):
                    problems.append(f"{module}.{name}: the starter's body is the solution's, and the hidden checks "
                                    f"grade {module}.{name.split('.')[0]}")
        given = _constant_values(ast.parse(mine))
        for name, value in _constant_values(ast.parse(theirs)).items():
            if f"{module}.{name}" in targets and given.get(name) == value and value not in _EMPTY_VALUES:
                problems.append(f"{module}.{name}: the starter sets the solution's value, and the hidden checks read it")
    return problems


# --------------------------------------------------------------------------------------------------------------
# Python code inside the files of an archive
# --------------------------------------------------------------------------------------------------------------

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


def python_sources(name: str, data: bytes) -> Iterator[tuple[str, ast.Module]]:
    """Every piece of Python code in one archive file, as ``(where, tree)``."""
    text = data.decode("utf-8", errors="replace")
    trees: list[tuple[str, ast.Module]] = []
    if name.endswith(".py"):
        tree = _parse_quietly(text)
        if tree is not None:
            trees.append((name, tree))
    elif name.endswith(".ipynb"):
        try:
            cells = json.loads(text).get("cells", [])
        except (ValueError, AttributeError):
            cells = []
        for i, cell in enumerate(cells):
            source = cell.get("source", "")
            source = "".join(source) if isinstance(source, list) else str(source)
            if cell.get("cell_type") == "code":
                tree = _parse_quietly(_cell_code(source))
                if tree is not None:
                    trees.append((f"{name} (cell {i})", tree))
            elif cell.get("cell_type") == "markdown":
                trees += [(f"{name} (cell {i}, code block)", t) for t in _fenced(source)]
    elif name.endswith((".md", ".txt", ".rst")):
        trees += [(f"{name} (code block)", t) for t in _fenced(text)]
    for where, tree in trees:
        yield where, tree
        for example in _doctest_code(tree):
            yield f"{where} (doctest)", example


def _fenced(text: str) -> list[ast.Module]:
    return [t for m in _FENCE.finditer(text) if (t := _parse_quietly(_cell_code(m["code"]))) is not None]


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


# --------------------------------------------------------------------------------------------------------------
# Files that must not ship
# --------------------------------------------------------------------------------------------------------------

_DATA_SUFFIXES = (".npy", ".npz", ".csv", ".tsv", ".gz", ".bz2", ".xz", ".zip", ".tar", ".tgz", ".pt", ".pth",
                  ".ckpt", ".pkl", ".pickle", ".joblib", ".h5", ".hdf5", ".parquet", ".feather", ".arrow",
                  ".json", ".yml", ".yaml", ".npy.gz", ".idx", ".safetensors")
_STUDENT_SUFFIXES = (".py", ".md", ".ipynb")
_MNIST = re.compile(r"(-ubyte|^t10k-|^train-images|^train-labels)", re.IGNORECASE)
_SECRET_NAMES = {"course.yml", "course.yaml", "reference.json", "references.json", "thresholds.json",
                 "calibration.json", NOTEBOOK_SOURCE, "SHA256SUMS"}


def _temperature_files() -> set[str]:
    try:
        from autograder.data.temperature import CITIES
    except ImportError:  # pragma: no cover - the data layer is part of the package
        return set()
    return {f"{city}.txt".lower() for city in CITIES}


def forbidden_files(course: Course, assignment: str, files: Files, archive: str) -> list[str]:
    """Hidden, secret or data files among ``files`` (student archive), by name, type and content."""
    config = course.assignment(assignment)
    secret_content: dict[bytes, str] = {}
    for path in sorted(course.path(config.checks).glob("*")):
        if path.is_file():
            secret_content.setdefault(path.read_bytes(), f"the hidden check {PurePosixPath(config.checks, path.name)}")
    course_file = course.root / "course.yml"
    if course_file.is_file():
        secret_content.setdefault(course_file.read_bytes(), "course.yml")
    if config.wrong_answers and course.path(config.wrong_answers).is_file():
        secret_content.setdefault(course.path(config.wrong_answers).read_bytes(), config.wrong_answers)
    solution_dir, starter_dir = course.path(config.solution), course.path(config.starter)
    for module in config.modules:
        solution, starter = solution_dir / f"{module}.py", starter_dir / f"{module}.py"
        if solution.is_file() and not (starter.is_file() and starter.read_bytes() == solution.read_bytes()):
            secret_content.setdefault(solution.read_bytes(), f"the reference solution {config.solution}/{module}.py")

    temperature = _temperature_files()
    checks_dir = PurePosixPath(config.checks).as_posix().strip("/") + "/"
    solution_rel = PurePosixPath(config.solution).as_posix().strip("/") + "/"
    wrong_name = PurePosixPath(config.wrong_answers).name if config.wrong_answers else "wrong_answers.py"
    problems: list[str] = []
    for name in sorted(files):
        path = PurePosixPath(name)
        base = path.name
        reasons: list[str] = []
        if base in _SECRET_NAMES or base == wrong_name:
            reasons.append("a grader-only file")
        elif base.lower().endswith(_DATA_SUFFIXES) or base.lower() in temperature or (
                _MNIST.search(base) and not base.endswith(_STUDENT_SUFFIXES)):
            reasons.append("a data file")
        elif not base.endswith(_STUDENT_SUFFIXES) and base != "requirements.txt":
            reasons.append("not a handout file type (.py, .md, .ipynb, requirements.txt)")
        if f"/{checks_dir}" in f"/{name}" or f"/{solution_rel}" in f"/{name}" or "solutions" in path.parts:
            reasons.append("from the hidden solutions folder")
        if files[name].data in secret_content:
            reasons.append(f"a copy of {secret_content[files[name].data]}")
        if reasons:
            problems.append(f"{name} must not be in {archive}: " + "; ".join(dict.fromkeys(reasons)))
    return problems


def _numbers(value: Any) -> Iterator[float]:
    if isinstance(value, bool):
        return
    if isinstance(value, float):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _numbers(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _numbers(item)


def _significant_digits(text: str) -> int:
    mantissa = text.lower().split("e")[0].lstrip("-").replace(".", "").lstrip("0")
    return len(mantissa)


def figure_leaks(files: Files, figures: Any, archive: str, what: str = "a reference figure") -> list[str]:
    """Reference or calibration figures written out in a text file of ``files``.

    Only figures precise enough not to turn up by chance (8 or more significant digits) are searched for,
    in the ways Python prints them (``repr``, ``str`` and ``numpy``'s shortest form are the same).
    """
    wanted = {repr(x) for x in _numbers(figures) if math.isfinite(x) and _significant_digits(repr(x)) >= 8}
    if not wanted:
        return []
    pattern = re.compile(r"(?<![\d.])(" + "|".join(map(re.escape, sorted(wanted, key=len, reverse=True))) + r")(?!\d)")
    problems = []
    for name in sorted(files):
        match = pattern.search(files[name].data.decode("utf-8", errors="replace"))
        if match:
            problems.append(f"{what} ({match[1]}) is written out in {archive}: {name}")
    return problems


def _threshold_figures(course: Course, assignment: str) -> list[float]:
    figures: list[float] = []
    for profile in course.assignment(assignment).profiles.values():
        for threshold in profile.thresholds.values():
            figures += threshold.reference + list(threshold.wrong.values())
    return figures


# --------------------------------------------------------------------------------------------------------------
# Public API: starter == solution
# --------------------------------------------------------------------------------------------------------------

Function = ast.FunctionDef | ast.AsyncFunctionDef


def _public(name: str, member: bool = False) -> bool:
    if member and name.startswith("__") and name.endswith("__"):
        return True
    return not name.startswith("_")


def _text(node: ast.AST | None) -> str:
    return "" if node is None else ast.unparse(node)


def _parameters(fn: Function) -> list[tuple[str, str]]:
    """``(name, rendering)`` per parameter, rendered like ``inspect.signature`` (``seed: int = 0``)."""
    args = fn.args

    def render(arg: ast.arg, default: ast.expr | None, star: str = "") -> tuple[str, str]:
        text = star + arg.arg + (f": {_text(arg.annotation)}" if arg.annotation is not None else "")
        if default is not None:
            text += f" = {_text(default)}" if arg.annotation is not None else f"={_text(default)}"
        return arg.arg, text

    positional = args.posonlyargs + args.args
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    params = [render(arg, default) for arg, default in zip(positional, defaults)]
    if args.posonlyargs:
        params.insert(len(args.posonlyargs), ("/", "/"))
    if args.vararg is not None:
        params.append(render(args.vararg, None, "*"))
    elif args.kwonlyargs:
        params.append(("*", "*"))
    params += [render(arg, default) for arg, default in zip(args.kwonlyargs, args.kw_defaults)]
    if args.kwarg is not None:
        params.append(render(args.kwarg, None, "**"))
    return params


def _signature(fn: Function) -> str:
    text = f"({', '.join(t for _, t in _parameters(fn))})"
    return text + (f" -> {_text(fn.returns)}" if fn.returns is not None else "")


@dataclass
class _Api:
    functions: dict[str, Function]
    classes: dict[str, ast.ClassDef]
    constants: dict[str, str]  # name -> annotation ("" if none; not compared)


def _api(body: list[ast.stmt], member: bool = False) -> _Api:
    api = _Api({}, {}, {})
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _public(node.name, member):
            api.functions[node.name] = node
        elif isinstance(node, ast.ClassDef) and _public(node.name, member):
            api.classes[node.name] = node
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name) and _public(name.id):
                        api.constants.setdefault(name.id, "")
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and _public(node.target.id):
            api.constants[node.target.id] = _text(node.annotation)
    return api


def _docstring_difference(starter: str | None, solution: str | None) -> str:
    if starter is None or solution is None:
        return f"the {'starter' if starter is None else 'solution'} has no docstring"
    a, b = starter.splitlines(), solution.splitlines()
    for i, (x, y) in enumerate(zip(a, b), 1):
        if x != y:
            return f"line {i}: starter {x.strip()!r}, solution {y.strip()!r}"
    longer, which = (a, "starter") if len(a) > len(b) else (b, "solution")
    extra = longer[min(len(a), len(b))]
    return f"the {which} has more lines ({extra.strip()!r} ...)"


def _compare_functions(qualname: str, starter: Function, solution: Function) -> list[str]:
    problems: list[str] = []
    if type(starter) is not type(solution):
        problems.append(f"{qualname}: async in the {'starter' if isinstance(starter, ast.AsyncFunctionDef) else 'solution'} only")
    mine, theirs = _parameters(starter), _parameters(solution)
    if mine != theirs:
        a, b = dict(mine), dict(theirs)
        if [n for n, _ in mine] == [n for n, _ in theirs]:
            for name, text in mine:
                if text != b[name]:
                    problems.append(f"{qualname}: parameter {name!r} is `{text}` in the starter, `{b[name]}` in the solution")
        else:
            for name in [n for n, _ in theirs if n not in a]:
                problems.append(f"{qualname}: parameter {name!r} (`{b[name]}`) is missing from the starter")
            for name in [n for n, _ in mine if n not in b]:
                problems.append(f"{qualname}: parameter {name!r} (`{a[name]}`) is in the starter only")
            problems.append(f"{qualname}: signature {_signature(starter)} in the starter, {_signature(solution)} in the solution")
    if _text(starter.returns) != _text(solution.returns):
        problems.append(f"{qualname}: return annotation `{_text(starter.returns) or '(none)'}` in the starter, "
                        f"`{_text(solution.returns) or '(none)'}` in the solution")
    decorators = [_text(d) for d in starter.decorator_list], [_text(d) for d in solution.decorator_list]
    if decorators[0] != decorators[1]:
        problems.append(f"{qualname}: decorators {decorators[0]} in the starter, {decorators[1]} in the solution")
    doc_a, doc_b = ast.get_docstring(starter, clean=True), ast.get_docstring(solution, clean=True)
    if doc_a != doc_b:
        problems.append(f"{qualname}: docstrings differ ({_docstring_difference(doc_a, doc_b)})")
    return problems


def _compare_scopes(prefix: str, starter: _Api, solution: _Api) -> list[str]:
    problems: list[str] = []
    kinds = (("function", "functions"), ("class", "classes"), ("constant", "constants"))
    for kind, attr in kinds:
        a, b = getattr(starter, attr), getattr(solution, attr)
        for name in sorted(b.keys() - a.keys()):
            problems.append(f"{prefix}{name}: public {kind} of the solution is missing from the starter")
        for name in sorted(a.keys() - b.keys()):
            problems.append(f"{prefix}{name}: public {kind} of the starter is not in the solution")
    for name in sorted(starter.functions.keys() & solution.functions.keys()):
        problems += _compare_functions(f"{prefix}{name}", starter.functions[name], solution.functions[name])
    # Constants: the names only. Their values are answers (BEST_CONFIG), and a placeholder may need a wider
    # annotation in the starter (``dict | None = None``).
    for name in sorted(starter.classes.keys() & solution.classes.keys()):
        a, b = starter.classes[name], solution.classes[name]
        qualname = f"{prefix}{name}"
        bases = ([_text(x) for x in a.bases + a.keywords], [_text(x) for x in b.bases + b.keywords])  # type: ignore[operator]
        if bases[0] != bases[1]:
            problems.append(f"{qualname}: bases {bases[0]} in the starter, {bases[1]} in the solution")
        decorators = [_text(d) for d in a.decorator_list], [_text(d) for d in b.decorator_list]
        if decorators[0] != decorators[1]:
            problems.append(f"{qualname}: decorators {decorators[0]} in the starter, {decorators[1]} in the solution")
        doc_a, doc_b = ast.get_docstring(a, clean=True), ast.get_docstring(b, clean=True)
        if doc_a != doc_b:
            problems.append(f"{qualname}: docstrings differ ({_docstring_difference(doc_a, doc_b)})")
        problems += _compare_scopes(f"{qualname}.", _api(a.body, member=True), _api(b.body, member=True))
    return problems


def api_differences(course: Course, assignment: str) -> list[str]:
    """Every difference between the public API of the starter modules and that of the solution."""
    config = course.assignment(assignment)
    problems: list[str] = []
    for module in config.modules:
        starter, solution = course.path(config.starter) / f"{module}.py", course.path(config.solution) / f"{module}.py"
        missing = [str(p) for p in (starter, solution) if not p.is_file()]
        if missing:
            problems.append(f"{module}: {', '.join(missing)} missing")
            continue
        a = ast.parse(_parse_file(starter), filename=str(starter))
        b = ast.parse(_parse_file(solution), filename=str(solution))
        problems += _compare_scopes(f"{module}.", _api(a.body), _api(b.body))
    return problems


# --------------------------------------------------------------------------------------------------------------
# Putting it together
# --------------------------------------------------------------------------------------------------------------


def _fail(title: str, problems: list[str]) -> None:
    if problems:
        raise ReleaseError(f"{title} ({len(problems)} problem{'s' if len(problems) != 1 else ''}):\n"
                           + "\n".join(f"  - {p}" for p in problems))


def check_leaks(course: Course, assignment: str, student: Files | None = None) -> list[str]:
    """Run every leak check on the student zip's files (gathered here if not given); return the verdicts.

    Raises :class:`ReleaseError` naming every problem found. Grades nothing, so it is quick.
    """
    archive = student_zip_name(assignment)
    files = student_entries(course, assignment) if student is None else student
    api = api_differences(course, assignment)
    secrets, given = secret_bodies(course, assignment)
    bodies = solution_body_leaks(files, secrets, archive)
    forbidden = forbidden_files(course, assignment, files, archive)
    figures = figure_leaks(files, _threshold_figures(course, assignment), archive, "a calibrated threshold figure")
    solved = solved_in_starter(course, assignment)
    _fail(f"the leak checks of {archive} failed", bodies + solved + forbidden + figures + api)
    n_solution = sum(1 for s in secrets if s.label.startswith("solution body"))
    return [
        (f"no solution code in {archive}: {n_solution} solution bodies and {len(secrets) - n_solution} hidden-check "
         f"and wrong-answer bodies searched for in {len(files)} files ({given} given helpers skipped)"),
        f"no hidden, secret or data file in {archive}",
        (f"the starter's public API equals the solution's ({len(course.assignment(assignment).modules)} modules: "
         "names, signatures, docstrings)"),
    ]


def check_bundle(course: Course, assignment: str, bundle: Files, archive: str) -> list[str]:
    """The Gradescope bundle holds no solution code and no wrong answers; return the verdicts."""
    config = course.assignment(assignment)
    secrets, _ = secret_bodies(course, assignment)
    solution_secrets = [s for s in secrets if s.label.startswith("solution body")]
    problems = solution_body_leaks(bundle, solution_secrets, archive)
    wrong = course.path(config.wrong_answers) if config.wrong_answers else None
    wrong_name = wrong.name if wrong is not None else "wrong_answers.py"
    wrong_bytes = wrong.read_bytes() if wrong is not None and wrong.is_file() else None
    solution_dir = course.path(config.solution)
    solution_files = {(solution_dir / f"{m}.py").read_bytes(): f"{config.solution}/{m}.py"
                      for m in config.modules if (solution_dir / f"{m}.py").is_file()}
    for name in sorted(bundle):
        data = bundle[name].data
        if PurePosixPath(name).name == wrong_name or (wrong_bytes is not None and data == wrong_bytes):
            problems.append(f"{name} must not be in {archive}: the wrong answers are never released")
        if data in solution_files:
            problems.append(f"{name} must not be in {archive}: a copy of the reference solution {solution_files[data]}")
    _fail(f"the leak checks of {archive} failed", problems)
    return [(f"no solution code and no wrong answers in {archive} ({len(solution_secrets)} solution bodies searched "
             f"for in {len(bundle)} files)")]
