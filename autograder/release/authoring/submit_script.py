"""The students' ``submit.py``, rendered from one template for every assignment.

``templates/submit.py.tmpl`` is a standard-library-only script that zips an assignment's graded modules (flat,
deterministic) and warns about missing, unfinished or unparsable ones. It knows no assignment: the module list,
the assignment name and the zip name come from ``course.yml`` through :func:`render_submit`, and the rendered
text is what ``assignments/<hw>/submit.py`` must hold (see :mod:`autograder.release.authoring.material`).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path
from string import Template

from ...config import Course
from ..errors import ReleaseError

__all__ = ["SUBMIT_TEMPLATE", "render_submit", "submission_zip_name", "submit_text"]

SUBMIT_TEMPLATE = Path(__file__).resolve().parent / "templates" / "submit.py.tmpl"

_NUMBERS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")
_DOCSTRING_WIDTH = 116


def submission_zip_name(assignment: str) -> str:
    """The zip that ``submit.py`` writes and students upload: ``<assignment>-submission.zip``."""
    return f"{assignment}-submission.zip"


def _count(n: int) -> str:
    return _NUMBERS[n] if n < len(_NUMBERS) else str(n)


def _listing(names: list[str]) -> str:
    quoted = [f"``{name}``" for name in names]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} and {quoted[-1]}"


def render_submit(course: Course, assignment: str) -> str:
    """The text of ``submit.py`` for ``assignment`` in ``course.yml``: :func:`submit_text` of its modules."""
    return submit_text(assignment, course.assignment(assignment).modules)


def submit_text(assignment: str, module_names: Sequence[str]) -> str:
    """The template filled for an assignment with the given graded modules (names without ``.py``).

    Raises:
        ReleaseError: when the template is missing, or a module name is not a Python identifier.
    """
    modules = [f"{module}.py" for module in module_names]
    if not modules or any(not m[:-3].isidentifier() for m in modules):
        raise ReleaseError(f"{assignment}: the graded modules must be Python module names, got {list(module_names)}")
    zip_name = submission_zip_name(assignment)
    count = _count(len(modules))
    if len(modules) == 1:
        graded, these, none_found = "the one file that is graded", "this file, so it", f"``{modules[0]}`` was not found"
    else:
        graded, these, none_found = (f"the {count} files that are graded", f"these {count} files, so they",
                                     f"none of the {count} modules was found")
    what_it_zips = textwrap.fill(
        f"It zips exactly {graded}, {_listing(modules)}, into ``{zip_name}`` (flat: no folders inside the zip), then "
        f"tells you what it packed. Upload that zip to Gradescope. Nothing else is submitted: the grader uses only "
        f"{these} must not rely on other files (your notebook, saved models, data you downloaded).",
        width=_DOCSTRING_WIDTH, break_long_words=False, break_on_hyphens=False,
    )
    items = ", ".join(f'"{m}"' for m in modules)
    try:
        template = Template(SUBMIT_TEMPLATE.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReleaseError(f"cannot read the submit.py template {SUBMIT_TEMPLATE}: {exc}") from None
    return template.substitute(
        assignment=assignment,
        none_found=none_found,
        modules_tuple=f"({items},)" if len(modules) == 1 else f"({items})",
        what_it_zips=what_it_zips,
        zip_name=zip_name,
        zip_stem=zip_name.removesuffix(".zip"),
    )
