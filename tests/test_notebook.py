"""The generated student material of every assignment in course.yml is fresh: notebook, points tables, submit.py.

* The committed ``<hw>.ipynb`` is exactly what jupytext and the builder make from ``notebook_source.py`` and
  the points in course.yml (no outputs, no execution counts, stable cell ids, fixed metadata).
* The handout ``README.md``'s points region and the notebook's points placeholders show course.yml's points.
* ``stale_student_material`` is empty for the committed files, and names the file and the fix command
  (``autograder starter <hw>``) when one is stale; ``write_student_material`` repairs it.

If a freshness test fails, edit the source (``notebook_source.py``, course.yml, the README outside its points
region; never the generated files by hand) and run ``autograder starter <hw>``.
"""

from __future__ import annotations

import ast
import json
import shutil
from dataclasses import replace
from pathlib import Path

import nbformat
import pytest
import yaml

from autograder.config import Course, load_course
from autograder.release.authoring.material import (
    expected_student_material,
    is_current,
    notebook_file,
    stale_student_material,
    write_student_material,
)
from autograder.release.authoring.notebook import (
    build_notebook,
    notebook_from_percent,
    render_notebook,
)
from autograder.release.authoring.points import (
    BEGIN_MARK,
    END_MARK,
    fill_placeholders,
    fill_points_region,
    points_table,
)
from autograder.release.errors import ReleaseError
from autograder.results.atomic import write_if_changed

REPO = Path(__file__).resolve().parents[1]
COURSE = load_course(REPO / "course.yml")
ASSIGNMENTS = sorted(COURSE.config.assignments)


def _folder(course: Course, assignment: str) -> Path:
    return course.path(course.assignment(assignment).starter)


def _copy(tmp_path: Path, assignment: str) -> Course:
    """course.yml and the assignment's starter folder, copied into ``tmp_path``."""
    shutil.copy(REPO / "course.yml", tmp_path / "course.yml")
    starter = COURSE.assignment(assignment).starter
    shutil.copytree(REPO / starter, tmp_path / starter, ignore=shutil.ignore_patterns("__pycache__"))
    return load_course(tmp_path / "course.yml")


# --------------------------------------------------------------------------------------------------------------
# Freshness of the committed files
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_student_material_is_fresh(assignment: str) -> None:
    assert stale_student_material(COURSE, assignment) == []


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_committed_notebook_is_generated(assignment: str, tmp_path: Path) -> None:
    folder = _folder(COURSE, assignment)
    committed = (folder / f"{assignment}.ipynb").read_bytes()
    assert committed == build_notebook(COURSE, assignment).encode("utf-8"), (
        f"{assignment}.ipynb differs from what notebook_source.py generates; run `autograder starter {assignment}`")
    # what `autograder notebook` writes, here into tmp_path
    written = replace(notebook_file(COURSE, assignment), path=tmp_path / "nb.ipynb")
    assert write_if_changed(written.path, written.text) and is_current(written)
    assert (tmp_path / "nb.ipynb").read_bytes() == committed


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_generation_is_deterministic(assignment: str) -> None:
    assert build_notebook(COURSE, assignment) == build_notebook(COURSE, assignment)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_committed_notebook_is_valid_and_clean(assignment: str) -> None:
    nb = nbformat.read(_folder(COURSE, assignment) / f"{assignment}.ipynb", as_version=nbformat.NO_CONVERT)
    nbformat.validate(nb)
    assert (nb.nbformat, nb.nbformat_minor) == (4, 5)
    assert nb.metadata["kernelspec"]["name"] == "python3" and "jupytext" not in nb.metadata
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.execution_count is None and cell.outputs == []
    assert [cell.id for cell in nb.cells] == [f"cell-{i:03d}" for i in range(len(nb.cells))]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_notebook_content(assignment: str) -> None:
    config = COURSE.assignment(assignment)
    nb = nbformat.read(_folder(COURSE, assignment) / f"{assignment}.ipynb", as_version=4)
    code = [cell.source for cell in nb.cells if cell.cell_type == "code"]
    markdown = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith(f"# {config.title}")
    joined = "\n".join(code)
    assert 'grader = otter.Notebook(tests_dir="tests")' in joined
    assert "%load_ext autoreload" in joined and "%autoreload 2" in joined
    modules = [task.module for task in config.tasks.values()]
    for module in modules:
        assert sum(f'grader.check("{module}")' in source for source in code) == 1, module
        assert f"`{module}.py`" in markdown, module
    # Each part's checks come after that part's experiments, in the order of the parts.
    positions = [next(i for i, s in enumerate(code) if f'grader.check("{m}")' in s) for m in modules]
    assert positions == sorted(positions)
    assert "submit.main()" in joined
    assert points_table(config) in markdown and "{{" not in markdown


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_is_valid_python(assignment: str) -> None:
    ast.parse((_folder(COURSE, assignment) / "notebook_source.py").read_text(encoding="utf-8"))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_readme_points_region_shows_course_points(assignment: str) -> None:
    config = COURSE.assignment(assignment)
    text = (_folder(COURSE, assignment) / "README.md").read_text(encoding="utf-8")
    assert f"{BEGIN_MARK}\n{points_table(config)}\n{END_MARK}" in text
    for task in config.tasks.values():
        row = next(line for line in text.splitlines() if line.startswith("| ") and f"`{task.module}.py`" in line)
        assert row.endswith(f"| {task.points:g} |"), row
        assert sum(check.points for check in task.checks.values()) == task.points


