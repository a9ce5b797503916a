"""Build an assignment's Jupyter notebook from its jupytext "percent" script, deterministically.

The notebook students open (``assignments/<hw>/<hw>.ipynb``) is generated from a reviewable Python file
(``assignments/<hw>/notebook_source.py``) in jupytext's percent format (``# %%`` starts a code cell,
``# %% [markdown]`` a markdown cell whose lines are comments; magics are written commented out, ``# %autoreload
2``, so that the source stays valid Python). :func:`jupytext.reads` parses it; this module only makes the result
deterministic, so that the generated notebook can be committed and a test can check that it is up to date:

* nbformat 4.5, cell ids numbered in order (``cell-000``, ...), no execution counts, no outputs;
* fixed notebook metadata (the ``python3`` kernel; jupytext's own metadata dropped);
* the points placeholders of markdown cells (``{{ points_table }}``, ``{{ points:<task> }}``) filled from
  ``course.yml`` (:mod:`autograder.release.authoring.points`).

Regenerate a notebook after editing its source with ``autograder starter <hw>`` (all student material) or
``autograder notebook <hw>`` (``--check`` only compares, and exits 1 when the notebook is out of date).
"""

from __future__ import annotations

import nbformat

from ...config import AssignmentConfig, Course
from ..errors import ReleaseError
from .points import fill_placeholders

__all__ = ["NOTEBOOK_METADATA", "NOTEBOOK_SOURCE", "build_notebook", "notebook_from_percent", "render_notebook"]

NOTEBOOK_SOURCE = "notebook_source.py"

#: Metadata of every generated notebook: fixed, so that the file does not depend on who generated it.
NOTEBOOK_METADATA = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}


def notebook_from_percent(source: str, config: AssignmentConfig | None = None) -> nbformat.NotebookNode:
    """Parse a percent-format script with jupytext into a clean notebook (see the module docstring).

    Args:
        source: the text of the script.
        config: the assignment whose points fill the placeholders of markdown cells; without it, a placeholder
            is an error.

    Returns:
        The notebook, validated with :func:`nbformat.validate`.

    Raises:
        ReleaseError: for a placeholder that cannot be filled.
    """
    import jupytext  # only instructors build notebooks; the grader does not need jupytext

    parsed = jupytext.reads(source.replace("\r\n", "\n").replace("\r", "\n"), fmt="py:percent")
    nb = nbformat.v4.new_notebook()
    nb.nbformat, nb.nbformat_minor = 4, 5
    nb.metadata = nbformat.from_dict(NOTEBOOK_METADATA)
    for index, cell in enumerate(parsed.cells):
        text, cell_id = cell.source, f"cell-{index:03d}"
        if cell.cell_type == "markdown":
            if config is not None:
                text = fill_placeholders(text, config, where=f"markdown cell {index}")
            elif "{{" in text:
                raise ReleaseError(f"markdown cell {index} has placeholders, but no assignment was given to fill them")
            new = nbformat.v4.new_markdown_cell(text, id=cell_id)
        elif cell.cell_type == "raw":
            new = nbformat.v4.new_raw_cell(text, id=cell_id)
        else:
            new = nbformat.v4.new_code_cell(text, id=cell_id)
        new.metadata = nbformat.from_dict(dict(cell.metadata))
        nb.cells.append(new)
    nbformat.validate(nb)
    return nb


def render_notebook(nb: nbformat.NotebookNode) -> str:
    """Serialise a notebook the way Jupyter saves it (1-space indent, sorted keys), ending in a newline."""
    text = nbformat.writes(nb, version=4)
    return text if text.endswith("\n") else text + "\n"


def build_notebook(course: Course, assignment: str) -> str:
    """The text of ``<assignment>.ipynb``, generated from the starter folder's ``notebook_source.py``.

    Raises:
        ReleaseError: when the source is missing or a placeholder cannot be filled.
    """
    config = course.assignment(assignment)
    source = course.path(config.starter) / NOTEBOOK_SOURCE
    if not source.is_file():
        raise ReleaseError(f"{source} is missing: the notebook of {assignment} is generated from it")
    try:
        nb = notebook_from_percent(source.read_text(encoding="utf-8"), config)
    except ReleaseError as exc:
        raise ReleaseError(f"{source}: {exc}") from None
    return render_notebook(nb)
