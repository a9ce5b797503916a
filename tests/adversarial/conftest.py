"""Shared machinery of the adversarial suite: build the class, run ``autograder grade`` once per isolation level,
and record everything the assertions need (grades, reaper report, hashes, listener, markers, processes).

One batch per level holds the honest submission (the whole reference solution, ``adv00-honest``) and every attack
of :mod:`.attacks` that runs at that level. Everything lives in a fresh ``/tmp/adversarial-XXXX`` folder (the
*token*: it appears in the grader's command line, which is how attacks find the grader): a world-readable copy of the
course (like a checkout), the class, the output folder, a private home (0700, like ``/root``) holding the download
cache and the record key, and marker paths. The run's grader is started through ``_reaper.py``, a child subreaper,
so that no process the batch starts can get away unseen.

Settings (environment): ``ADVERSARIAL_BUDGET_S`` (``--budget``, default 150: the honest submission's calls take
about 45 s on two idle cores, and 115 s on a heavily loaded machine; the looping and sleeping attacks cost exactly
this), ``ADVERSARIAL_TIMEOUT_S`` (the whole batch, default 1500), ``ADVERSARIAL_PEAK_MB`` (the grader's peak
resident memory, default 1536), ``ADVERSARIAL_KEEP=1`` (keep the run's folder for a post-mortem).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import secrets
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest

from .attacks import ATTACKS, GRADED_TASKS, MODULES, ROOT, Attack, honest_sources, source

DATA = Path(os.environ.get("AUTOGRADER_DATA") or ROOT.parent / "shared" / "data").resolve()
BUDGET_S = float(os.environ.get("ADVERSARIAL_BUDGET_S", "150"))
TIMEOUT_S = float(os.environ.get("ADVERSARIAL_TIMEOUT_S", "1500"))
PEAK_MB = float(os.environ.get("ADVERSARIAL_PEAK_MB", "1536"))
JOBS = 2
HONEST = "adv00-honest"
LEVELS = ("bwrap", "user")
SECRET_VAR = "ADV_GRADER_SECRET"
REAPER = Path(__file__).with_name("_reaper.py")


# -- which levels this machine can run ----------------------------------------------------------------------------

def level_problem(level: str) -> str | None:
    """Why ``level`` cannot be tested here (the reason the cases skip), or ``None``."""
    if not (DATA / "MNIST" / "raw").is_dir():
        return f"no offline data folder at {DATA} (set AUTOGRADER_DATA)"
    if level == "bwrap":
        binary = shutil.which("bwrap")
        if binary is None:
            return "bubblewrap is not installed (apt-get install bubblewrap); CI installs it"
        probe = subprocess.run([binary, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "--proc", "/proc",
                                "--dev", "/dev", "--", "/bin/true"], capture_output=True, text=True, timeout=60)
        if probe.returncode != 0:
            return f"bubblewrap cannot create namespaces here: {probe.stderr.strip()[:300]}"
        return None
    if os.geteuid() != 0:
        return "the user level needs the grader to run as root (CI runs as root)"
    try:
        probe = subprocess.run([sys.executable, "-s", "-P", "-c", "import numpy, torch"], capture_output=True,
                               text=True, timeout=120, cwd="/", env={"PATH": "/usr/bin:/bin"}, user=65534, group=65534,
                               extra_groups=[])
    except (OSError, subprocess.SubprocessError) as exc:
        return f"an unprivileged user cannot start {sys.executable} (CI provides an interpreter it can run): {exc}"
    if probe.returncode != 0:
        return (f"an unprivileged user cannot run {sys.executable} with numpy and torch (CI provides such an "
                f"interpreter): {probe.stderr.strip().splitlines()[-1:]}")
    return None


# -- hashing --------------------------------------------------------------------------------------------------------

def digest_tree(path: Path) -> dict[str, str]:
    """sha256 of every regular file at or below ``path`` (skipping __pycache__); {} if absent."""
    found: dict[str, str] = {}
    if path.is_file():
        return {str(path): hashlib.sha256(path.read_bytes()).hexdigest()}
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            file = Path(root, name)
            try:
                found[str(file)] = hashlib.sha256(file.read_bytes()).hexdigest()
            except OSError as exc:
                found[str(file)] = f"unreadable: {exc}"
    return found


def changes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """``+path`` (new), ``-path`` (gone), ``~path`` (changed)."""
    return ([f"+{p}" for p in sorted(after.keys() - before.keys())]
            + [f"-{p}" for p in sorted(before.keys() - after.keys())]
            + [f"~{p}" for p in sorted(before.keys() & after.keys()) if before[p] != after[p]])


# -- a TCP listener attacks try to reach ----------------------------------------------------------------------------

class Listener:
    """Accepts connections on 127.0.0.1 in a thread and records every one (peer, first bytes)."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(16)
        self._socket.settimeout(0.2)
        self.port = self._socket.getsockname()[1]
        self.received: list[tuple[str, bytes]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="adversarial-listener", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                connection, peer = self._socket.accept()
            except OSError:
                continue
            with connection:
                connection.settimeout(2)
                try:
                    data = connection.recv(4096)
                except OSError:
                    data = b""
            self.received.append((f"{peer[0]}:{peer[1]}", data))

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._socket.close()


# -- one run's folder -----------------------------------------------------------------------------------------------

def package_file(package: str, *parts: str) -> Path:
    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.origin is not None, f"{package} is not installed"
    return Path(spec.origin).parent.joinpath(*parts)


def package_data_files() -> list[Path]:
    """The course data inside installed packages that attacks read or write (hashed, and restored if changed)."""
    return sorted([*package_file("palmerpenguins", "data").glob("*.csv"),
                   *package_file("sklearn", "datasets", "images").glob("*.jpg")])


@dataclass
class Run:
    """The folders, paths and secrets of one batch (see the module docstring)."""

    level: str
    base: Path
    attacks: list[Attack]
    secret: str = field(default_factory=lambda: secrets.token_hex(16))
    tag: str = field(default_factory=lambda: secrets.token_hex(6))
    listener: Listener = field(default_factory=Listener)

    @property
    def course(self) -> Path:
        return self.base / "course"

    @property
    def classdir(self) -> Path:
        return self.base / "class"

    @property
    def out(self) -> Path:
        return self.base / "out"

    @property
    def home(self) -> Path:
        return self.base / "home"

    @property
    def cache(self) -> Path:
        return self.home / "cache"

    def ids(self) -> dict[str, str]:
        """attack name -> submission id (the honest one is adv00; slow attacks first, as declared)."""
        ordered = sorted(self.attacks, key=lambda a: not a.slow)
        return {a.name: f"adv{n:02d}-{a.name}" for n, a in enumerate(ordered, start=1)}

    def paths(self) -> dict[str, str]:
        """Host paths that attacks aim at and that must not exist afterwards (``Attack.markers``)."""
        return {
            "pickle_marker": str(self.base / "markers" / "pickle-ran"),
            "zip_marker": str(self.base / "markers" / "zip-slip.py"),
            "zip_marker_abs": str(self.base / "markers" / "zip-slip-absolute.py"),
            "tmp_fill": f"/tmp/adv-fill-{self.tag}.bin",
            "out_marker": str(self.out / f"ADV-FORGED-{self.tag}.txt"),
            "gradescope_results": "/autograder/results/results.json",
        }

    def adv(self, sid: str) -> dict[str, object]:
        """The ``ADV`` dict the attack code of submission ``sid`` sees."""
        return {
            "token": str(self.base), "course": str(self.course), "repo": str(ROOT), "data": str(DATA),
            "out": str(self.out), "home": str(self.home), "cache": str(self.cache),
            "self_id": sid, "honest_id": HONEST, "secret": self.secret, "secret_var": SECRET_VAR,
            "port": self.listener.port, "net_marker": f"ADV-NET-{self.tag}",
            "scratch_marker": f"ADV-SCRATCH-{self.tag}.txt", "daemon_marker": f"ADV-DAEMON-{self.tag}",
            "penguins_csv": str(package_file("palmerpenguins", "data", "penguins.csv")),
            "china_jpg": str(package_file("sklearn", "datasets", "images", "china.jpg")),
            **self.paths(),
        }

    def watched(self) -> dict[str, list[Path]]:
        """What no attack may change: name -> files or folders hashed before and after."""
        return {
            "course copy": [self.course],
            "this checkout": [ROOT / "solutions", ROOT / "assignments", ROOT / "course.yml", ROOT / "autograder"],
            "data folder": [DATA],
            "download cache": [self.cache, self.home / ".cache"],
            "package data": package_data_files(),
            "class folder": [self.classdir],
        }

    def digest(self) -> dict[str, dict[str, str]]:
        return {name: {k: v for p in paths for k, v in digest_tree(p).items()}
                for name, paths in self.watched().items()}

    # -- building ------------------------------------------------------------------------------------------------

    def build(self) -> None:
        self.base.chmod(0o755)
        for part in ("course.yml", "solutions", "assignments"):
            source_path = ROOT / part
            if source_path.is_dir():
                shutil.copytree(source_path, self.course / part, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                self.course.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source_path, self.course / part)
        for folder in (self.base, self.course, *[p for p in self.course.rglob("*") if p.is_dir()]):
            folder.chmod(0o755)
        (self.base / "markers").mkdir(mode=0o777)
        (self.base / "markers").chmod(0o777)  # an unpickling judge or an escaped worker could create files here
        self.home.mkdir(mode=0o700)
        labels = DATA / "MNIST" / "raw" / "t10k-labels-idx1-ubyte.gz"
        for cache in (self.cache, self.home / ".cache" / "autograder"):
            (cache / "MNIST" / "raw").mkdir(parents=True)
            shutil.copy(labels, cache / "MNIST" / "raw" / labels.name)
        self.classdir.mkdir(mode=0o755)
        self._write(HONEST, honest_sources())
        for attack in self.attacks:
            sid = self.ids()[attack.name]
            sources = {m: source(attack, m, self.adv(sid)) for m in MODULES}
            if attack.zip_slip:
                self._zip_slip(sid, sources)
            else:
                self._write(sid, sources)

    def _write(self, sid: str, sources: dict[str, str]) -> None:
        folder = self.classdir / sid
        folder.mkdir(mode=0o755)
        for module, text in sources.items():
            (folder / f"{module}.py").write_text(text)

    def _zip_slip(self, sid: str, sources: dict[str, str]) -> None:
        up = "../" * 24
        paths = self.paths()
        with zipfile.ZipFile(self.classdir / f"{sid}.zip", "w") as archive:
            for module, text in sources.items():
                archive.writestr(f"{sid}/{module}.py", text)
            archive.writestr(up + paths["zip_marker"].lstrip("/"), "# written by a zip-slip entry\n")
            archive.writestr(paths["zip_marker_abs"], "# written by an absolute zip entry\n")
            honest = self.classdir / HONEST / "penguins.py"
            archive.writestr(up + str(honest).lstrip("/"), "raise SystemExit('overwritten by a zip-slip entry')\n")
            link = zipfile.ZipInfo(f"{sid}/trees_link.py")
            link.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(link, str(ROOT / "solutions" / "hw2" / "trees.py"))

    # -- running -------------------------------------------------------------------------------------------------

    def grader_argv(self) -> list[str]:
        argv = [sys.executable, "-m", "autograder.cli", "--course", str(self.course / "course.yml"), "grade",
                str(self.classdir), "--assignment", "hw2", "--profile", "smoke", "--out", str(self.out),
                "-j", str(JOBS), "--tasks", ",".join(GRADED_TASKS), "--budget", f"{BUDGET_S:g}",
                "--isolation", self.level]
        return argv + (["--require-sandbox"] if self.level == "bwrap" else [])

    def grader_env(self) -> dict[str, str]:
        # MPLCONFIGDIR: the judge draws report.html's figures with matplotlib, which keeps its font cache there
        # (by default under $HOME/.cache, which this suite watches for writes by attacks); the grader's own cache
        # is not an attack's doing, so it goes to a folder of its own.
        return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "HOME": str(self.home),
                "COLUMNS": "250", "AUTOGRADER_DATA": str(DATA), "AUTOGRADER_CACHE": str(self.cache),
                "MPLCONFIGDIR": str(self.base / "matplotlib"), SECRET_VAR: self.secret}

    def grade(self, label: str) -> tuple[dict, str]:
        """Run the grader once through the reaper; its report and its console output."""
        ids = self.ids()
        config = {
            "argv": self.grader_argv(), "env": self.grader_env(), "cwd": str(self.base),
            "log": str(self.base / f"{label}.log"), "report": str(self.base / f"{label}.report.json"),
            "timeout_s": TIMEOUT_S, "grace_s": 3, "out": str(self.out),
            "markers": [f"ADV-DAEMON-{self.tag}"],
            "done_files": {sid: str(self.out / sid / "grading.json") for sid in [HONEST, *ids.values()]},
        }
        config_path = self.base / f"{label}.config.json"
        config_path.write_text(json.dumps(config))
        config_path.chmod(0o600)
        env = {**os.environ, "ADV_REAPER_CONFIG": str(config_path)}
        subprocess.run([sys.executable, str(REAPER)], env=env, cwd=str(ROOT), timeout=TIMEOUT_S + 120, check=False)
        report = json.loads((self.base / f"{label}.report.json").read_text())
        return report, (self.base / f"{label}.log").read_text(errors="replace")