# --------------------------------------------------------------------------------------------------------------
# Stale material is reported with the fix, and repaired
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_stale_material_names_the_file_and_the_fix(assignment: str, tmp_path: Path) -> None:
    _copy(tmp_path, assignment)
    data = yaml.safe_load((tmp_path / "course.yml").read_text(encoding="utf-8"))
    tasks = data["assignments"][assignment]["tasks"]
    task = next(iter(tasks))
    check = next(iter(tasks[task]["checks"]))
    tasks[task]["checks"][check]["points"] += 1  # course.yml's points change: the tables go stale
    (tmp_path / "course.yml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    course = load_course(tmp_path / "course.yml")
    folder = _folder(course, assignment)
    config = course.assignment(assignment)
    (folder / "submit.py").write_text("# edited by hand\n", encoding="utf-8")
    problems = stale_student_material(course, assignment)
    starter = config.starter
    for name in (f"{assignment}.ipynb", "submit.py", "README.md"):
        assert any(p.startswith(f"{starter}/{name} is out of date") and f"`autograder starter {assignment}`" in p
                   for p in problems), (name, problems)

    written = write_student_material(course, assignment)
    assert sorted(p.name for p in written) == sorted([f"{assignment}.ipynb", "README.md", "submit.py"])
    assert stale_student_material(course, assignment) == []
    assert write_student_material(course, assignment) == []  # nothing left to do
    points = f"{config.tasks[task].points:g}"
    assert f"| {points} |" in (folder / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_missing_points_region_is_a_problem_not_a_crash(assignment: str, tmp_path: Path) -> None:
    course = _copy(tmp_path, assignment)
    readme = _folder(course, assignment) / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8").replace(END_MARK, ""), encoding="utf-8")
    [problem] = stale_student_material(course, assignment)
    assert "END POINTS" in problem and f"autograder starter {assignment}" in problem
    with pytest.raises(ReleaseError, match="exactly one region"):
        write_student_material(course, assignment)
    with pytest.raises(ReleaseError):
        expected_student_material(course, assignment)


# --------------------------------------------------------------------------------------------------------------
# The builder: jupytext's percent format, made deterministic; points placeholders
# --------------------------------------------------------------------------------------------------------------


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
        "# %%\n"
        "# %autoreload 2\n"
        "# a comment line stays\n"
        "\n"
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


def test_header_and_line_ends() -> None:
    nb = notebook_from_percent("# ---\n# jupyter:\n#   jupytext:\n#     formats: py:percent\n# ---\n\n# %%\nprint(1)\n")
    assert [(c.cell_type, c.source) for c in nb.cells] == [("code", "print(1)")]
    assert dict(nb.metadata) == {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                                                "name": "python3"}, "language_info": {"name": "python"}}
    assert notebook_from_percent("").cells == []
    assert [c.source for c in notebook_from_percent("# %%\na = 1\r\nb = 2\r\n").cells] == ["a = 1\nb = 2"]


def test_placeholders() -> None:
    config = COURSE.assignment(ASSIGNMENTS[0])
    task = next(iter(config.tasks))
    nb = notebook_from_percent(f"# %% [markdown]\n# {{{{ points_table }}}}\n#\n# ## Part ({{{{ points:{task} }}}} "
                               "points)\n\n# %%\nd = {{1: 2}}\n", config)
    assert nb.cells[0].source == f"{points_table(config)}\n\n## Part ({config.tasks[task].points:g} points)"
    assert nb.cells[1].source == "d = {{1: 2}}"  # code cells are left alone
    for bad in ("{{ points:no_such_task }}", "{{ total }}", "{{ points table }}"):
        with pytest.raises(ReleaseError, match="placeholder|no task"):
            fill_placeholders(f"x {bad} y", config, where="test")
    with pytest.raises(ReleaseError, match="no assignment"):
        notebook_from_percent("# %% [markdown]\n# {{ points_table }}\n")


def test_points_region_is_filled_in_place() -> None:
    config = COURSE.assignment(ASSIGNMENTS[0])
    text = f"intro\n{BEGIN_MARK}\nold table\n{END_MARK}\noutro\n"
    filled = fill_points_region(text, config, where="README.md")
    assert filled == f"intro\n{BEGIN_MARK}\n{points_table(config)}\n{END_MARK}\noutro\n"
    assert fill_points_region(filled, config, where="README.md") == filled
    lines = points_table(config).splitlines()
    assert len(lines) == 2 + len(config.tasks) + 1
    assert lines[-1].endswith(f"**{config.points:g}** |")


def test_rendering_is_stable_json() -> None:
    nb = notebook_from_percent("# %%\nprint('h\u00e9llo')\n")
    text = render_notebook(nb)
    assert text.endswith("}\n") and "h\u00e9llo" in text
    data = json.loads(text)
    assert data["cells"][0]["execution_count"] is None and data["cells"][0]["outputs"] == []
    assert data["cells"][0]["id"] == "cell-000"


def test_the_notebook_verb_checks_and_writes_the_notebook_of_the_course_given(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``autograder --course C notebook A [--check]`` works on course C (not the nearest course.yml)."""
    from autograder.cli import main

    assignment = ASSIGNMENTS[0]
    real = _folder(COURSE, assignment) / f"{assignment}.ipynb"
    before = real.read_bytes()
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy(REPO / "course.yml", root / "course.yml")
    for folder in ("assignments", "solutions"):
        shutil.copytree(REPO / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__"))
    notebook = _folder(load_course(root / "course.yml"), assignment) / f"{assignment}.ipynb"
    argv = ["--course", str(root / "course.yml"), "notebook", assignment]
    assert main([*argv, "--check"]) == 0
    notebook.write_text(notebook.read_text(encoding="utf-8").replace("Part", "Chapter"), encoding="utf-8")
    assert main([*argv, "--check"]) == 1
    assert f"autograder notebook {assignment}" in capsys.readouterr().err
    assert main(argv) == 0
    assert main([*argv, "--check"]) == 0
    assert real.read_bytes() == before
