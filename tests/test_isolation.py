"""The isolation levels, one worker at a time: what student code can reach under each, and what it leaves.

The adversarial suite (tests/adversarial/) attacks whole gradings; these tests pin down the sandbox itself. The
bubblewrap tests need bubblewrap (CI installs it); the user-level tests need root and an interpreter that an
unprivileged user can run (CI builds its virtual environment from Debian's Python for that).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from conftest import bwrap_missing, user_level_problem

from autograder.data.registry import hidden_paths
from autograder.sandbox import (
    IsolationError,
    LimitExceeded,
    Limits,
    StudentError,
    WorkerCrashed,
    WorkerSession,
    choose_isolation,
)
from autograder.sandbox.confine.cgroup import Cgroup
from autograder.sandbox.confine.unconfined import NoIsolation

REPO = Path(__file__).resolve().parents[1]

PROBE = '''
import os, resource, signal, socket, time

def read(path):
    try:
        with open(path, "rb") as f:
            return len(f.read())
    except OSError as exc:
        return type(exc).__name__

def write(path):
    try:
        with open(path, "a") as f:
            f.write("# changed by student code\\n")
        return "written"
    except OSError as exc:
        return type(exc).__name__

def connect(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return "connected"
    except OSError as exc:
        return type(exc).__name__

def facts():
    return {"uid": os.getuid(), "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
            "core": resource.getrlimit(resource.RLIMIT_CORE)[0],
            "nofile": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
            "root": sorted(os.listdir("/"))}

def kill_everything():  # every process it can see (/proc lists processes; its own threads' ids are not tried)
    for pid in [int(p) for p in os.listdir("/proc") if p.isdigit()] + list(range(1, 64)):
        if pid != os.getpid() and not os.path.exists(f"/proc/self/task/{pid}"):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    return "still here"

def daemon():
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(300)
            os._exit(0)
        os._exit(0)
    time.sleep(0.5)
    return "spawned"

def fork_bomb():
    children = 0
    try:
        while True:
            if os.fork() == 0:
                time.sleep(60)
                os._exit(0)
            children += 1
    except OSError as exc:
        return f"stopped after {children} children: {exc}"

def fill_disk(megabytes):
    with open("filler.bin", "wb") as f:
        for _ in range(megabytes):
            f.write(b"x" * (1 << 20))
    time.sleep(2)
    return "filled"

def fill_quietly(megabytes):
    # two files, each under RLIMIT_FSIZE, returning at once: only the after-reply disk walk can catch it
    for name in ("a.bin", "b.bin"):
        with open(name, "wb") as f:
            f.write(b"x" * (megabytes << 19))
    return "filled"
'''


@pytest.fixture(scope="module")
def submission(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("submission")
    (folder / "probe.py").write_text(PROBE)
    return folder


def leftovers(scratch: Path) -> list[int]:
    """Processes still running whose command line mentions ``scratch``."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        if any(str(scratch) in part for part in process.info["cmdline"] or ()):
            found.append(process.pid)
    return found