@dataclass
class Batch:
    """What one batch produced, for the assertions."""

    run: Run
    report: dict
    log: str
    before: dict[str, dict[str, str]]
    after: dict[str, dict[str, str]]
    rows: dict[str, dict[str, str]]
    records: dict[str, dict]
    received: list[tuple[str, bytes]]
    existing: dict[str, bool]          # marker key -> it existed before the batch
    leftovers: list[str]               # processes of this run still alive after the reaper
    seconds: float

    @property
    def ids(self) -> dict[str, str]:
        return self.run.ids()

    def context(self) -> str:
        """The end of the grader's console output (for failure messages)."""
        return self.log[-4000:]


def live_processes(run: Run) -> list[str]:
    """Processes of this run still alive: workers of its class, its daemon, anything naming its folder."""
    found = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        line = " ".join(process.info["cmdline"] or [])
        if process.info["pid"] == os.getpid():
            continue
        if ("worker.py" in line and "grade-adv" in line) or run.tag in line or str(run.base) in line:
            found.append(f"{process.info['pid']}: {line[:300]}")
    found += [f"{child.pid} (a descendant of the test): {' '.join(child.cmdline())[:300]}"
              for child in psutil.Process().children(recursive=True) if child.is_running()]
    return found


def run_batch(run: Run) -> Batch:
    run.build()
    backup = {path: path.read_bytes() for path in package_data_files()}
    existing = {key: Path(path).exists() for key, path in run.paths().items()}
    before = run.digest()
    started = time.monotonic()
    try:
        report, log = run.grade("batch")
    finally:
        after = run.digest()
        for path, data in backup.items():  # a hole must not break the interpreter for everyone else
            if path.read_bytes() != data:
                path.write_bytes(data)
    seconds = time.monotonic() - started
    time.sleep(0.5)
    rows, records = {}, {}
    grades = run.out / "grades.csv"
    if grades.exists():
        import csv

        rows = {row["id"]: row for row in csv.DictReader(grades.read_text().splitlines())}
    for folder in run.out.iterdir() if run.out.exists() else []:
        if (folder / "grading.json").is_file():
            try:
                records[folder.name] = json.loads((folder / "grading.json").read_text())
            except ValueError:
                records[folder.name] = {"unreadable": True}
    return Batch(run, report, log, before, after, rows, records, list(run.listener.received), existing,
                 live_processes(run), seconds)


