"""Run ``autograder grade`` as a child subreaper and report what it left behind.

Started by the suite (``python _reaper.py``) with its settings in a JSON file named by ``$ADV_REAPER_CONFIG`` (so
that nothing identifying the run appears in this process's own command line, which attacks scan):

    {"argv": [...], "env": {...}, "cwd": "...", "log": "...", "report": "...", "timeout_s": 900,
     "grace_s": 3, "out": "...", "markers": ["ADV-DAEMON-..."], "done_files": {"<id>": ".../grading.json"}}

This process marks itself a *child subreaper* (``PR_SET_CHILD_SUBREAPER``): a process that double-forks away from
its worker is re-parented here instead of to init, so every process the batch started, however it detached,
stays findable as a descendant of this one. While the grader runs, every 0.2 s it records the grader's peak
resident memory (``VmHWM``), which processes carry one of ``markers`` in their command line (a daemon the attack
started) and when each ``done_files`` entry appeared (the submission was finished). After the grader exits it
lists the survivors, waits ``grace_s`` (a daemon would rewrite the output folder now), lists them again, hashes
the output folder before and after that wait, then SIGKILLs every survivor and writes the report. Its exit code is
the grader's.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36
POLL_S = 0.2


def tree_digest(folder: Path) -> dict[str, str]:
    """sha256 of every regular file below ``folder`` (relative path -> digest)."""
    found: dict[str, str] = {}
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            path = Path(root, name)
            try:
                found[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError as exc:
                found[str(path.relative_to(folder))] = f"unreadable: {exc}"
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def descendants(root: int) -> list[int]:
    """Every live process below ``root`` (by walking the parent links of all processes)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            parent = parent_of(int(entry))
            if parent is not None:
                parents[int(entry)] = parent
    found, frontier = [], [root]
    while frontier:
        current = frontier.pop()
        children = [pid for pid, parent in parents.items() if parent == current]
        found += children
        frontier += children
    return found


def peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def reap_zombies() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def describe(pids: list[int]) -> list[dict]:
    return [{"pid": pid, "cmdline": cmdline(pid)[:500]} for pid in pids
            if cmdline(pid) or Path(f"/proc/{pid}").exists()]


def main() -> int:
    config = json.loads(Path(os.environ["ADV_REAPER_CONFIG"]).read_text())
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        print("cannot become a child subreaper", file=sys.stderr)
        return 99
    markers: list[str] = config.get("markers", [])  # sightings: marker -> {pid: [first seen, last seen]}
    done_files: dict[str, str] = config.get("done_files", {})
    report: dict = {"argv": config["argv"], "timed_out": False, "peak_rss_mb": 0.0,
                    "sightings": {marker: {} for marker in markers}, "done_at": {}}
    started = time.monotonic()
    with open(config["log"], "wb") as log:
        grader = subprocess.Popen(config["argv"], env=config["env"], cwd=config["cwd"], stdin=subprocess.DEVNULL,
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        while grader.poll() is None:
            now = time.monotonic() - started
            peak = peak_rss_mb(grader.pid)
            if peak is not None:
                report["peak_rss_mb"] = max(report["peak_rss_mb"], peak)
            if markers:
                for entry in os.listdir("/proc"):
                    if entry.isdigit() and int(entry) != os.getpid():
                        line = cmdline(int(entry))
                        for marker in markers:
                            if marker in line:
                                seen = report["sightings"][marker].setdefault(entry, [round(now, 2), 0.0])
                                seen[1] = round(now, 2)
            for sid, path in done_files.items():
                if sid not in report["done_at"] and os.path.exists(path):
                    report["done_at"][sid] = round(now, 2)
            if now > config["timeout_s"]:
                report["timed_out"] = True
                for pid in [grader.pid, *descendants(grader.pid)]:
                    for sig in (signal.SIGCONT, signal.SIGKILL):
                        try:
                            os.kill(pid, sig)
                        except OSError:
                            pass
            time.sleep(POLL_S)
    report["returncode"] = grader.returncode
    report["seconds"] = round(time.monotonic() - started, 2)
    reap_zombies()
    report["survivors_at_exit"] = describe(descendants(os.getpid()))
    report["out_at_exit"] = tree_digest(Path(config["out"]))
    deadline = time.monotonic() + config.get("grace_s", 3)
    while time.monotonic() < deadline:
        reap_zombies()
        time.sleep(POLL_S)
    report["survivors_after_grace"] = describe(descendants(os.getpid()))
    report["out_after_grace"] = tree_digest(Path(config["out"]))
    for _ in range(3):  # clean up: nothing the batch started may outlive the test
        for pid in descendants(os.getpid()):
            for sig in (signal.SIGCONT, signal.SIGKILL):
                try:
                    os.kill(pid, sig)
                except OSError:
                    pass
        time.sleep(0.2)
        reap_zombies()
    Path(config["report"]).write_text(json.dumps(report, indent=1))
    return report["returncode"]


if __name__ == "__main__":
    sys.exit(main())
