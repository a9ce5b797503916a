"""The committed hw2 notebook is exactly what the generator makes from its percent-format source.

If ``test_committed_notebook_is_generated`` fails, edit ``assignments/hw2/notebook_source.py`` (never the
``.ipynb`` by hand) and regenerate with ``autograder notebook hw2``, or::

    python -m autograder.release.notebook assignments/hw2/notebook_source.py assignments/hw2/hw2.ipynb
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import nbformat
import pytest

from autograder.release.notebook import main, notebook_from_percent, render_notebook, write_notebook

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENT = REPO / "assignments" / "hw2"
SOURCE = ASSIGNMENT / "notebook_source.py"
NOTEBOOK = ASSIGNMENT / "hw2.ipynb"
QUESTIONS = ("trees", "mnist_mlp", "penguins", "posenc")


def test_committed_notebook_is_generated(tmp_path: Path) -> None:
    out = tmp_path / "hw2.ipynb"
    write_notebook(SOURCE, out)
    assert NOTEBOOK.read_bytes() == out.read_bytes(), (
        "assignments/hw2/hw2.ipynb differs from what notebook_source.py generates; regenerate it with "
        "`autograder notebook hw2` (or `python -m autograder.release.notebook assignments/hw2/notebook_source.py "
        "assignments/hw2/hw2.ipynb`)"
    )


def test_generation_is_deterministic(tmp_path: Path) -> None:
    write_notebook(SOURCE, tmp_path / "a.ipynb")
    write_notebook(SOURCE, tmp_path / "b.ipynb")
    assert (tmp_path / "a.ipynb").read_bytes() == (tmp_path / "b.ipynb").read_bytes()


def test_committed_notebook_is_valid_and_clean() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=nbformat.NO_CONVERT)
    nbformat.validate(nb)
    assert (nb.nbformat, nb.nbformat_minor) == (4, 5)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.execution_count is None and cell.outputs == []
    assert len({cell.id for cell in nb.cells}) == len(nb.cells)


def test_notebook_content() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [cell.source for cell in nb.cells if cell.cell_type == "code"]
    markdown = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# HW2: Trees and MLPs")
    joined = "\n".join(code)
    assert 'grader = otter.Notebook(tests_dir="tests")' in joined
    assert "%load_ext autoreload" in joined and "%autoreload 2" in joined
    for question in QUESTIONS:
        assert sum(f'grader.check("{question}")' in source for source in code) == 1, question
        assert f"{question}.load_data(" in joined, question
        assert f"`{question}.py`" in markdown, question
    # Each part's checks come after that part's experiments, in the order of the parts.
    positions = [next(i for i, s in enumerate(code) if f'grader.check("{q}")' in s) for q in QUESTIONS]
    assert positions == sorted(positions)
    for plot in ("plot_depth_errors", "show_reconstruction", "plot_history"):
        assert plot in joined, plot
    assert "submit.main()" in joined


def test_source_is_valid_python() -> None:
    ast.parse(SOURCE.read_text(encoding="utf-8"))  # magics are written commented out, as jupytext does


def test_percent_parsing() -> None:
    nb = notebook_from_percent(
        "# %% [markdown]\n"
        "# # Title\n"
        "#\n"
        "# Some *text*.\n"
        "\n"
        "# %%\n"
        "# %matplotlib inline\n"
        "x = 1  # a comment\n"
        "\n"
        "\n"
        "# %% Another code cell, with a title\n"
        "%autoreload 2\n"
        "# a comment line stays\n"
        "# %% [md]\n"
        "# short\n"
    )
    assert [c.cell_type for c in nb.cells] == ["markdown", "code", "code", "markdown"]
    assert nb.cells[0].source == "# Title\n\nSome *text*."
    assert nb.cells[1].source == "%matplotlib inline\nx = 1  # a comment"
    assert nb.cells[2].source == "%autoreload 2\n# a comment line stays"
    assert nb.cells[3].source == "short"
    assert [c.id for c in nb.cells] == ["cell-000", "cell-001", "cell-002", "cell-003"]
    nbformat.validate(nb)


def test_text_before_first_marker_and_yaml_header() -> None:
    nb = notebook_from_percent("# ---\n# jupyter:\n#   kernelspec: {}\n# ---\n\nimport os\n\n# %%\nprint(os.sep)\n")
    assert [(c.cell_type, c.source) for c in nb.cells] == [("code", "import os"), ("code", "print(os.sep)")]
    assert notebook_from_percent("").cells == []
    assert [c.source for c in notebook_from_percent("a = 1\r\nb = 2\r\n").cells] == ["a = 1\nb = 2"]


def test_rendering_is_stable_json() -> None:
    nb = notebook_from_percent("# %%\nprint('h\u00e9llo')\n")
    text = render_notebook(nb)
    assert text.endswith("}\n") and "h\u00e9llo" in text
    data = json.loads(text)
    assert data["metadata"] == {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    assert data["cells"][0]["execution_count"] is None and data["cells"][0]["outputs"] == []


def test_cli_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "nb.ipynb"
    assert main([str(SOURCE), str(out), "--check"]) == 1
    assert main([str(SOURCE), str(out)]) == 0
    assert main([str(SOURCE), str(out), "--check"]) == 0
    out.write_text(out.read_text(encoding="utf-8").replace("HW2", "HW3"), encoding="utf-8")
    assert main([str(SOURCE), str(out), "--check"]) == 1
    assert "regenerate" in capsys.readouterr().err
