"""Find submissions on disk: a folder, a ``.zip``, a folder of many, or Gradescope's export layout.

A submission is identified by its folder or zip name. Student modules may sit at any depth inside it
(students zip folders in creative ways); the shallowest match wins and everything else is ignored.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

MAX_ZIP_BYTES = 50 * 1024 * 1024  # uncompressed; a submission is four small Python files


class SubmissionError(ValueError):
    """A path given on the command line is not a usable submission."""


@dataclass(frozen=True)
class Submission:
    id: str
    source: Path                           # what the user pointed at (folder or zip)
    modules: dict[str, Path] = field(default_factory=dict)  # module name -> file, as found
    problem: str = ""                      # why it cannot be graded (bad zip...), empty if fine

    @property
    def fingerprint(self) -> str:
        """sha256 over the student modules' names and contents: same content, same fingerprint."""
        digest = hashlib.sha256()
        for name in sorted(self.modules):
            digest.update(name.encode() + b"\0" + self.modules[name].read_bytes() + b"\0")
        return digest.hexdigest()


def find_modules(folder: Path, modules: Sequence[str]) -> dict[str, Path]:
    """Locate ``<module>.py`` files under ``folder`` (shallowest first, ignoring hidden and cache folders)."""
    found: dict[str, Path] = {}
    candidates = sorted(folder.rglob("*.py"), key=lambda p: (len(p.relative_to(folder).parts), str(p)))
    for path in candidates:
        parts = path.relative_to(folder).parts
        if any(part.startswith((".", "__")) for part in parts[:-1]) or not path.is_file() or path.is_symlink():
            continue
        if path.stem in modules and path.stem not in found:
            found[path.stem] = path
    return found


def _is_single(folder: Path, modules: Sequence[str]) -> bool:
    return any((folder / f"{m}.py").is_file() for m in modules)


def _unzip(archive: Path, into: Path) -> Path:
    """Extract safely: no absolute paths, no ``..``, no links, bounded size."""
    target = into / archive.stem
    target.mkdir(parents=True)
    with zipfile.ZipFile(archive) as zf:
        total = 0
        for info in zf.infolist():
            name = Path(info.filename)
            if name.is_absolute() or ".." in name.parts:
                raise SubmissionError(f"{archive.name}: unsafe path {info.filename!r} in zip")
            if info.external_attr >> 16 & 0o170000 == 0o120000:
                continue  # symbolic link: ignored
            total += info.file_size
            if total > MAX_ZIP_BYTES:
                raise SubmissionError(f"{archive.name}: more than {MAX_ZIP_BYTES // 2**20} MiB uncompressed")
            if not info.is_dir() and name.suffix == ".py":
                destination = target / name
                destination.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(destination, "wb") as dst:
                    shutil.copyfileobj(src, dst)
    return target


def _from_zip(archive: Path, modules: Sequence[str], workdir: Path) -> Submission:
    try:
        folder = _unzip(archive, Path(tempfile.mkdtemp(dir=workdir, prefix="unzip-")))
    except (zipfile.BadZipFile, SubmissionError, OSError) as exc:
        return Submission(archive.stem, archive, {}, f"cannot read {archive.name}: {exc}")
    return Submission(archive.stem, archive, find_modules(folder, modules))


def discover(paths: Sequence[Path], modules: Sequence[str], workdir: Path) -> list[Submission]:
    """Expand command-line paths into submissions (zips are extracted under ``workdir``).

    A folder that holds student modules is one submission; any other folder is a class of
    submissions, one per sub-folder or zip inside it (Gradescope's export layout is such a folder:
    ``submission_<n>/`` folders beside ``submission_metadata.yml``, which is ignored).
    """
    found: list[Submission] = []
    for path in map(Path, paths):
        if not path.exists():
            raise SubmissionError(f"{path}: no such file or folder")
        if path.is_file():
            if path.suffix != ".zip":
                raise SubmissionError(f"{path}: a submission is a folder or a .zip file")
            found.append(_from_zip(path, modules, workdir))
        elif _is_single(path, modules):
            found.append(Submission(path.resolve().name, path, find_modules(path, modules)))
        else:
            for child in sorted(path.iterdir()):
                if child.suffix == ".zip":
                    found.append(_from_zip(child, modules, workdir))
                elif child.is_dir() and not child.name.startswith("."):
                    found.append(Submission(child.name, child, find_modules(child, modules)))
    ids = [s.id for s in found]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise SubmissionError(f"two submissions share the id(s) {duplicates}; rename one of them")
    return found
