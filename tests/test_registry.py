"""Tests of the data registry (``autograder.data.registry``) and of the judge preloading the data through it.

The registry says which course data ships inside installed packages (the sandbox hides it from student code) and
loads every data set of a profile, checksummed, before the first worker starts; checks read it with
``ctx.data(name)`` and never load a data file again.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
import subprocess
import sys
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import offline_profile

from autograder.checks import CheckSpec, Context
from autograder.checks.context import DataNotDeclared
from autograder.config import ConfigError, load_course, parse_course
from autograder.data import DataError, PenguinTables, Splits
from autograder.data.fetch import DataFile, sha256_of
from autograder.data.registry import (
    DATASETS,
    DataSet,
    PackageFile,
    data_file_names,
    held_out_names,
    hidden_paths,
    preload,
    verify_package_files,
)
from autograder.grading.grader import Grader, load_grader

REPO = Path(__file__).resolve().parents[1]
COURSE = load_course(REPO / "course.yml")
ASSIGNMENTS = COURSE.assignments

pytestmark = pytest.mark.usefixtures("offline_data")  # these tests read the offline data


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def grader(request: pytest.FixtureRequest) -> Grader:
    """Each assignment on its offline profile, as ``autograder grade`` loads it (data preloaded)."""
    return load_grader(COURSE, request.param, offline_profile(COURSE, request.param))


def _package_folder(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.submodule_search_locations, f"{package} is not installed"
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def _entry(name: str) -> DataSet:
    return next(entry for entry in DATASETS if entry.name == name)


def _context(grader: Grader, spec: CheckSpec | None = None) -> Context:
    """A check's context without a worker: enough for the judge-side parts."""
    return Context(spec or grader.checks[0], None, grader.profile, grader.profile_name, 1.0,  # type: ignore[arg-type]
                   grader.judge)


def _check_of(grader: Grader, task: str) -> CheckSpec:
    return next(spec for spec in grader.checks if spec.task == task)


# --------------------------------------------------------------------------------------------- hidden paths


def test_hidden_paths_cover_the_package_data() -> None:
    hidden = hidden_paths()
    assert hidden and all(p.is_absolute() and p == p.resolve() and p.exists() for p in hidden)

    def covered(path: Path) -> bool:
        return any(path == h or h in path.parents for h in hidden)

    csvs = sorted((_package_folder("palmerpenguins") / "data").glob("*.csv"))
    assert {p.name for p in csvs} >= {"penguins.csv", "penguins-raw.csv"}
    assert all(covered(p) for p in csvs)
    sklearn_datasets = _package_folder("sklearn") / "datasets"
    assert sklearn_datasets / "images" in hidden
    assert covered(sklearn_datasets / "images" / "china.jpg")
    for folder in ("data", "descr"):
        if (sklearn_datasets / folder).is_dir():
            assert sklearn_datasets / folder in hidden
    # Nothing listed twice and nothing inside another listed folder: each path can be hidden on its own.
    assert len(set(hidden)) == len(hidden)
    assert not any(h in other.parents for h in hidden for other in hidden)


