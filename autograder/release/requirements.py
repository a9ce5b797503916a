"""The student's ``requirements.txt``: what the homework needs, at the versions the grader runs.

The versions come from the project's ``constraints.txt`` (the exact versions CI and the Gradescope bundle
install), so a student's numbers are computed with the same libraries as the grader's.
"""

from __future__ import annotations

import re
from pathlib import Path

from .errors import ReleaseError

__all__ = ["STUDENT_PACKAGES", "canonical", "read_constraints", "student_requirements"]

#: What the starter modules, the notebook, the public checks and the data helpers import.
STUDENT_PACKAGES = ("numpy", "torch", "torchvision", "scikit-learn", "pandas", "matplotlib", "otter-grader",
                    "palmerpenguins", "pooch")

_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*(?P<version>[^\s;#]+)")


def canonical(name: str) -> str:
    """A distribution name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_constraints(path: Path) -> dict[str, tuple[str, str]]:
    """``constraints.txt`` as {canonical name: (name as written, version)}; only ``name==version`` lines."""
    pins: dict[str, tuple[str, str]] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        match = _PIN.match(line.strip())
        if match:
            pins[canonical(match["name"])] = (match["name"], match["version"])
    return pins


def student_requirements(constraints: Path, assignment: str) -> str:
    """The text of the student's ``requirements.txt``; every package pinned as in ``constraints``."""
    pins = read_constraints(constraints)
    missing = [name for name in STUDENT_PACKAGES if canonical(name) not in pins]
    if missing:
        raise ReleaseError(f"{constraints} pins no version of {', '.join(missing)}; "
                           "the student's requirements.txt must pin every package")
    lines = [f"# {assignment}: the packages the notebook, the modules and the public checks need.",
             "# Install them with:  pip install -r requirements.txt",
             "# The versions are those the grader runs with, so your numbers match the grader's."]
    lines += [f"{name}=={pins[canonical(name)][1]}" for name in STUDENT_PACKAGES]
    return "\n".join(lines) + "\n"
