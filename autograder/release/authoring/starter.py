"""Starter templates generated from the reference solutions, the one hand-written copy of every student module.

The solution marks what students must write, in the convention of otter-grader and nbgrader::

    def mean(values):
        \"\"\"The mean of ``values``, as a float.\"\"\"
        # BEGIN SOLUTION
        # STUB: stats.mean: add the values up and divide
        # STUB: by how many there are.
        return sum(values) / len(values)
        # END SOLUTION

    # BEGIN SOLUTION
    # STUB: the number of bins that worked best
    BEST_BINS: int = 12
    # END SOLUTION

which ``render_starter`` turns into::

    def mean(values):
        \"\"\"The mean of ``values``, as a float.\"\"\"
        raise NotImplementedError("stats.mean: add the values up and divide by how many there are.")

    BEST_BINS: int | None = None  # TODO: the number of bins that worked best

* ``# BEGIN SOLUTION`` and ``# END SOLUTION`` are comment lines of their own, at the indentation of the code
  they enclose. Regions do not nest, and each holds at least one statement.
* One or more ``# STUB: <text>`` lines directly follow ``# BEGIN SOLUTION``, at the same indentation; their
  texts, joined with single spaces, are the message students read. Every region needs one.
* Inside a function or method, the region becomes ``raise NotImplementedError("<message>")`` at the region's
  indentation (the message wrapped over several string literals when the line would be too long).
* Outside any function (a module constant such as a tuned configuration), the region may hold only assignments
  to plain names; each becomes a placeholder ``NAME = None  # TODO: <message>``, an annotation ``T`` widened to
  ``T | None``. Comments in the region (which explain the solution's value) are dropped with it.

Everything outside the regions (module docstring, imports, signatures, docstrings, given helpers) is copied
unchanged. :func:`render_starter` does the work on one text; :func:`starter_files`, :func:`write_starters` and
:func:`stale_starters` apply it to every module of an assignment in ``course.yml``.
"""

from __future__ import annotations

import ast
import io
import json
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

from ...config import Course
from ...results.atomic import write_if_changed
from ..errors import ReleaseError

__all__ = ["StarterError", "render_starter", "stale_starters", "starter_files", "write_starters"]

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
STUB = "# STUB:"

#: Longest line the generator writes, and the longest piece of message on one line of a wrapped ``raise``.
LINE_LENGTH = 120
MESSAGE_WIDTH = 100

# A comment that looks like a marker but is not exactly one (a typo must not leak solution code).
_MARKER_LIKE = re.compile(r"#\s*(?i:(BEGIN|END)\s*SOLUTION)|#\s*STUB\b")


class StarterError(ReleaseError):
    """A solution's markers are malformed; the message names the file and the line."""


@dataclass
class _Region:
    """One marked region; line numbers are 1-based indices into the source."""

    begin: int
    indent: str
    stub: list[str]
    end: int = 0


def _marker_comments(source: str, filename: str) -> dict[int, str]:
    """Line number -> the comment of every line that holds only a comment (never text inside a string)."""
    comments: dict[int, str] = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT and tok.line[: tok.start[1]].strip() == "":
                comments[tok.start[0]] = tok.string.rstrip()
    except (tokenize.TokenError, SyntaxError) as exc:
        raise StarterError(f"{filename}: cannot read the solution as Python: {exc}") from None
    return comments


