"""What goes in the student zip: an allow-list of handout files, gathered under one top folder.

``<assignment>-student.zip`` holds, under ``<assignment>/``:

* the handout ``README.md``, the starter modules, the notebook ``<assignment>.ipynb``, the public checks
  ``tests/*.py`` (otter's Python format, their form checked by
  :func:`~autograder.release.public_checks.public_check_problems`) and ``submit.py``. The generated files (the
  notebook, from ``notebook_source.py``, which itself does not ship; ``submit.py``; the README's points table)
  must be up to date (:func:`~autograder.release.authoring.material.stale_student_material`);
* the given data helpers: ``autograder/data/*.py`` from the package, with a generated ``autograder/__init__.py``
  that only sets ``__version__`` (the real one belongs to the grader), so ``from autograder.data import ...``
  works from the unzipped folder;
* a generated ``requirements.txt`` pinned as in ``constraints.txt``.

Nothing else from the starter folder is shipped, whatever lies there.
"""

from __future__ import annotations

import ast

from ..config import Course
from ..requirements import RequirementsError, student_requirements
from .authoring.material import stale_student_material
from .authoring.notebook import NOTEBOOK_SOURCE
from .deterministic_zip import Entry
from .errors import ReleaseError
from .public_checks import public_check_problems
from .sources import package_dir, package_root, source_files

__all__ = ["NOTEBOOK_SOURCE", "stub_init", "student_entries", "student_zip_name"]


def student_zip_name(assignment: str) -> str:
    return f"{assignment}-student.zip"


def stub_init(version: str) -> str:
    """The ``autograder/__init__.py`` students get: a version and nothing the grader has."""
    return ('"""The course\'s data helpers, as shipped with the homework: only ``autograder.data`` is included.\n\n'
            'Use them as ``from autograder.data import ...``; the grader itself is not part of the handout.\n"""\n\n'
            f"__version__ = {version!r}\n")


def _data_helpers() -> dict[str, Entry]:
    """``autograder/data/**.py``, checked to import nothing else from the package."""
    folder = package_dir() / "data"
    files: dict[str, Entry] = {}
    problems: list[str] = []
    for path in source_files(folder, (".py",)):
        relative = path.relative_to(folder).as_posix()
        source = path.read_bytes()
        try:
            tree = ast.parse(source, filename=str(path))
        except SyntaxError as exc:
            raise ReleaseError(f"autograder/data/{relative} does not parse: {exc}") from None
        depth = relative.count("/")  # how deep below autograder/data the file sits
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level > depth + 1:
                problems.append(f"autograder/data/{relative}:{node.lineno} imports from outside autograder.data "
                                f"({'.' * node.level}{node.module or ''})")
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            for name in names:
                if name == "autograder" or (name.startswith("autograder.") and not name.startswith("autograder.data")):
                    problems.append(f"autograder/data/{relative}:{node.lineno} imports {name}, "
                                    "which the student zip does not ship")
        files[f"autograder/data/{relative}"] = Entry(source)
    if "autograder/data/__init__.py" not in files:
        raise ReleaseError(f"{folder} has no __init__.py: the data helpers cannot be shipped")
    if problems:
        raise ReleaseError("the data helpers are not self-contained:\n" + "\n".join(f"  - {p}" for p in problems))
    return files


def student_entries(course: Course, assignment: str) -> dict[str, Entry]:
    """Every file of the student zip, by its name in the archive (``<assignment>/...``)."""
    import autograder

    config = course.assignment(assignment)
    folder = course.path(config.starter)
    required = ["README.md", "submit.py", f"{assignment}.ipynb", *(f"{m}.py" for m in config.modules)]
    missing = [name for name in required if not (folder / name).is_file()]
    tests = sorted(p for p in (folder / "tests").glob("*.py") if p.is_file()) if (folder / "tests").is_dir() else []
    if not tests:
        missing.append("tests/*.py (the public checks)")
    if missing:
        raise ReleaseError(f"the starter folder {folder} lacks: {', '.join(missing)}")
    stale = stale_student_material(course, assignment)
    if stale:
        raise ReleaseError("the generated student material is not up to date:\n" + "\n".join(f"  - {p}" for p in stale))
    malformed = public_check_problems(course, assignment)
    if malformed:
        raise ReleaseError(f"the public checks in {folder / 'tests'} are malformed:\n"
                           + "\n".join(f"  - {p}" for p in malformed))

    try:
        requirements = student_requirements(package_root() / "constraints.txt", assignment, config.requirements)
    except RequirementsError as exc:
        raise ReleaseError(str(exc)) from None
    files: dict[str, Entry] = {
        "README.md": Entry.file(folder / "README.md"),
        "submit.py": Entry.file(folder / "submit.py"),
        f"{assignment}.ipynb": Entry.file(folder / f"{assignment}.ipynb"),
        "requirements.txt": Entry.text(requirements),
        "autograder/__init__.py": Entry.text(stub_init(autograder.__version__)),
    }
    for module in config.modules:
        files[f"{module}.py"] = Entry.file(folder / f"{module}.py")
    for path in tests:
        files[f"tests/{path.name}"] = Entry.file(path)
    files.update(_data_helpers())
    return {f"{assignment}/{name}": entry for name, entry in files.items()}
