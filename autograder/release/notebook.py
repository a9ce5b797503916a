"""Build an assignment's Jupyter notebook from a plain-text "percent" script, deterministically.

The notebook students open (``assignments/hw2/hw2.ipynb``) is generated from a reviewable Python file
(``assignments/hw2/notebook_source.py``) written in the jupytext "percent" format:

* a line ``# %%`` (optionally followed by a title) starts a code cell;
* a line ``# %% [markdown]`` (or ``# %% [md]``) starts a markdown cell, whose lines are comments: the leading
  ``"# "`` (or a lone ``"#"``) is stripped from each line;
* ``# %% [raw]`` starts a raw cell, uncommented like markdown;
* in code cells, IPython magics may be written commented out, ``# %matplotlib inline`` or ``# %%time``, as
  jupytext does, so that the source stays valid Python; they become ``%matplotlib inline`` / ``%%time``.
  (Written without the ``#`` they are kept as they are.)
* a jupytext YAML header (a first block of lines between two ``# ---`` lines) is skipped, and anything else
  before the first marker becomes a code cell.

Blank lines at the start and end of every cell are dropped. The output is deterministic, so the generated
notebook can be committed and a test can check that it is up to date: nbformat 4.5, cell ids numbered in
order (``cell-000``, ...), no execution counts, no outputs, and fixed metadata (the ``python3`` kernel).

Regenerate a notebook after editing its source::

    python -m autograder.release.notebook assignments/hw2/notebook_source.py assignments/hw2/hw2.ipynb

(``--check`` only compares and exits 1 when the notebook is out of date).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

__all__ = ["NOTEBOOK_METADATA", "notebook_from_percent", "render_notebook", "write_notebook", "main"]

#: Metadata of every generated notebook: fixed, so that the file does not depend on who generated it.
NOTEBOOK_METADATA = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}

# "# %%" or "#%%", then the end of the line, white space or "[": "# %%time" is a commented cell magic, not a marker.
_MARKER = re.compile(r"^#\s?%%(?=$|\s|\[)(?P<rest>.*)$")
_CELL_TYPE = re.compile(r"\[(?P<kind>markdown|md|raw)\]")
# A commented-out magic in a code cell: "# %name ..." or "# %%name ...".
_COMMENTED_MAGIC = re.compile(r"^# (?P<magic>%%?[A-Za-z_]\w*.*)$")


def _uncomment(line: str) -> str:
    if line == "#":
        return ""
    if line.startswith("# "):
        return line[2:]
    return line


def _strip_blank_edges(lines: list[str]) -> list[str]:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]


def _skip_yaml_header(lines: list[str]) -> list[str]:
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None or lines[first].rstrip() != "# ---":
        return lines
    for i in range(first + 1, len(lines)):
        if lines[i].rstrip() == "# ---":
            return lines[i + 1 :]
    return lines  # no closing line: not a header after all


def _make_cell(kind: str, lines: list[str], index: int) -> nbformat.NotebookNode:
    if kind in ("markdown", "raw"):
        lines = [_uncomment(line) for line in lines]
    else:
        lines = [
            match.group("magic") if (match := _COMMENTED_MAGIC.match(line)) else line for line in lines
        ]
    source = "\n".join(_strip_blank_edges(lines))
    cell_id = f"cell-{index:03d}"
    if kind == "markdown":
        return nbformat.v4.new_markdown_cell(source, id=cell_id)
    if kind == "raw":
        return nbformat.v4.new_raw_cell(source, id=cell_id)
    return nbformat.v4.new_code_cell(source, id=cell_id)


def notebook_from_percent(source: str) -> nbformat.NotebookNode:
    """Parse a percent-format script into a notebook (nbformat 4.5, no outputs, deterministic ids and metadata).

    Args:
        source: the text of the script.

    Returns:
        The notebook. It is validated with :func:`nbformat.validate`.
    """
    lines = _skip_yaml_header(source.replace("\r\n", "\n").replace("\r", "\n").split("\n"))

    chunks: list[tuple[str, list[str]]] = []
    kind, current = "code", []
    seen_marker = False
    for line in lines:
        match = _MARKER.match(line)
        if match is None:
            current.append(line)
            continue
        if seen_marker or _strip_blank_edges(current):  # text before the first marker is a code cell if not blank
            chunks.append((kind, current))
        seen_marker = True
        type_match = _CELL_TYPE.search(match.group("rest"))
        kind = "code" if type_match is None else {"md": "markdown"}.get(type_match["kind"], type_match["kind"])
        current = []
    if seen_marker or _strip_blank_edges(current):
        chunks.append((kind, current))

    nb = nbformat.v4.new_notebook()
    nb.nbformat, nb.nbformat_minor = 4, 5
    nb.metadata = nbformat.from_dict(NOTEBOOK_METADATA)
    nb.cells = [_make_cell(k, chunk, i) for i, (k, chunk) in enumerate(chunks)]
    nbformat.validate(nb)
    return nb


def render_notebook(nb: nbformat.NotebookNode) -> str:
    """Serialise a notebook the way Jupyter saves it (1-space indent, sorted keys), ending in a newline."""
    text = nbformat.writes(nb, version=4)
    return text if text.endswith("\n") else text + "\n"


def write_notebook(source_path: Path, out_path: Path) -> None:
    """Generate the notebook for the percent script at ``source_path`` and write it to ``out_path`` (UTF-8, LF).

    The same source always gives byte-for-byte the same file.
    """
    nb = notebook_from_percent(Path(source_path).read_text(encoding="utf-8"))
    Path(out_path).write_text(render_notebook(nb), encoding="utf-8", newline="\n")


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m autograder.release.notebook SOURCE OUT [--check]``."""
    parser = argparse.ArgumentParser(
        prog="python -m autograder.release.notebook", description="Generate a notebook from a percent script."
    )
    parser.add_argument("source", type=Path, help="the percent-format script, e.g. assignments/hw2/notebook_source.py")
    parser.add_argument("out", type=Path, help="the notebook to write, e.g. assignments/hw2/hw2.ipynb")
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if OUT is missing or out of date")
    args = parser.parse_args(argv)

    if args.check:
        expected = render_notebook(notebook_from_percent(args.source.read_text(encoding="utf-8")))
        actual = args.out.read_text(encoding="utf-8") if args.out.is_file() else None
        if actual != expected:
            print(f"{args.out} is out of date; regenerate it with: python -m autograder.release.notebook "
                  f"{args.source} {args.out}", file=sys.stderr)
            return 1
        print(f"{args.out} is up to date")
        return 0

    write_notebook(args.source, args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