class Batches:
    """Runs each level's batch on first use and cleans up after the module."""

    def __init__(self) -> None:
        self._done: dict[str, Batch] = {}
        self._problems: dict[str, str | None] = {}
        self._runs: list[Run] = []

    def attacks(self, level: str) -> list[Attack]:
        return [a for a in ATTACKS if level == "bwrap" or a.user]

    def get(self, level: str) -> Batch:
        if level not in self._problems:
            self._problems[level] = level_problem(level)
        if self._problems[level]:
            pytest.skip(f"{level} level not testable here: {self._problems[level]}")
        if level not in self._done:
            run = Run(level, Path(tempfile.mkdtemp(prefix="adversarial-", dir="/tmp")), self.attacks(level))
            self._runs.append(run)
            self._done[level] = run_batch(run)
        return self._done[level]

    def cleanup(self) -> None:
        """Remove what a hole may have left on the host (files only ever created by an attack), then the run."""
        for run in self._runs:
            run.listener.close()
            batch = self._done.get(run.level)
            for key in ("tmp_fill", "gradescope_results"):
                path = Path(run.paths()[key])
                if batch is not None and not batch.existing[key] and path.is_file():
                    path.unlink()
            if os.environ.get("ADVERSARIAL_KEEP") != "1":
                shutil.rmtree(run.base, ignore_errors=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run this suite level by level (all bwrap cases, then all user cases), so that ``-x`` stops within a level
    and each batch's cases come together; other items keep their places."""
    here = Path(__file__).parent
    slots = [i for i, item in enumerate(items) if Path(str(item.path)).parent == here]

    def level(item: pytest.Item) -> int:
        params = getattr(getattr(item, "callspec", None), "params", {})
        return LEVELS.index(params.get("level", "bwrap"))

    for slot, item in zip(slots, sorted((items[i] for i in slots), key=level), strict=True):
        items[slot] = item


@pytest.fixture(scope="session")
def batches() -> Iterator[Batches]:
    runner = Batches()
    yield runner
    runner.cleanup()
