"""Package your hw1 work for Gradescope.

Run it in the assignment folder (the one with hw1.ipynb)::

    python submit.py

or from the notebook::

    import submit
    submit.main();

It zips exactly the three files that are graded, ``descent.py``, ``linreg.py`` and ``numpy_mlp.py``, into
``hw1-submission.zip`` (flat: no folders inside the zip), then tells you what it packed. Upload that zip to
Gradescope. Nothing else is submitted: the grader uses only these three files, so they must not rely on other files
(your notebook, saved models, data you downloaded).

It warns you about:

* a module that is missing (the zip is still made with the others; that task will score 0);
* a module that still contains ``raise NotImplementedError`` (a function you have not finished);
* a module that Python cannot even parse (every check of that task would fail).

Exit status: 0 when the zip was written (warnings or not), 1 when none of the three modules was found.
Only the Python standard library is used.
"""

from __future__ import annotations

import argparse
import ast
import os
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

MODULES = ("descent.py", "linreg.py", "numpy_mlp.py")
ZIP_NAME = "hw1-submission.zip"

# Fixed timestamp and permissions, so that the same files always give the same zip, byte for byte.
_ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
_ZIP_PERMISSIONS = 0o644 << 16


def unfinished_functions(source: str) -> list[str]:
    """Return the names of the functions (``"Class.method"`` for methods) that contain ``raise NotImplementedError``.

    ``"<module>"`` stands for such a line outside any function. Raises ``SyntaxError`` if ``source`` does not parse.
    """
    tree = ast.parse(source)
    found: list[str] = []

    def raises_not_implemented(node: ast.AST) -> bool:
        if not isinstance(node, ast.Raise) or node.exc is None:
            return False
        exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"

    def visit(node: ast.AST, scope: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                visit(child, f"{scope}.{child.name}" if scope else child.name)
            else:
                if raises_not_implemented(child):
                    name = scope or "<module>"
                    if name not in found:
                        found.append(name)
                visit(child, scope)

    visit(tree, "")
    return found


def _check_module(path: Path) -> list[str]:
    """Return the warnings to print about one module that exists."""
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return [f"WARNING: could not read {path.name}: {error}"]
    try:
        unfinished = unfinished_functions(source)
    except SyntaxError as error:
        return [
            f"WARNING: {path.name} has a syntax error (line {error.lineno}: {error.msg}); every check of this "
            "task will fail until you fix it."
        ]
    if unfinished:
        return [
            f"WARNING: {path.name} still contains `raise NotImplementedError` (unfinished: {', '.join(unfinished)})."
        ]
    return []


def write_zip(folder: Path, names: Sequence[str], out_path: Path) -> None:
    """Write ``names`` (files in ``folder``) into a flat, deterministic zip at ``out_path``."""
    fd, tmp_name = tempfile.mkstemp(prefix=".hw1-submission-", suffix=".zip", dir=out_path.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp_name, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
            for name in names:
                info = zipfile.ZipInfo(name, date_time=_ZIP_DATE_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = _ZIP_PERMISSIONS
                archive.writestr(info, (folder / name).read_bytes(), compresslevel=9)
        os.replace(tmp_name, out_path)
    except BaseException:
        if os.path.exists(tmp_name):
            os.remove(tmp_name)
        raise


def main(argv: Sequence[str] = ()) -> int:
    """Zip the present modules into ``hw1-submission.zip``; print what was packed and any warnings.

    Args:
        argv: command-line arguments (``python submit.py [--dir FOLDER]``); from a notebook call ``main()``.

    Returns:
        0 when the zip was written, 1 when none of the modules was found (then no zip is written).
    """
    parser = argparse.ArgumentParser(prog="python submit.py", description="Zip your hw1 modules for Gradescope.")
    parser.add_argument(
        "--dir",
        type=Path,
        default=None,
        help="the assignment folder holding the modules (default: the folder this script is in)",
    )
    args = parser.parse_args(list(argv))
    folder = (args.dir if args.dir is not None else Path(__file__).resolve().parent).resolve()

    present = [name for name in MODULES if (folder / name).is_file()]
    warnings: list[str] = []
    for name in MODULES:
        if name not in present:
            warnings.append(
                f"WARNING: {name} is missing from {folder}; it will not be in the zip and that task will score 0."
            )
        else:
            warnings.extend(_check_module(folder / name))

    if not present:
        for warning in warnings:
            print(warning)
        print(f"ERROR: none of {', '.join(MODULES)} was found in {folder}; nothing to submit (no zip written).")
        return 1

    out_path = folder / ZIP_NAME
    write_zip(folder, present, out_path)

    print(f"Packed {len(present)} of {len(MODULES)} modules into {out_path}:")
    for name in present:
        print(f"  {name} ({(folder / name).stat().st_size} bytes)")
    for warning in warnings:
        print(warning)
    print(f"Now upload {ZIP_NAME} to Gradescope.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