def _find_regions(lines: list[str], comments: dict[int, str], filename: str) -> list[_Region]:
    """Pair the markers up and collect each region's STUB message; raise :class:`StarterError` on any mistake."""
    regions: list[_Region] = []
    current: _Region | None = None
    stub_open = False  # the lines since BEGIN have all been STUB lines
    for number in range(1, len(lines) + 1):
        comment = comments.get(number)
        where = f"{filename}:{number}"
        indent = lines[number - 1][: len(lines[number - 1]) - len(lines[number - 1].lstrip())]
        if comment == BEGIN:
            if current is not None:
                raise StarterError(f"{where}: {BEGIN} inside the region opened on line {current.begin}")
            current, stub_open = _Region(begin=number, indent=indent, stub=[]), True
        elif comment == END:
            if current is None:
                raise StarterError(f"{where}: {END} without a {BEGIN} before it")
            if indent != current.indent:
                raise StarterError(f"{where}: {END} is not indented like the {BEGIN} on line {current.begin}")
            if not current.stub:
                raise StarterError(f"{where}: the region opened on line {current.begin} has no '{STUB} <message>' "
                                   f"line directly after {BEGIN}")
            current.end = number
            regions.append(current)
            current = None
        elif comment is not None and comment.startswith(STUB):
            if current is None:
                raise StarterError(f"{where}: '{STUB}' outside a solution region")
            if not stub_open:
                raise StarterError(f"{where}: '{STUB}' lines must directly follow {BEGIN} (line {current.begin})")
            if indent != current.indent:
                raise StarterError(f"{where}: '{STUB}' is not indented like the {BEGIN} on line {current.begin}")
            text = comment[len(STUB):].strip()
            if not text:
                raise StarterError(f"{where}: '{STUB}' without a message")
            current.stub.append(text)
        elif comment is not None and _MARKER_LIKE.match(comment):
            raise StarterError(f"{where}: malformed marker {comment!r}; expected exactly {BEGIN!r}, {END!r} or "
                               f"'{STUB} <message>'")
        else:
            stub_open = False
    if current is not None:
        raise StarterError(f"{filename}:{current.begin}: {BEGIN} without a matching {END}")
    return regions


def _function_lines(tree: ast.Module) -> list[tuple[int, int]]:
    """(first body line, last line) of every function and method."""
    return [(node.body[0].lineno, node.end_lineno or node.lineno) for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]


def _statements(region: _Region, tree: ast.Module, where: str) -> list[ast.stmt]:
    """The outermost statements that lie inside ``region``; a statement that crosses a marker is an error."""
    found: list[ast.stmt] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.stmt):
            continue
        first, last = node.lineno, node.end_lineno or node.lineno
        # A compound statement may end before the END line (a function whose last lines are the region).
        if region.begin < first < region.end < last or (
                first < region.begin < last < region.end and not hasattr(node, "body")):
            raise StarterError(f"{where}: the statement on lines {first}-{last} crosses a marker of the region "
                               f"ending on line {region.end}")
        if region.begin < first and last < region.end:
            found.append(node)
    outermost = [node for node in found
                 if not any(other is not node and other.lineno <= node.lineno
                            and (node.end_lineno or 0) <= (other.end_lineno or 0) for other in found)]
    for node in outermost:
        if node.col_offset != len(region.indent):
            raise StarterError(f"{where}: line {node.lineno} is not indented like the {BEGIN} (code in a region "
                               "starts at the marker's indentation)")
    return outermost


def _literal(text: str) -> str:
    """``text`` as a double-quoted Python string literal (JSON's escapes are all valid Python escapes)."""
    return json.dumps(text, ensure_ascii=False)


def _wrap(message: str, width: int) -> list[str]:
    """Split ``message`` after spaces into pieces of at most ``width`` characters (a longer word stays whole).

    The pieces concatenate back to ``message`` exactly; each keeps its trailing space.
    """
    pieces: list[str] = []
    for word in re.findall(r"\s*\S+\s*", message) or [message]:
        if pieces and len((pieces[-1] + word).rstrip()) <= width:
            pieces[-1] += word
        else:
            pieces.append(word)
    return pieces


def _raise(message: str, indent: str) -> list[str]:
    """``raise NotImplementedError(message)`` at ``indent``, on one line if it fits, else one piece per line."""
    line = f"{indent}raise NotImplementedError({_literal(message)})"
    if len(line) <= LINE_LENGTH:
        return [line]
    inner = indent + "    "
    width = max(20, min(MESSAGE_WIDTH, LINE_LENGTH - len(inner) - 2))
    return [f"{indent}raise NotImplementedError(",
            *(inner + _literal(piece) for piece in _wrap(message, width)),
            f"{indent})"]


def _placeholders(statements: list[ast.stmt], source: str, message: str, indent: str, where: str) -> list[str]:
    """``NAME: T | None = None  # TODO: message`` for every assignment of a region outside any function."""
    out: list[str] = []
    for node in statements:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            annotation = ast.get_source_segment(source, node.annotation) or ast.unparse(node.annotation)
            if "None" not in annotation and "Optional" not in annotation:
                annotation = f"{annotation} | None"
            target = f"{node.target.id}: {annotation}"
        elif isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets):
            target = " = ".join(t.id for t in node.targets)  # type: ignore[attr-defined]  # all() does not narrow
        else:
            raise StarterError(f"{where}: a solution region outside a function may only assign plain names "
                               f"(line {node.lineno} does not)")
        line = f"{indent}{target} = None  # TODO: {message}"
        if len(line) <= LINE_LENGTH:
            out.append(line)
        else:
            pieces = _wrap(message, LINE_LENGTH - len(indent) - len("# TODO: "))
            out += [f"{indent}# TODO: {pieces[0].rstrip()}", *(f"{indent}#       {p.rstrip()}" for p in pieces[1:]),
                    f"{indent}{target} = None"]
    return out


