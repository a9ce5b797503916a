"""The course's data sets in one table: how the judge loads each one, and which installed files hold its answers.

Every data set a profile of ``course.yml`` can name under ``data:`` has one :class:`DataSet` entry here:

* ``load``: the judge-side loader, called with that profile's ``data.<name>`` settings as keyword arguments; what
  it returns is what a hidden check gets from ``ctx.data(name)``;
* ``files``: the files it reads from ``$AUTOGRADER_DATA`` or downloads into the cache (:class:`DataFile`: relative
  path, SHA-256, public address, whether it holds held-out answers). The entry points at the loader module's own
  ``FILES`` table, so each file is described once;
* ``package_files``: course data that ships *inside an installed package* (not in ``$AUTOGRADER_DATA`` or the
  download cache) and gives away held-out answers, e.g. the penguins CSV of ``palmerpenguins``. The sandbox hides
  these from student code (:func:`hidden_paths`); the files a loader reads carry a pinned SHA-256 that
  :func:`preload` checks before loading.

Adding a data set means writing its loader (with its ``FILES`` table) and adding one entry to :func:`datasets`;
nothing else changes. The rest of the engine asks the registry: :func:`data_file_names` (the leak checks),
:func:`check_settings` (``course.yml`` is validated against the loaders' signatures when it is loaded),
:func:`preload` (the judge, and the release's pre-download).

The judge calls :func:`preload` once per grading run, before the first worker starts, and keeps the result:
checks never read a data file afterwards, so nothing a worker could have touched is read back. Files from the data
folder or the download cache are checksummed by :func:`~autograder.data.fetch.fetch` as they are read; package
files by :func:`verify_package_files`. The loaded NumPy arrays are made read-only (the same objects serve every
submission of the run) and :class:`PenguinTables` hands out a fresh copy of a table on every read.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import inspect
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import numpy as np

from . import mnist, temperature
from .errors import DataError
from .fetch import DataFile, name_forms, sha256_of
from .image import image_splits, load_image
from .penguins import load_penguins, penguin_split
from .splits import Splits

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DATASETS",
    "DataFile",
    "DataSet",
    "PackageFile",
    "PenguinTables",
    "check_settings",
    "data_file_names",
    "dataset",
    "datasets",
    "held_out_names",
    "hidden_paths",
    "load_image_splits",
    "load_penguin_tables",
    "preload",
    "read_only",
    "verify_package_files",
]


@dataclass(frozen=True)
class PackageFile:
    """A file or folder that ships inside an installed package and holds course data.

    Attributes:
        package: the package's top-level import name (``"sklearn"``, not ``"sklearn.datasets"``), so that it can
            be found with :func:`importlib.util.find_spec` without importing it.
        path: where it lies inside the package folder, with ``/`` separators (``"datasets/images"``).
        sha256: the pinned SHA-256 of a file that a loader reads; ``None`` for a folder, or a file that is only
            hidden.
        held_out: it holds (or is a folder holding) held-out answers of the course.
    """

    package: str
    path: str
    sha256: str | None = None
    held_out: bool = False

    def __post_init__(self) -> None:
        if not self.package.isidentifier():
            raise ValueError(f"package must be a top-level import name, got {self.package!r}")
        rel = PurePosixPath(self.path)
        if not self.path or rel.is_absolute() or ".." in rel.parts:
            raise ValueError(f"path must be relative to the package folder, got {self.path!r}")

    def locate(self) -> Path | None:
        """The copy the interpreter loads (in the folder :func:`importlib.util.find_spec` reports), or ``None``."""
        for folder in _spec_folders(self.package):
            candidate = folder.joinpath(*PurePosixPath(self.path).parts)
            if candidate.exists():
                return candidate.resolve()
        return None

    def copies(self) -> list[Path]:
        """Every existing copy: the one :meth:`locate` finds plus any other under a ``sys.path`` folder."""
        folders = [*_spec_folders(self.package), *(Path(entry or ".") / self.package for entry in sys.path)]
        found: dict[Path, None] = {}
        for folder in folders:
            candidate = folder.joinpath(*PurePosixPath(self.path).parts)
            if candidate.exists():
                found[candidate.resolve()] = None
        return list(found)

    def describe(self) -> str:
        """``"data/penguins.csv of the installed package 'palmerpenguins'"``."""
        return f"{self.path} of the installed package {self.package!r}"

    @property
    def is_read(self) -> bool:
        """A file that a loader reads (it has a pinned SHA-256), not a folder that is only hidden."""
        return self.sha256 is not None


@dataclass(frozen=True)
class DataSet:
    """One data set: its name in ``course.yml``, its judge-side loader, and every file it reads.

    Attributes:
        name: the key under ``profiles.<p>.data`` (and ``tasks.<t>.data``) in ``course.yml``.
        load: called as ``load(**settings)`` with that profile's settings; returns what checks get.
        files: the files it reads from ``$AUTOGRADER_DATA`` or downloads (the loader module's ``FILES`` table).
        package_files: files or folders inside installed packages that hold this data set (hidden from workers;
            those with a ``sha256`` are verified before ``load`` runs).
    """

    name: str
    load: Callable[..., Any]
    files: tuple[DataFile, ...] = field(default=())
    package_files: tuple[PackageFile, ...] = field(default=())

    def file_names(self) -> frozenset[str]:
        """Lower-case base names of every file this data set reads or downloads, compressed forms included."""
        return self._names(held_out_only=False)

    def held_out_names(self) -> frozenset[str]:
        """Like :meth:`file_names`, only the files holding held-out answers (never to a student or a worker)."""
        return self._names(held_out_only=True)

    def _names(self, *, held_out_only: bool) -> frozenset[str]:
        names: set[str] = set()
        for item in (*self.files, *(p for p in self.package_files if p.is_read)):
            if item.held_out or not held_out_only:
                names |= name_forms(item.path if isinstance(item, PackageFile) else item.relpath)
        return frozenset(names)

    def check_settings(self, settings: Mapping[str, Any]) -> None:
        """Raise ``ValueError`` naming the first setting that ``load(**settings)`` would not accept."""
        parameters = inspect.signature(self.load).parameters
        takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
        accepted = [name for name, p in parameters.items()
                    if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)]
        for key in settings:
            if key not in accepted and not takes_any:
                raise ValueError(f"data.{self.name}.{key}: unknown setting {key!r}; {self.load.__name__} accepts "
                                 f"{accepted}")
        try:
            inspect.signature(self.load).bind(**settings)
        except TypeError as exc:
            raise ValueError(f"data.{self.name}: settings {dict(settings)} do not fit {self.load.__name__}: "
                             f"{exc}") from None


@dataclass(frozen=True, eq=False)
class PenguinTables:
    """The raw penguins table and its stratified (train, held-out) split.

    Every read of ``raw``, ``train`` or ``held_out`` returns a fresh copy, so a check that changes a table in
    place cannot change what the next check (of any submission) sees.
    """

    _raw: pd.DataFrame = field(repr=False)
    _train: pd.DataFrame = field(repr=False)
    _held_out: pd.DataFrame = field(repr=False)

    @property
    def raw(self) -> pd.DataFrame:
        """All 344 rows, missing values included (what ``load_penguins()`` returns)."""
        return self._raw.copy()

    @property
    def train(self) -> pd.DataFrame:
        return self._train.copy()

    @property
    def held_out(self) -> pd.DataFrame:
        return self._held_out.copy()


def load_penguin_tables(*, test_fraction: float = 0.3, seed: int = 0) -> PenguinTables:
    """The raw table and ``penguin_split(raw, test_fraction=..., seed=...)``, kept together."""
    raw = load_penguins()
    train, held_out = penguin_split(raw, test_fraction=test_fraction, seed=seed)
    return PenguinTables(raw, train, held_out)


def load_image_splits(size: int = 128) -> Splits:
    """``image_splits(load_image(size))``: the course photograph as coordinates -> colour regression."""
    return image_splits(load_image(size))


def datasets() -> tuple[DataSet, ...]:
    """Every data set the course knows, one entry each (a new data set adds its entry here)."""
    return (
        DataSet("temperature", temperature.load_temperature_splits, files=temperature.FILES),
        DataSet("mnist", mnist.load_mnist, files=mnist.FILES),
        DataSet(
            "penguins",
            load_penguin_tables,
            package_files=(
                # penguins.csv and penguins-raw.csv: every species
                PackageFile("palmerpenguins", "data", held_out=True),
                PackageFile("palmerpenguins", "data/penguins.csv", held_out=True,
                            sha256="f204db2c753b0937caac3cb35258562c14f073e4bbc76be24b4c51ce22767a93"),
            ),
        ),
        DataSet(
            "image",
            load_image_splits,
            package_files=(
                PackageFile("sklearn", "datasets/images", held_out=True),  # china.jpg: every held-out pixel
                PackageFile("sklearn", "datasets/images/china.jpg", held_out=True,
                            sha256="8378025ad2519d649d02e32bd98990db4ab572357d9f09841c2fbfbb4fefad29"),
                PackageFile("sklearn", "datasets/data"),  # scikit-learn's other bundled data sets
                PackageFile("sklearn", "datasets/descr"),
            ),
        ),
    )


#: The registry (an immutable tuple of frozen entries).
DATASETS: tuple[DataSet, ...] = datasets()


def dataset(name: str, entries: Sequence[DataSet] | None = None) -> DataSet:
    """The registry entry called ``name``.

    Raises:
        ValueError: no entry has that name (the message lists the known ones).
    """
    table = {entry.name: entry for entry in (DATASETS if entries is None else entries)}
    try:
        return table[name]
    except KeyError:
        raise ValueError(f"unknown data set {name!r}; the data registry (autograder/data/registry.py) knows "
                         f"{sorted(table)}") from None


def check_settings(name: str, settings: Mapping[str, Any], entries: Sequence[DataSet] | None = None) -> None:
    """Validate one profile's ``data.<name>`` settings against the registry and the loader's signature.

    Raises:
        ValueError: unknown data set, or a setting the loader does not accept (the message names its key).
    """
    dataset(name, entries).check_settings(settings)


def data_file_names(entries: Sequence[DataSet] | None = None) -> frozenset[str]:
    """Lower-case base names of every file any registered data set reads or downloads.

    Files of the data folder or the download cache (``ohclevel.txt``, ``t10k-images-idx3-ubyte.gz``) and package
    files a loader reads (``penguins.csv``, ``china.jpg``), each with its compressed or uncompressed form too
    (``ohclevel.txt.gz``, ``t10k-images-idx3-ubyte``). For the leak checks: none of these may ship to students.
    """
    return frozenset(name for entry in (DATASETS if entries is None else entries) for name in entry.file_names())


def held_out_names(entries: Sequence[DataSet] | None = None) -> frozenset[str]:
    """Like :func:`data_file_names`, only the files that hold held-out answers (never to a student or a worker)."""
    return frozenset(name for entry in (DATASETS if entries is None else entries) for name in entry.held_out_names())


def hidden_paths(entries: Sequence[DataSet] | None = None) -> list[Path]:
    """Absolute, resolved paths of the course data inside installed packages, to hide from student code.

    Every existing copy of every entry's ``package_files`` (found from this interpreter's ``find_spec`` and
    ``sys.path``, without importing the packages), sorted; a path inside another listed folder is left out, since
    hiding the folder hides it. Packages that are not installed contribute nothing.
    """
    found = {path for entry in (DATASETS if entries is None else entries)
             for item in entry.package_files for path in item.copies()}
    folders = [path for path in found if path.is_dir()]
    return sorted(path for path in found if not any(folder in path.parents for folder in folders))


def verify_package_files(entry: DataSet) -> None:
    """Check the pinned SHA-256 of every package file ``entry`` reads.

    Raises:
        DataError: a pinned file is missing, or its hash differs (the message names the file and both hashes).
    """
    for item in entry.package_files:
        if item.sha256 is None:
            continue
        path = item.locate()
        if path is None or not path.is_file():
            raise DataError(
                f"Data set {entry.name!r} needs {item.describe()}, which is not there. Install the package "
                f"(pip install -c constraints.txt {item.package})."
            )
        actual = sha256_of(path)
        if actual != item.sha256:
            raise DataError(
                f"Checksum mismatch for {path} ({item.describe()}, data set {entry.name!r}): expected sha256 "
                f"{item.sha256}, got {actual}. The installed file was changed or is another version; reinstall "
                f"the package (pip install --force-reinstall -c constraints.txt {item.package})."
            )


def preload(profile_data: Mapping[str, Mapping[str, Any]], *, names: Iterable[str] | None = None,
            entries: Sequence[DataSet] | None = None) -> dict[str, Any]:
    """Load the data sets a profile's ``data:`` section names, with its settings, after verifying their files.

    Args:
        profile_data: ``profiles.<p>.data`` of ``course.yml``: data set name -> loader keyword arguments.
        names: load only these (the data sets the selected tasks declare); default: every one of ``profile_data``.
        entries: the registry to use (default :data:`DATASETS`).

    Returns:
        name -> loaded value, in ``profile_data``'s order, with every NumPy array in it made read-only.

    Raises:
        ValueError: a name the registry does not know or the profile does not set, or settings the loader does not
            accept.
        DataError: a data file is missing or fails its checksum.
    """
    wanted = list(profile_data) if names is None else list(dict.fromkeys(names))
    missing = [name for name in wanted if name not in profile_data]
    if missing:
        raise ValueError(f"data set(s) {missing} are needed but not set under the profile's data: "
                         f"it sets {sorted(profile_data)}")
    unknown = []
    for name in profile_data:
        try:
            dataset(name, entries)
        except ValueError:
            unknown.append(name)
    if unknown:
        known = sorted(entry.name for entry in (DATASETS if entries is None else entries))
        raise ValueError(f"unknown data set(s) {unknown}; the data registry (autograder/data/registry.py) knows "
                         f"{known}")
    for name in wanted:
        check_settings(name, profile_data[name], entries)
    loaded: dict[str, Any] = {}
    for name in (name for name in profile_data if name in wanted):
        entry = dataset(name, entries)
        verify_package_files(entry)
        loaded[name] = read_only(entry.load(**profile_data[name]))
    return loaded


def read_only(value: Any) -> Any:
    """Make every NumPy array reachable from ``value`` (through dataclasses, tuples, lists, dicts) read-only.

    Changes the arrays in place and returns ``value``. Other objects (DataFrames included) are left as they are.
    """
    for array in _arrays(value):
        array.flags.writeable = False
    return value


def _arrays(value: Any) -> Iterator[np.ndarray]:
    if isinstance(value, np.ndarray):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            yield from _arrays(getattr(value, item.name))
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _arrays(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _arrays(item)


def _spec_folders(package: str) -> list[Path]:
    """The folders ``find_spec(package)`` reports for a top-level package (not imported), or none."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):  # ValueError: in sys.modules without a __spec__
        return []
    if spec is None or not spec.submodule_search_locations:
        return []
    return [Path(folder) for folder in spec.submodule_search_locations]