def test_hidden_paths_imports_nothing_heavy() -> None:
    code = (
        "import sys\nfrom autograder.data.registry import hidden_paths\nassert hidden_paths()\n"
        "print(','.join(m for m in ('sklearn', 'palmerpenguins', 'torch', 'pandas') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_every_pinned_package_file_matches_the_installed_one() -> None:
    pinned = [item for entry in DATASETS for item in entry.package_files if item.sha256]
    assert {item.path for item in pinned} >= {"data/penguins.csv", "datasets/images/china.jpg"}
    for entry in DATASETS:
        verify_package_files(entry)  # raises on a mismatch


def test_package_file_rejects_bad_names() -> None:
    with pytest.raises(ValueError, match="top-level"):
        PackageFile("sklearn.datasets", "images")
    with pytest.raises(ValueError, match="relative"):
        PackageFile("sklearn", "../etc")


# --------------------------------------------------------------------------------------------- verification


def _fake_package(root: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[DataSet, Path, list[int]]:
    """An installed package ``course_fake_data`` shipping ``data/table.csv``, and a data set entry reading it."""
    folder = root / "course_fake_data"
    (folder / "data").mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    table = folder / "data" / "table.csv"
    table.write_text("x,label\n1,0\n2,1\n")
    monkeypatch.syspath_prepend(str(root))
    calls: list[int] = []

    def load_table(*, column: str = "x") -> Splits:
        calls.append(1)
        df = pd.read_csv(table)
        values = df[column].to_numpy()
        from autograder.data import Split

        return Splits(train=Split(values[:1], values[:1]), val=None, test=Split(values[1:], values[1:]))

    entry = DataSet("table", load_table, package_files=(
        PackageFile("course_fake_data", "data"),
        PackageFile("course_fake_data", "data/table.csv", sha256=sha256_of(table)),
    ))
    return entry, table, calls


def test_a_new_data_set_is_one_loader_and_one_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entry, table, calls = _fake_package(tmp_path, monkeypatch)
    assert hidden_paths([entry]) == [table.parent.resolve()]
    loaded = preload({"table": {"column": "label"}}, entries=[entry])
    assert calls == [1]
    assert loaded["table"].test.X.tolist() == [1]


def test_a_changed_package_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entry, table, calls = _fake_package(tmp_path, monkeypatch)
    pinned = entry.package_files[1].sha256
    table.write_text("x,label\n1,0\n2,0\n")  # a worker relabels the answers
    with pytest.raises(DataError) as caught:
        preload({"table": {}}, entries=[entry])
    message = str(caught.value)
    assert str(table.resolve()) in message and pinned in message and sha256_of(table) in message
    assert calls == []  # refused before the loader ran


def test_a_pinned_hash_that_does_not_match_penguins_csv_is_refused() -> None:
    penguins = _entry("penguins")
    wrong = "0" * 64
    files = tuple(dataclasses.replace(f, sha256=wrong) if f.sha256 else f for f in penguins.package_files)
    with pytest.raises(DataError, match="penguins.csv") as caught:
        preload({"penguins": {}}, entries=[dataclasses.replace(penguins, package_files=files)])
    actual = sha256_of(_package_folder("palmerpenguins") / "data" / "penguins.csv")
    assert wrong in str(caught.value) and actual in str(caught.value)


def test_missing_package_file_is_refused() -> None:
    entry = DataSet("ghost", lambda: None,
                    package_files=(PackageFile("no_such_package_xyz", "a.csv", sha256="0" * 64),))
    with pytest.raises(DataError, match="no_such_package_xyz"):
        preload({"ghost": {}}, entries=[entry])
    assert hidden_paths([entry]) == []


def test_unknown_data_set_and_bad_settings() -> None:
    with pytest.raises(ValueError, match="unknown data set.*'weather'"):
        preload({"weather": {}})
    with pytest.raises(ValueError, match=r"data\.temperature.*no_such_setting"):
        preload({"temperature": {"no_such_setting": 1}})


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_loading_the_course_names_the_profile_for_an_unknown_data_set(assignment: str) -> None:
    raw = yaml.safe_load((REPO / "course.yml").read_text(encoding="utf-8"))
    profile = offline_profile(COURSE, assignment)
    raw["assignments"][assignment]["profiles"][profile].setdefault("data", {})["weather"] = {}
    with pytest.raises(ConfigError, match=rf"assignments\.{assignment}\.profiles\.{profile}\.data\.weather.*'weather'"):
        parse_course(raw, REPO)


# --------------------------------------------------------------------------------------------- the file table


def test_data_file_names_cover_every_file_of_every_data_set() -> None:
    names = data_file_names()
    assert isinstance(names, frozenset) and all(name == name.lower() and "/" not in name for name in names)
    for entry in DATASETS:
        for item in entry.files:
            base = PurePosixPath(item.relpath).name.lower()
            assert base in names, (entry.name, base)
            other = base[:-3] if base.endswith(".gz") else base + ".gz"
            assert other in names, (entry.name, other)  # compressed (or uncompressed) variant
        for package_file in entry.package_files:
            if package_file.sha256:
                assert PurePosixPath(package_file.path).name.lower() in names
    assert {"t10k-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte", "train-labels-idx1-ubyte.gz", "ohclevel.txt",
            "ohclevel.txt.gz", "penguins.csv", "china.jpg"} <= names
    assert held_out_names() <= names and "t10k-labels-idx1-ubyte.gz" in held_out_names()
    assert "train-labels-idx1-ubyte.gz" not in held_out_names()


def test_data_file_names_of_a_new_data_set() -> None:
    entry = DataSet("weather", lambda: None, files=(
        DataFile("weather/Station.CSV.gz", sha256="0" * 64, url=None, held_out=True),
        DataFile("weather/stations.txt", sha256="1" * 64, url="https://example.org/stations.txt"),
    ))
    assert data_file_names([entry]) == {"station.csv.gz", "station.csv", "stations.txt", "stations.txt.gz"}
    assert held_out_names([entry]) == {"station.csv.gz", "station.csv"}
    with pytest.raises(ValueError, match="sha256"):
        DataFile("weather/x.txt", sha256=None, url=None)


def test_the_loaders_read_the_files_of_their_entry(offline_data: Path) -> None:
    """One table per data set: the registry entry's files are the loader module's own table."""
    from autograder.data import mnist, temperature

    by_name = {entry.name: entry for entry in DATASETS}
    assert by_name["temperature"].files is temperature.FILES
    assert by_name["mnist"].files is mnist.FILES
    sums = dict(reversed(line.split()) for line in (offline_data / "SHA256SUMS").read_text().splitlines() if line)
    for entry in DATASETS:
        for item in entry.files:
            if item.relpath in sums:
                assert item.sha256 == sums[item.relpath], item.relpath


# --------------------------------------------------------------------------------------------- preloading


def _arrays(value: Any) -> list[np.ndarray]:
    if isinstance(value, np.ndarray):
        return [value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [a for f in dataclasses.fields(value) for a in _arrays(getattr(value, f.name))]
    return []


def test_load_grader_preloads_every_declared_data_set(grader: Grader) -> None:
    declared = grader.profile.data
    assert list(grader.judge.data) == [name for name in declared if name in grader.config.data_of()]
    data = grader.judge.data
    if "mnist" in data:
        assert [len(data["mnist"].train), len(data["mnist"].val), len(data["mnist"].test)] == declared["mnist"]["sizes"]
    if "image" in data:
        assert len(data["image"].train) + len(data["image"].test) == declared["image"]["size"] ** 2
    if "penguins" in data:
        assert isinstance(data["penguins"], PenguinTables)
        assert len(data["penguins"].held_out) == 104 and len(data["penguins"].raw) == 344
    for name in ("temperature", "mnist", "image"):
        if name in data:
            assert isinstance(data[name], Splits)


def test_preloaded_arrays_are_read_only(grader: Grader) -> None:
    arrays = [a for value in grader.judge.data.values() for a in _arrays(value)]
    assert not any(a.flags.writeable for a in arrays)
    if "mnist" in grader.judge.data:
        with pytest.raises(ValueError, match="read-only"):
            grader.judge.data["mnist"].test.y[0] = 0


def test_penguin_tables_are_copies() -> None:
    tables = preload({"penguins": {}})["penguins"]
    raw = tables.raw
    raw.loc[:, "species"] = "Gentoo"
    held_out = tables.held_out
    del held_out["species"]
    assert (tables.raw["species"] != "Gentoo").any()
    assert "species" in tables.held_out.columns


def test_checks_read_the_preloaded_data(grader: Grader) -> None:
    for task, config in grader.config.tasks.items():
        ctx = _context(grader, _check_of(grader, task))
        for name in config.data:
            assert ctx.data(name) is grader.judge.data[name]
        with pytest.raises(DataNotDeclared) as caught:
            ctx.data("weather")
        assert str(caught.value) == (f"data set 'weather' is not declared under course.yml's tasks.{task}.data "
                                     f"(it declares {sorted(config.data)})")
        assert isinstance(caught.value, KeyError)
        others = [name for name in grader.judge.data if name not in config.data]
        for name in others:  # loaded for another task: still refused, so that --tasks never breaks a check
            with pytest.raises(DataNotDeclared, match=f"tasks.{task}.data"):
                ctx.data(name)


def test_hidden_checks_never_read_a_data_file(grader: Grader, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With every data source gone, the checks' data still answers: they only read the judge's copy."""
    import palmerpenguins
    import sklearn.datasets

    def gone(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a check read a data file after preloading")

    monkeypatch.setenv("AUTOGRADER_DATA", str(tmp_path))  # an empty folder: every fetch fails
    monkeypatch.setattr(palmerpenguins, "load_penguins", gone)
    monkeypatch.setattr(sklearn.datasets, "load_sample_image", gone)
    for task, config in grader.config.tasks.items():
        ctx = _context(grader, _check_of(grader, task))
        for name in config.data:
            assert ctx.data(name) is grader.judge.data[name]
    if "penguins" in grader.judge.data:
        tables = grader.judge.data["penguins"]
        assert (len(tables.raw), len(tables.train), len(tables.held_out)) == (344, 240, 104)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_hidden_checks_import_no_data_loader(assignment: str) -> None:
    """The checks take data only from ctx.data: no loader of autograder.data is imported there, and no thin
    wrapper around ctx.data is defined (call ctx.data("name") where the data is used)."""
    allowed = {"PenguinTables", "Split", "Splits"}
    for source in sorted(COURSE.path(COURSE.assignment(assignment).checks).glob("*.py")):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("autograder.data"):
                names = {alias.name for alias in node.names}
                assert names <= allowed, f"{source.name} imports {sorted(names - allowed)} from {node.module}"
            if isinstance(node, ast.Import):
                assert not any(a.name.startswith(("autograder.data", "palmerpenguins")) for a in node.names), source
            if isinstance(node, ast.FunctionDef) and len(node.body) == 1 and isinstance(node.body[0], ast.Return):
                value = node.body[0].value
                wraps = (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
                         and value.func.attr == "data")
                assert not wraps, f"{source.name}: {node.name} only wraps ctx.data"