def render_starter(source: str, *, filename: str = "<source>") -> str:
    """Return the starter made from a solution text: every marked region replaced by what students get.

    Raises:
        StarterError: malformed markers (unbalanced or nested ``BEGIN``/``END``, a region without a ``STUB``
            message or without code, a stray ``STUB``), a solution that is not valid Python, or a region outside
            a function that does not only assign names. The message names ``filename`` and the line.
    """
    comments = _marker_comments(source, filename)
    lines = io.StringIO(source, newline="").readlines()  # split on line ends only, as the tokenizer does
    regions = _find_regions([line.rstrip("\r\n") for line in lines], comments, filename)
    try:
        tree = ast.parse(source, filename=filename)
    except SyntaxError as exc:
        raise StarterError(f"{filename}:{exc.lineno}: the solution is not valid Python: {exc.msg}") from None
    functions = _function_lines(tree)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"

    out: list[str] = []
    done = 0  # lines[:done] are handled
    for region in regions:
        where = f"{filename}:{region.begin}"
        statements = _statements(region, tree, where)
        if not statements:
            raise StarterError(f"{where}: {BEGIN} without code before the {END} on line {region.end}")
        out += lines[done : region.begin - 1]
        message = " ".join(region.stub)
        first = statements[0].lineno
        if any(start <= first <= stop for start, stop in functions):
            replacement = _raise(message, region.indent)
        else:
            replacement = _placeholders(statements, source, message, region.indent, where)
        out += [line + newline for line in replacement]
        done = region.end

    out += lines[done:]
    text = "".join(out)
    try:
        ast.parse(text, filename=filename)
    except SyntaxError as exc:
        raise StarterError(f"{filename}: the generated starter is not valid Python (line {exc.lineno}: {exc.msg}); "
                           "does a region cover a whole block?") from None
    return text


@dataclass(frozen=True)
class _Layout:
    """Where an assignment's solutions and starters live: absolute folders and their ``course.yml`` spellings."""

    solution: Path
    starter: Path
    solution_rel: str
    starter_rel: str
    modules: tuple[str, ...]

    @classmethod
    def of(cls, course: Course, assignment: str) -> _Layout:
        config = course.assignment(assignment)
        return cls(course.path(config.solution), course.path(config.starter), config.solution.rstrip("/"),
                   config.starter.rstrip("/"), tuple(config.modules))


def starter_files(course: Course, assignment: str) -> dict[str, str]:
    """File name (``<module>.py``) -> the starter generated from the solution, for every module of ``assignment``."""
    layout = _Layout.of(course, assignment)
    files: dict[str, str] = {}
    for module in layout.modules:
        name = f"{module}.py"
        shown = f"{layout.solution_rel}/{name}"
        try:
            source = (layout.solution / name).read_text(encoding="utf-8")
        except OSError as exc:
            raise StarterError(f"{shown}: cannot read the solution: {exc.strerror or exc}") from None
        files[name] = render_starter(source, filename=shown)
    return files


def write_starters(course: Course, assignment: str) -> list[Path]:
    """Write the generated starters into the assignment's starter folder; return the files that changed."""
    starter = _Layout.of(course, assignment).starter
    return [starter / name for name, text in starter_files(course, assignment).items()
            if write_if_changed(starter / name, text)]


def stale_starters(course: Course, assignment: str) -> list[str]:
    """One message per committed starter file that is missing or differs from what the generator makes."""
    layout = _Layout.of(course, assignment)
    fix = f"run `autograder starter {assignment}`"
    problems: list[str] = []
    for name, text in starter_files(course, assignment).items():
        path = layout.starter / name
        starter, solution = f"{layout.starter_rel}/{name}", f"{layout.solution_rel}/{name}"
        if not path.is_file():
            problems.append(f"{starter} is missing; {fix} to generate it from {solution}")
        elif path.read_bytes() != text.encode("utf-8"):
            problems.append(f"{starter} differs from what {solution} generates; {fix} (edit the solution, never the "
                            "starter)")
    return problems
