"""Where the ``autograder`` package's own source lives, and which of its files are source.

A release ships parts of the package: the data helpers to students, the whole package to Gradescope. Both
are read from the source tree the package is imported from (an editable install, as in development and CI),
never from whatever happens to be in the current folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from .errors import ReleaseError

__all__ = ["package_dir", "package_root", "source_files"]

_SKIP_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
_SKIP_SUFFIXES = {".pyc", ".pyo", ".so", ".orig", ".rej", ".swp", ".tmp"}


def package_dir() -> Path:
    """The folder of the imported ``autograder`` package."""
    import autograder

    return Path(autograder.__file__).resolve().parent


def package_root() -> Path:
    """The project folder holding ``pyproject.toml`` and ``constraints.txt`` next to the package."""
    root = package_dir().parent
    missing = [name for name in ("pyproject.toml", "constraints.txt") if not (root / name).is_file()]
    if missing:
        raise ReleaseError(
            f"the autograder package at {package_dir()} is not a source checkout (no {', '.join(missing)} in {root}); "
            "build releases from the repository with the package installed editable (pip install -e .)"
        )
    return root


def source_files(folder: Path, suffixes: tuple[str, ...] | None = None) -> Iterator[Path]:
    """Files under ``folder``, sorted, without caches, editor leftovers and hidden files or folders.

    With ``suffixes``, only files whose name ends in one of them.
    """
    for path in sorted(Path(folder).rglob("*")):
        parts = path.relative_to(folder).parts
        if any(part in _SKIP_DIRS or part.startswith(".") or part.endswith(".egg-info") for part in parts):
            continue
        if not path.is_file() or path.is_symlink() or path.suffix in _SKIP_SUFFIXES or path.name.endswith("~"):
            continue
        if suffixes is not None and not path.name.endswith(suffixes):
            continue
        yield path
