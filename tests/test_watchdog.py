"""The watchdog's view of a worker's processes: found by walking down the worker's tree, not the whole machine."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from autograder.sandbox import Limits
from autograder.sandbox.confine import watchdog as watchdog_module
from autograder.sandbox.confine.watchdog import Watchdog, descendants

# A parent that starts: a child from its main thread, a child from another thread (listed under that thread's
# /proc/<pid>/task/<tid>/children), and a grandchild that left the process group (setsid). It prints their pids.
_TREE = textwrap.dedent(
    """
    import os, subprocess, sys, threading, time
    sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
    first = subprocess.Popen(sleeper)
    box = []
    thread = threading.Thread(target=lambda: box.append(subprocess.Popen(sleeper)))
    thread.start(); thread.join()
    middle = subprocess.Popen([sys.executable, "-c",
        "import os, subprocess, sys, time; os.setsid();"
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']);"
        "print(p.pid, flush=True); time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    grandchild = int(middle.stdout.readline())
    print(first.pid, box[0].pid, middle.pid, grandchild, flush=True)
    time.sleep(60)
    """
)


@pytest.fixture()
def tree() -> Iterator[tuple[subprocess.Popen[str], set[int]]]:
    """A running process tree (see ``_TREE``) and the pids below its root."""
    root = subprocess.Popen([sys.executable, "-c", _TREE], stdout=subprocess.PIPE, text=True)
    assert root.stdout is not None
    below = {int(pid) for pid in root.stdout.readline().split()}
    try:
        yield root, below
    finally:
        for pid in below:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        root.kill()
        root.wait()


def test_descendants_walks_every_thread_and_level(tree: tuple[subprocess.Popen[str], set[int]]) -> None:
    root, below = tree
    found = descendants(root.pid)
    assert set(found) == below and len(found) == len(below)
    assert os.getpid() not in found and root.pid not in found
    assert descendants(root.pid + 10_000_000) == []  # no such process: nothing, no error


def test_descendants_falls_back_to_scanning_without_children_files(
    tree: tuple[subprocess.Popen[str], set[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, below = tree
    real_exists = os.path.exists
    monkeypatch.setattr(watchdog_module.os.path, "exists",
                        lambda path: False if str(path).endswith("/children") else real_exists(path))
    assert set(descendants(root.pid)) == below


def test_watchdog_kills_the_whole_tree_it_walked(tree: tuple[subprocess.Popen[str], set[int]], tmp_path: Path) -> None:
    root, below = tree
    log = tmp_path / "log"
    log.write_bytes(b"")
    dog = Watchdog(root.pid, log, Limits())
    assert {process.pid for process in dog.processes()} == below | {root.pid}
    dog.kill()
    deadline = time.monotonic() + 10
    while any(psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE for pid in below):
        assert time.monotonic() < deadline, "a process of the tree survived the watchdog's kill"
        time.sleep(0.05)


def test_watchdog_counts_the_walked_processes_against_the_limit(
    tree: tuple[subprocess.Popen[str], set[int]], tmp_path: Path
) -> None:
    root, below = tree
    log = tmp_path / "log"
    log.write_bytes(b"")
    dog = Watchdog(root.pid, log, Limits(max_processes=len(below)))  # the root makes one too many
    dog._check()
    assert dog.violation is not None and dog.violation[0] == "processes"