@pytest.fixture()
def listener() -> Iterator[tuple[int, list[str]]]:
    """A TCP listener on 127.0.0.1 that records every connection it accepts."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    accepted: list[str] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, address = server.accept()
            except OSError:
                continue
            accepted.append(str(address))
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join()
    server.close()


def test_unknown_or_unavailable_levels_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(IsolationError, match="unknown isolation level"):
        choose_isolation("docker")
    monkeypatch.setattr("autograder.sandbox.confine.choose.shutil.which", lambda name: None)
    with pytest.raises(IsolationError, match="bubblewrap is not installed"):
        choose_isolation("bwrap")
    if os.geteuid() == 0:  # never unconfined as root: asked for, or as the last resort of auto
        with pytest.raises(IsolationError, match="as root"):
            choose_isolation("none")
        monkeypatch.setattr("autograder.sandbox.confine.choose.can_run_interpreter", lambda user: "cannot run it")
        with pytest.raises(IsolationError, match="runs as root.*bubblewrap is not installed.*cannot run it"):
            choose_isolation("auto")
    else:
        assert choose_isolation("none").name == "none"
    assert "NO ISOLATION" in NoIsolation().describe()


@pytest.mark.skipif(os.geteuid() != 0 or user_level_problem() is None,
                    reason="only where the worker user cannot run this interpreter (CI's second run)")
def test_an_interpreter_the_worker_user_cannot_run_is_refused_by_name_not_worked_around() -> None:
    with pytest.raises(IsolationError, match="user level needs an interpreter and packages every user can read"):
        choose_isolation("user")
    if bwrap_missing() is None:  # bwrap, started by root, makes the binds: the worker's uid need not reach them
        isolation = choose_isolation("auto")
        assert isolation.name == "bwrap" and isolation.host_uid() != 0 and isolation.drop_to() is not None


@pytest.mark.skipif(bwrap_missing() is not None, reason=f"bubblewrap unusable: {bwrap_missing()}")
def test_bwrap_worker_imports_matplotlib_without_noise_in_the_students_output(tmp_path: Path, scratch: Path) -> None:
    """Starter code imports matplotlib to plot; in the sandbox that must not print fontconfig errors into the
    output shown to the student."""
    folder = tmp_path / "plotting"
    folder.mkdir()
    (folder / "plots.py").write_text("from matplotlib.figure import Figure\n\ndef ok():\n    return 1\n")
    isolation = choose_isolation("bwrap", hidden=hidden_paths())
    with WorkerSession(folder, ["plots"], scratch=scratch, isolation=isolation, preload=()) as worker:
        reply = worker.call("plots.ok", timeout=120)
    assert reply.value == 1
    assert "Fontconfig" not in reply.output, reply.output


@pytest.mark.skipif(bwrap_missing() is not None, reason=f"bubblewrap unusable: {bwrap_missing()}")
def test_bwrap_worker_sees_only_its_scratch_folder(submission: Path, scratch: Path,
                                                   listener: tuple[int, list[str]]) -> None:
    port, accepted = listener
    isolation = choose_isolation("bwrap", hidden=hidden_paths())
    data = os.environ.get("AUTOGRADER_DATA")
    with WorkerSession(submission, ["probe"], scratch=scratch, isolation=isolation) as worker:
        facts = worker.call("probe.facts", timeout=60).value
        inside = isolation.host_uid() if isolation.drop_to() is not None else 65534  # see bwrap.py: root or not
        assert facts["uid"] == inside != 0 and facts["core"] == 0 and facts["nofile"] <= Limits().max_open_files
        assert len(facts["pids"]) <= 4, facts["pids"]  # its own PID namespace: bwrap's init, the worker, /proc
        for secret in (REPO / "course.yml", REPO / "solutions" / "hw2" / "trees.py", Path.home() / ".bashrc",
                       *([Path(data).resolve() / "SHA256SUMS"] if data else [])):
            assert worker.call("probe.read", str(secret), timeout=10).value == "FileNotFoundError", secret
        for hidden in hidden_paths():
            target = next(iter(sorted(hidden.rglob("*.*"))), None) if hidden.is_dir() else hidden
            if target is not None:
                assert worker.call("probe.read", str(target), timeout=10).value in (0, "FileNotFoundError"), target
        venv_file = Path(os.__file__)
        assert worker.call("probe.write", str(venv_file), timeout=10).value in ("OSError", "PermissionError")
        assert worker.call("probe.write", "mine.txt", timeout=10).value == "written"
        assert worker.call("probe.connect", port, timeout=10).value != "connected"
        assert worker.call("probe.kill_everything", timeout=10).value == "still here"
        assert worker.call("probe.daemon", timeout=10).value == "spawned"
    time.sleep(0.5)
    assert accepted == []
    assert leftovers(scratch) == []
    assert "changed by student code" not in venv_file.read_text()


@pytest.mark.skipif(bwrap_missing() is not None, reason=f"bubblewrap unusable: {bwrap_missing()}")
def test_bwrap_fork_bomb_is_stopped_and_leaves_nothing(submission: Path, scratch: Path) -> None:
    isolation = choose_isolation("bwrap")
    with WorkerSession(submission, ["probe"], scratch=scratch, isolation=isolation,
                       limits=Limits(memory_mb=1024, max_processes=32)) as worker:
        try:
            outcome = worker.call("probe.fork_bomb", timeout=60).value
            assert outcome.startswith("stopped after")  # RLIMIT_NPROC or the pids cgroup said no
        except LimitExceeded as exc:
            assert exc.kind in ("processes", "memory")
        assert worker.call("probe.facts", timeout=60).value["uid"] not in (0, None)  # a fresh worker serves the next
    time.sleep(0.5)
    assert leftovers(scratch) == []


def test_disk_filler_is_killed(submission: Path, scratch: Path) -> None:
    with WorkerSession(submission, ["probe"], scratch=scratch, limits=Limits(disk_mb=16)) as worker:
        with pytest.raises((LimitExceeded, StudentError, WorkerCrashed)) as caught:
            worker.call("probe.fill_disk", 64, timeout=60)
        if isinstance(caught.value, LimitExceeded):
            assert caught.value.kind == "disk"
        else:  # RLIMIT_FSIZE stopped the write first (SIGXFSZ or EFBIG)
            assert "File too large" in str(caught.value) or "SIGXFSZ" in str(caught.value)


def test_disk_filled_by_a_quick_call_fails_that_call_not_the_next(submission: Path, scratch: Path) -> None:
    with WorkerSession(submission, ["probe"], scratch=scratch, limits=Limits(disk_mb=16)) as worker:
        with pytest.raises(LimitExceeded) as caught:
            worker.call("probe.fill_quietly", 24, timeout=60)
        assert caught.value.kind == "disk"
        # the disk was reset with the worker: the next call starts from the submission again
        assert worker.call("probe.facts", timeout=60).value["uid"] >= 0


@pytest.mark.skipif(user_level_problem() is not None, reason=f"user level unavailable: {user_level_problem()}")
def test_user_level_runs_unprivileged_and_kills_strays(submission: Path, scratch: Path) -> None:
    isolation = choose_isolation("user")
    assert isolation.name == "user"
    target = scratch / "grader-owned.txt"
    target.write_text("grader\n")
    with WorkerSession(submission, ["probe"], scratch=scratch / "worker", isolation=isolation) as worker:
        facts = worker.call("probe.facts", timeout=60).value
        assert facts["uid"] not in (0, os.getuid())
        assert worker.call("probe.write", str(target), timeout=10).value == "PermissionError"
        assert worker.call("probe.kill_everything", timeout=10).value == "still here"
        assert worker.call("probe.daemon", timeout=10).value == "spawned"
    time.sleep(0.5)
    assert leftovers(scratch) == []
    assert target.read_text() == "grader\n"


def test_cgroup_where_delegated_caps_processes_and_kills_them_all() -> None:
    cgroup = Cgroup.create(pids_max=8, memory_bytes=2048 * 1024 * 1024)
    if cgroup is None:
        pytest.skip("this machine delegates no cgroup")
    import subprocess
    import sys

    try:  # a parent that forks sleeping children until fork fails, prints how many, and leaves them running
        script = ("import os, sys, time\nn = 0\ntry:\n    while True:\n        if os.fork() == 0:\n"
                  "            os.close(1); os.close(2); time.sleep(120); os._exit(0)\n        n += 1\n"
                  "except OSError:\n    print(n)\n")
        done = subprocess.run([sys.executable, "-c", script], preexec_fn=cgroup.join_function(),
                              capture_output=True, text=True, timeout=60)
        assert int(done.stdout.strip()) < 8  # pids.max held, even for root
        children = cgroup.pids()
        assert children  # the sleeping children are still in it
    finally:
        cgroup.remove()
    assert not any(folder.exists() for folder in cgroup.folders)
    assert not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE for pid in children)


@pytest.mark.skipif(user_level_problem() is not None, reason=f"user level unavailable: {user_level_problem()}")
def test_user_level_gives_side_by_side_workers_their_own_uid_and_cleans_tmp(submission: Path, scratch: Path) -> None:
    isolation = choose_isolation("user")
    with WorkerSession(submission, ["probe"], scratch=scratch / "a", isolation=isolation) as first, \
            WorkerSession(submission, ["probe"], scratch=scratch / "b", isolation=isolation) as second:
        uid_a = first.call("probe.facts", timeout=60).value["uid"]
        uid_b = second.call("probe.facts", timeout=60).value["uid"]
        assert uid_a != uid_b and 0 not in (uid_a, uid_b)
        # the second cannot touch the first's working folder, nor leave a file in the shared /tmp behind it
        assert second.call("probe.write", str(first.work_dir / "probe.py"), timeout=10).value == "PermissionError"
        assert second.call("probe.write", f"/tmp/left-behind-{uid_b}", timeout=10).value == "written"
        assert Path(f"/tmp/left-behind-{uid_b}").exists()
    assert not Path(f"/tmp/left-behind-{uid_b}").exists()
    with WorkerSession(submission, ["probe"], scratch=scratch / "c", isolation=isolation) as third:
        assert third.call("probe.facts", timeout=60).value["uid"] == uid_a  # uids are given back and reused
