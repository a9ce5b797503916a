"""Imports run one way, down the layers of the engine (issue 19).

The layers, top to bottom::

    __main__                 python -m autograder
    cli                      the command line: parses the arguments, runs a verb
    commands                 one module per verb
    bench                    timing the grader
    release                  building student releases and grading bundles (authoring/: the author's tools)
    grading                  grading a submission or a class: runs the checks, writes the results
    checks | results         what a hidden check can do | records, pages, gradebooks (neither imports the other)
    config                   course.yml, read and checked
    sandbox | data | requirements   running student code | the course's data sets | the pinned packages
    plots                    the plot kinds: what a check shows and the results draw

A module may import its own package and anything below it, never a layer above or a sibling beside it. Every import
counts, also one inside a function (a lazy import is still a dependency).
"""

from __future__ import annotations

import ast
from pathlib import Path

import autograder

PACKAGE = Path(autograder.__file__).resolve().parent

LAYER = {
    "__main__": 9,
    "cli": 8,
    "commands": 7,
    "bench": 6,
    "release": 5,
    "grading": 4,
    "checks": 3, "results": 3,
    "config": 2,
    "sandbox": 1, "data": 1, "requirements": 1,
    "plots": 0, "__init__": 0,
}


def _top(module: str) -> str:
    """The engine's part that ``module`` (dotted, below ``autograder``) belongs to."""
    return module.split(".")[0] if module else "__init__"


def _is_module(root: Path, dotted: str) -> bool:
    path = root.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _imports(path: Path, root: Path = PACKAGE) -> list[tuple[int, str]]:
    """``(line, module below autograder)`` for every import of the engine in ``path`` (a file below ``root``)."""
    package = list(path.relative_to(root).parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                target = ".".join([*base, *([node.module] if node.module else [])])
                names = [target]
                if not node.module:  # from .. import x: x is a module, or a name of the package
                    submodules = [".".join([*base, a.name]) for a in node.names]
                    names = [m for m in submodules if _is_module(root, m)] or [target]
            elif node.module and (node.module == "autograder" or node.module.startswith("autograder.")):
                target = node.module.removeprefix("autograder").lstrip(".")
                names = [target]
            else:
                continue
            found += [(node.lineno, name) for name in names]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name.removeprefix("autograder").lstrip(".")) for a in node.names
                      if a.name == "autograder" or a.name.startswith("autograder.")]
    return found


def upward_imports(root: Path = PACKAGE) -> list[str]:
    """Every import in the package at ``root`` that goes up a layer or sideways into a sibling."""
    problems = []
    for path in sorted(root.rglob("*.py")):
        own = _top(".".join(path.relative_to(root).with_suffix("").parts))
        for line, target in _imports(path, root):
            other = _top(target)
            if other == own or LAYER[other] < LAYER[own]:
                continue
            where = f"{path.relative_to(root.parent)}:{line}"
            problems.append(f"{where} ({own}, layer {LAYER[own]}) imports autograder.{target} "
                            f"({other}, layer {LAYER[other]})")
    return problems


def test_every_part_of_the_engine_has_a_layer() -> None:
    parts = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()
             if (p.suffix == ".py") or (p.is_dir() and (p / "__init__.py").exists())}
    assert parts <= set(LAYER), f"give these a layer in tests/test_layers.py: {sorted(parts - set(LAYER))}"


def test_imports_run_down_the_layers() -> None:
    assert upward_imports() == []


def test_the_walk_finds_an_upward_import(tmp_path: Path) -> None:
    """The walk itself can fail: a lazy import of results from checks, or of release from the config, is found."""
    root = tmp_path / "autograder"
    for name in ("checks", "results", "release"):
        (root / name).mkdir(parents=True)
        (root / name / "__init__.py").write_text("")
    (root / "results" / "records.py").write_text("")
    (root / "checks" / "probe.py").write_text("def f():\n    from ..results.records import CheckResult\n")
    (root / "config.py").write_text("from . import release\nimport autograder.checks\n")
    assert upward_imports(root) == [
        "autograder/checks/probe.py:2 (checks, layer 3) imports autograder.results.records (results, layer 3)",
        "autograder/config.py:1 (config, layer 2) imports autograder.release (release, layer 5)",
        "autograder/config.py:2 (config, layer 2) imports autograder.checks (checks, layer 3)",
    ]
