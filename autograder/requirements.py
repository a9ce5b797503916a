"""The student's ``requirements.txt``: what the homework needs, at the versions the grader runs.

The packages are the assignment's ``requirements`` in ``course.yml`` (checked to be pinned when the course is
loaded); the versions come from the project's ``constraints.txt`` (the exact versions CI and the Gradescope bundle
install), so a student's numbers are computed with the same libraries as the grader's.
"""

from __future__ import annotations

import importlib.metadata
import re
from collections.abc import Sequence
from pathlib import Path

__all__ = ["RequirementsError", "canonical", "import_names", "read_constraints", "student_requirements"]

_NAME = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)")
_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*(?P<version>[^\s;#]+)")


class RequirementsError(ValueError):
    """The student's requirements cannot be written: a package is not pinned, or none is listed."""


def canonical(name: str) -> str:
    """A distribution name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def import_names(packages: Sequence[str]) -> frozenset[str]:
    """The top-level modules that the installed distributions among ``packages`` provide (``scikit-learn`` gives
    ``sklearn``, ``torch`` gives ``torch`` and its helpers); a package that is not installed gives none."""
    wanted = {canonical(match["name"]) for name in packages if (match := _NAME.match(name.strip()))}
    return frozenset(module for module, distributions in importlib.metadata.packages_distributions().items()
                     if any(canonical(distribution) in wanted for distribution in distributions))


def read_constraints(path: Path) -> dict[str, tuple[str, str]]:
    """``constraints.txt`` as {canonical name: (name as written, version)}; only ``name==version`` lines."""
    pins: dict[str, tuple[str, str]] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        match = _PIN.match(line.strip())
        if match:
            pins[canonical(match["name"])] = (match["name"], match["version"])
    return pins


def student_requirements(constraints: Path, assignment: str, packages: Sequence[str]) -> str:
    """The text of the student's ``requirements.txt``: ``packages`` (the assignment's ``requirements`` in
    ``course.yml``), each pinned as in ``constraints``."""
    pins = read_constraints(constraints)
    if not packages:
        raise RequirementsError(f"assignments.{assignment}.requirements in course.yml lists no package; the "
                                "student's requirements.txt needs the packages the handout imports")
    missing = [name for name in packages if canonical(name) not in pins]
    if missing:
        raise RequirementsError(f"{constraints} pins no version of {', '.join(missing)}; "
                                "the student's requirements.txt must pin every package")
    lines = [f"# {assignment}: the packages the notebook, the modules and the public checks need.",
             "# Install them with:  pip install -r requirements.txt",
             "# The versions are those the grader runs with, so your numbers match the grader's."]
    lines += [f"{name}=={pins[canonical(name)][1]}" for name in packages]
    return "\n".join(lines) + "\n"
