"""Starter templates are generated from the marked reference solutions (autograder/release/authoring/starter.py).

If ``test_committed_starters_are_generated`` fails, edit the solution (never the starter) and regenerate with
``autograder starter <assignment>``.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from autograder.config import Course, load_course, parse_course
from autograder.release.authoring.starter import (
    StarterError,
    render_starter,
    stale_starters,
    starter_files,
    write_starters,
)
from autograder.release.errors import ReleaseError

ROOT = Path(__file__).resolve().parents[1]
COURSE = load_course(ROOT / "course.yml")
ASSIGNMENTS = sorted(COURSE.config.assignments)


def render(text: str) -> str:
    return render_starter(textwrap.dedent(text).lstrip("\n"), filename="demo.py")


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def raised_message(statement: str) -> str:
    """The message of a ``raise NotImplementedError(...)`` statement (possibly over several lines)."""
    node = ast.parse(textwrap.dedent(statement)).body[0]
    assert isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)
    assert isinstance(node.exc.func, ast.Name) and node.exc.func.id == "NotImplementedError"
    return ast.literal_eval(node.exc.args[0])


# ----------------------------------------------------------------------------------------------------------------
# render_starter on snippets
# ----------------------------------------------------------------------------------------------------------------


def test_function_body_becomes_a_raise() -> None:
    source = '''
        import numpy as np


        def helper(x):
            return x + 1


        def mean(values):
            """Return the mean of ``values``."""
            # BEGIN SOLUTION
            # STUB: demo.mean: return the mean as a float.
            total = sum(values)
            return total / len(values)
            # END SOLUTION
        '''
    assert render(source) == dedent('''
        import numpy as np


        def helper(x):
            return x + 1


        def mean(values):
            """Return the mean of ``values``."""
            raise NotImplementedError("demo.mean: return the mean as a float.")
        ''')


def test_method_and_code_around_the_region_are_kept() -> None:
    source = '''
        class Model:
            """A model."""

            def fit(self, X):
                """Fit to X."""
                X = list(X)
                # BEGIN SOLUTION
                # STUB: Model.fit: store the mean.
                self.mean = sum(X) / len(X)
                # END SOLUTION
                return self
        '''
    assert render(source) == dedent('''
        class Model:
            """A model."""

            def fit(self, X):
                """Fit to X."""
                X = list(X)
                raise NotImplementedError("Model.fit: store the mean.")
                return self
        ''')


def test_nested_indentation() -> None:
    source = '''
        def outer(flag):
            def inner(x):
                if flag:
                    # BEGIN SOLUTION
                    # STUB: inner: double x.
                    for _ in range(2):
                        x = x * 2
                    # END SOLUTION
                return x
            return inner
        '''
    out = render(source)
    assert '            raise NotImplementedError("inner: double x.")\n' in out
    assert "for _ in range(2)" not in out
    ast.parse(out)


def test_multi_line_stub_is_joined_with_spaces_and_long_messages_wrap() -> None:
    words = " ".join(f"word{i}" for i in range(60))
    source = f'''
        def f():
            # BEGIN SOLUTION
            # STUB: first part,
            # STUB: second "quoted" part;
            # STUB: {words}
            return 1
            # END SOLUTION
        '''
    out = render(source)
    body = out.split('def f():\n', 1)[1]
    assert body.startswith("    raise NotImplementedError(\n        \"")
    assert raised_message(body) == f'first part, second "quoted" part; {words}'
    assert max(len(line) for line in out.splitlines()) <= 120
    ast.parse(out)


def test_module_level_constants_get_a_placeholder() -> None:
    source = '''
        #: The tuned settings.
        # BEGIN SOLUTION
        # STUB: a dict with keys lr and epochs
        # Tuned on the validation set.
        BEST: dict = {
            "lr": 0.1,
            "epochs": 3,
        }
        COUNT = 4
        # END SOLUTION
        '''
    assert render(source) == dedent('''
        #: The tuned settings.
        BEST: dict | None = None  # TODO: a dict with keys lr and epochs
        COUNT = None  # TODO: a dict with keys lr and epochs
        ''')


def test_long_constant_placeholder_moves_the_todo_above() -> None:
    message = "choose " + " ".join(["carefully"] * 30)
    out = render(f"""
        # BEGIN SOLUTION
        # STUB: {message}
        VALUE: int | None = 3
        # END SOLUTION
        """)
    lines = out.splitlines()
    assert lines[-1] == "VALUE: int | None = None"
    assert lines[0].startswith("# TODO: choose carefully")
    assert " ".join(line[8:] for line in lines[:-1]) == message
    assert max(len(line) for line in lines) <= 120


def test_multi_line_strings_in_a_region() -> None:
    out = render('''
        def f():
            # BEGIN SOLUTION
            # STUB: return the text.
            text = """
        # END SOLUTION
        not indented
        """
            return text
            # END SOLUTION
        ''')
    assert out == 'def f():\n    raise NotImplementedError("return the text.")\n'


def test_text_without_markers_and_markers_inside_strings_are_unchanged() -> None:
    source = dedent('''
        TEXT = """
        # BEGIN SOLUTION
        """


        def f():
            return TEXT  # STUB is only a marker on a line of its own
        ''')
    assert render_starter(source) == source


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("def f():\n    # END SOLUTION\n    return 1\n", r"demo\.py:2: # END SOLUTION without a # BEGIN SOLUTION"),
        ("def f():\n    # BEGIN SOLUTION\n    # STUB: x\n    return 1\n",
         r"demo\.py:2: # BEGIN SOLUTION without a matching # END SOLUTION"),
        ("def f():\n    # BEGIN SOLUTION\n    # STUB: x\n    # BEGIN SOLUTION\n    return 1\n    # END SOLUTION\n",
         r"demo\.py:4: # BEGIN SOLUTION inside the region opened on line 2"),
        ("def f():\n    # BEGIN SOLUTION\n    return 1\n    # END SOLUTION\n",
         r"demo\.py:4: the region opened on line 2 has no '# STUB: <message>' line"),
        ("def f():\n    # BEGIN SOLUTION\n    # STUB:\n    return 1\n    # END SOLUTION\n",
         r"demo\.py:3: '# STUB:' without a message"),
        ("def f():\n    # BEGIN SOLUTION\n    # STUB: a\n    x = 1\n    # STUB: b\n    return x\n    # END SOLUTION\n",
         r"demo\.py:5: '# STUB:' lines must directly follow # BEGIN SOLUTION \(line 2\)"),
        ("def f():\n    # STUB: a\n    return 1\n", r"demo\.py:2: '# STUB:' outside a solution region"),
        ("def f():\n    pass\n    # BEGIN SOLUTION\n    # STUB: a\n    # just a comment\n    # END SOLUTION\n",
         r"demo\.py:3: # BEGIN SOLUTION without code before the # END SOLUTION on line 6"),
        ("def f():\n    # BEGIN SOLUTION\n    # STUB: a\n    return 1\n# END SOLUTION\n",
         r"demo\.py:5: # END SOLUTION is not indented like the # BEGIN SOLUTION on line 2"),
        ("def f():\n    #BEGIN SOLUTION\n    return 1\n", r"demo\.py:2: malformed marker '#BEGIN SOLUTION'"),
        ("def f():\n    # end solution\n    return 1\n", r"demo\.py:2: malformed marker '# end solution'"),
        ("# BEGIN SOLUTION\n# STUB: a\nprint('x')\n# END SOLUTION\n",
         r"demo\.py:1: a solution region outside a function may only assign plain names \(line 3"),
        ("X = {\n    # BEGIN SOLUTION\n    # STUB: a\n    'a': 1,\n    # END SOLUTION\n}\n",
         r"demo\.py:2: # BEGIN SOLUTION without code"),
        ("def f():\n    # BEGIN SOLUTION\n    # STUB: a\n    x = 1\n    y = [\n    # END SOLUTION\n        2]\n",
         r"demo\.py:2: the statement on lines 5-7 crosses a marker"),
        ("def f():\n    # BEGIN SOLUTION\n    # STUB: a\n    if x:\n        y = 1\n    # END SOLUTION\n        z = 2\n",
         r"demo\.py:2: the statement on lines 4-7 crosses a marker"),
        ("def f(a):\n    if a:\n        x = 1\n    # BEGIN SOLUTION\n    # STUB: a\n        y = 2\n    z = 3\n"
         "    # END SOLUTION\n", r"demo\.py:4: line 6 is not indented like the # BEGIN SOLUTION"),
        ("def f(a):\n    for x in a:\n        # BEGIN SOLUTION\n        # STUB: a\n        y = x\n    z = 3\n"
         "        # END SOLUTION\n", r"demo\.py:3: line 6 is not indented like the # BEGIN SOLUTION"),
        ("def f(:\n    pass\n", r"demo\.py"),
    ],
)
def test_malformed_markers_are_errors_naming_file_and_line(source: str, problem: str) -> None:
    with pytest.raises(StarterError, match=problem):
        render_starter(source, filename="demo.py")


def test_starter_error_is_a_release_error() -> None:
    assert issubclass(StarterError, ReleaseError)


# ----------------------------------------------------------------------------------------------------------------
# A small course on disk: writing starters and spotting stale ones
# ----------------------------------------------------------------------------------------------------------------


def tiny_course(root: Path) -> Course:
    (root / "sol").mkdir()
    (root / "sol" / "calc.py").write_text(dedent('''
        def add(a, b):
            """Return a + b."""
            # BEGIN SOLUTION
            # STUB: calc.add: return a + b.
            return a + b
            # END SOLUTION
        '''))
    data = {
        "course": {"name": "Tiny"},
        "assignments": {"demo": {
            "title": "Demo", "starter": "start", "solution": "sol", "checks": "checks", "modules": ["calc"],
            "default_profile": "smoke", "profiles": {"smoke": {}},
            "tasks": {"calc": {"title": "Calc", "module": "calc", "checks": {"add": {"points": 1, "timeout_s": 5}}}},
        }},
    }
    return parse_course(data, root)


def test_write_and_stale_starters(tmp_path: Path) -> None:
    course = tiny_course(tmp_path)
    (stale,) = stale_starters(course, "demo")
    assert "start/calc.py is missing" in stale and "`autograder starter demo`" in stale

    assert write_starters(course, "demo") == [course.path("start") / "calc.py"]
    assert (tmp_path / "start" / "calc.py").read_text() == starter_files(course, "demo")["calc.py"]
    assert stale_starters(course, "demo") == []
    assert write_starters(course, "demo") == [], "unchanged files are not rewritten"

    (tmp_path / "start" / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    (stale,) = stale_starters(course, "demo")
    assert "start/calc.py differs from what sol/calc.py generates" in stale
    assert "`autograder starter demo`" in stale


def test_missing_solution_is_a_starter_error(tmp_path: Path) -> None:
    course = tiny_course(tmp_path)
    (tmp_path / "sol" / "calc.py").unlink()
    with pytest.raises(StarterError, match="sol/calc.py"):
        starter_files(course, "demo")


# ----------------------------------------------------------------------------------------------------------------
# Every assignment of the real course
# ----------------------------------------------------------------------------------------------------------------


def solution_sources(assignment: str) -> dict[str, str]:
    config = COURSE.assignment(assignment)
    folder = COURSE.path(config.solution)
    return {f"{m}.py": (folder / f"{m}.py").read_text(encoding="utf-8") for m in config.modules}


def region_lines(source: str) -> tuple[list[tuple[int, int]], set[str], set[str]]:
    """((BEGIN line, END line) of every region, stripped lines inside the regions but STUB lines, stripped lines
    outside)."""
    regions: list[tuple[int, int]] = []
    inside: set[str] = set()
    outside: set[str] = set()
    in_region = False
    for number, line in enumerate(source.splitlines(), start=1):
        stripped = line.strip()
        if stripped == "# BEGIN SOLUTION":
            regions.append((number, 0))
            in_region = True
        elif stripped == "# END SOLUTION":
            regions[-1] = (regions[-1][0], number)
            in_region = False
        elif in_region:
            if not stripped.startswith("# STUB:"):
                inside.add(stripped)
        else:
            outside.add(stripped)
    return regions, inside, outside


def dump(node: ast.AST | None) -> str | None:
    return None if node is None else ast.dump(node)


def functions(tree: ast.Module) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    """Qualified name -> function or method, for the module's top-level functions and class methods."""
    found: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found[node.name] = node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    found[f"{node.name}.{item.name}"] = item
    return found


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_committed_starters_are_generated(assignment: str) -> None:
    assert stale_starters(COURSE, assignment) == []
    folder = COURSE.path(COURSE.assignment(assignment).starter)
    for name, text in starter_files(COURSE, assignment).items():
        assert (folder / name).read_text(encoding="utf-8") == text, (
            f"{name} differs from its solution's starter; regenerate with `autograder starter {assignment}`")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_generated_starters_hide_the_solution(assignment: str) -> None:
    generated = starter_files(COURSE, assignment)
    for name, source in solution_sources(assignment).items():
        starter = generated[name]
        assert "BEGIN SOLUTION" not in starter and "END SOLUTION" not in starter and "# STUB" not in starter, name
        _, inside, outside = region_lines(source)
        solution_only = {line for line in inside if len(line) >= 12 and line not in outside}
        starter_lines = {line.strip() for line in starter.splitlines()}
        assert not solution_only & starter_lines, f"{name}: solution lines in the starter"
        assert inside - outside, f"{name}: no marked solution code"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_graded_functions_raise_and_keep_their_interface(assignment: str) -> None:
    generated = starter_files(COURSE, assignment)
    for name, source in solution_sources(assignment).items():
        regions, _, _ = region_lines(source)
        solution_tree, starter_tree = ast.parse(source), ast.parse(generated[name])
        solved, starter = functions(solution_tree), functions(starter_tree)
        assert set(solved) == set(starter), f"{name}: the same functions and methods"
        graded = 0
        for qualname, function in solved.items():
            stub = starter[qualname]
            assert ast.dump(stub.args) == ast.dump(function.args), f"{name}: signature of {qualname}"
            assert dump(stub.returns) == dump(function.returns), f"{name}: return annotation of {qualname}"
            assert ast.get_docstring(stub) == ast.get_docstring(function), f"{name}: docstring of {qualname}"
            assert list(map(dump, stub.decorator_list)) == list(map(dump, function.decorator_list)), qualname
            first, last = function.lineno, function.end_lineno or function.lineno
            if not any(first <= begin <= last for begin, _ in regions):
                assert ast.dump(stub) == ast.dump(function), f"{name}: the given helper {qualname} is unchanged"
                continue
            graded += 1
            # A region at the top of the body leaves the raise as a statement of the body itself: calling the
            # function raises (autograder validate proves it through the real engine).
            top_level = [node for node in stub.body if isinstance(node, ast.Raise)]
            raises = [node for node in (top_level or list(ast.walk(stub))) if isinstance(node, ast.Raise)
                      and isinstance(node.exc, ast.Call) and getattr(node.exc.func, "id", "") == "NotImplementedError"]
            assert raises, f"{name}: {qualname} must raise NotImplementedError in the starter"
            before = stub.body[: stub.body.index(raises[0])] if raises[0] in stub.body else []
            assert all(isinstance(node, (ast.Expr, ast.Assign, ast.AnnAssign)) for node in before), (
                f"{name}: {qualname} may return before its NotImplementedError")
            message = ast.literal_eval(raises[0].exc.args[0])  # type: ignore[union-attr]  # an ast.Call, filtered above
            assert len(message) >= 20, f"{name}: {qualname} must say what to do"
        solved_constants = {target.id for node in solution_tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))
                            for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
                            if isinstance(target, ast.Name) and any(a < node.lineno < b for a, b in regions)}
        placeholders = {target.id for node in starter_tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))
                        and isinstance(node.value, ast.Constant) and node.value.value is None
                        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
                        if isinstance(target, ast.Name)}
        assert solved_constants <= placeholders, f"{name}: constants to complete must be None in the starter"
        assert graded + len(solved_constants), f"{name}: nothing to complete"
