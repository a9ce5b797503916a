"""What a worker can never do at any isolation level, and what the judge never does with what a worker made.

The worker side: no uid 0 outside the sandbox and no capability, ``no_new_privs``, no write to the kernel's state in
``/proc`` (probed with a no-op write of the current value), no file lease, no user namespace, a read-only ``/dev``,
and memory and disk counted where they live (memory files, ``/dev/shm``, unlinked files). The judge side: files are
copied out once without following links or blocking, model files are inspected before they are loaded, reply lines
are measured before they are decoded, texts are capped, and each wait has a limit. The whole-grading attacks are
in ``tests/adversarial/``.
"""

from __future__ import annotations

import fcntl
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import bwrap_missing, user_level_problem

from autograder.data.registry import hidden_paths
from autograder.sandbox import IsolationError, LimitExceeded, Limits, WorkerSession, choose_isolation
from autograder.sandbox.confine.scratch import disk_cap_bytes
from autograder.sandbox.confine.unconfined import NoIsolation

needs_bwrap = pytest.mark.skipif(bwrap_missing() is not None, reason=f"bubblewrap unusable: {bwrap_missing()}")

PROBE = '''
import ctypes, errno, fcntl, mmap, os

SYSCTLS = ["kernel/core_pattern", "fs/lease-break-time", "kernel/pid_max", "vm/overcommit_memory",
           "kernel/randomize_va_space"]

def facts():
    status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
    return {"uid": os.getuid(), "caps": [status[k].strip() for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")],
            "no_new_privs": status["NoNewPrivs"].strip(), "seccomp": status["Seccomp"].strip()}

def proc_writes():
    """Each kernel setting written with its current value (a no-op where it succeeds): what was accepted."""
    accepted = []
    for name in SYSCTLS:
        path = "/proc/sys/" + name
        try:
            value = open(path).read()
            with open(path, "w") as f:
                f.write(value)
            accepted.append(name)
        except OSError:
            pass
    return accepted

def write(path):
    try:
        with open(path, "w") as f:
            f.write("x")
        return "written"
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc.errno))

def lease(path):
    with open(path, "w") as f:
        f.write("mine")
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_RDLCK)
        return "taken"
    except OSError as exc:
        return errno.errorcode[exc.errno]
    finally:
        os.close(fd)

def user_namespace():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(0x10000000) == 0:
        return "made"
    return errno.errorcode[ctypes.get_errno()]

HELD = []

def hold_memory_file(count, megabytes):  # each under RLIMIT_FSIZE
    for _ in range(count):
        fd = os.memfd_create("hoard")
        for _ in range(megabytes):
            os.write(fd, b"x" * (1 << 20))
        HELD.append(fd)
    import time; time.sleep(3)
    return "held"

def hold_shm(count, megabytes):
    for n in range(count):
        with open(f"/dev/shm/hoard-{os.getpid()}-{n}", "wb") as f:
            for _ in range(megabytes):
                f.write(b"x" * (1 << 20))
    import time; time.sleep(3)
    return "held"

def capacity():
    info = os.statvfs(".")
    return info.f_blocks * info.f_frsize

def hold_unnamed(count, megabytes):
    for _ in range(count):
        fd = os.open(".", os.O_TMPFILE | os.O_WRONLY, 0o600)
        for _ in range(megabytes):
            os.write(fd, b"x" * (1 << 20))
        HELD.append(fd)
    import time; time.sleep(3)
    return "held"
'''


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hardening")
    (folder / "probe.py").write_text(PROBE)
    folder.chmod(0o755)
    return folder


def levels() -> list[object]:
    found: list[object] = [pytest.param("bwrap", marks=needs_bwrap)]
    found.append(pytest.param("user", marks=pytest.mark.skipif(user_level_problem() is not None,
                                                                reason=f"user level: {user_level_problem()}")))
    return found


# -- never root, never a capability ---------------------------------------------------------------------------------

@pytest.mark.parametrize("level", levels())
def test_student_code_runs_unprivileged_outside_with_no_capability(probe: Path, scratch: Path, level: str) -> None:
    isolation = choose_isolation(level, hidden=hidden_paths())
    with WorkerSession(probe, ["probe"], scratch=scratch / "a", isolation=isolation, preload=()) as first, \
            WorkerSession(probe, ["probe"], scratch=scratch / "b", isolation=isolation, preload=()) as second:
        mine = first.call("probe.facts", timeout=60).value
        theirs = second.call("probe.facts", timeout=60).value
        outside = (first.isolation.host_uid(), second.isolation.host_uid())
    assert 0 not in outside
    if os.geteuid() == 0:  # side by side, each its own uid (an ordinary grader has only its own to give)
        assert outside[0] != outside[1]
    if level == "user" or isolation.drop_to() is not None:  # no user namespace: the same uid inside and out
        assert (mine["uid"], theirs["uid"]) == outside
    for facts in (mine, theirs):
        assert facts["caps"] == ["0000000000000000"] * 5 or level == "bwrap" and isolation.user_namespace
        assert facts["no_new_privs"] == "1" and facts["seccomp"] == "2"


@dataclass(frozen=True)
class _Claims(NoIsolation):
    """No isolation at all, claiming to be a confining level whose worker runs as ``uid`` outside."""

    name: str = "user"
    uid: int = 12345

    def host_uid(self) -> int:
        return self.uid


@pytest.mark.parametrize("claimed", [12345, 0])
def test_a_worker_that_runs_as_another_uid_than_chosen_or_as_root_is_refused(probe: Path, scratch: Path,
                                                                               claimed: int) -> None:
    if claimed == 0 and os.geteuid() != 0:
        pytest.skip("a worker runs as root only where the grader does")
    with WorkerSession(probe, ["probe"], scratch=scratch, isolation=_Claims(uid=claimed), preload=()) as worker:
        with pytest.raises(IsolationError, match=f"runs student code as uid {os.geteuid()} outside"):
            worker.call("probe.facts", timeout=60)


@dataclass(frozen=True)
class _SwitchesToRoot(NoIsolation):
    """A level that would have the worker switch to uid 0."""

    name: str = "user"

    def drop_to(self) -> tuple[int, int] | None:
        return 0, 0


def test_a_worker_told_to_switch_to_root_refuses_before_any_student_code(probe: Path, scratch: Path) -> None:
    with WorkerSession(probe, ["probe"], scratch=scratch, isolation=_SwitchesToRoot(), preload=()) as worker:
        with pytest.raises(IsolationError, match="refused to run student code.*refusing to run student code as uid 0"):
            worker.call("probe.facts", timeout=60)


@needs_bwrap
def test_the_probe_of_a_sandbox_started_by_root_runs_the_workers_own_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root starts bwrap without a user namespace")
    from autograder.sandbox.confine import bwrap

    monkeypatch.setattr(bwrap, "_ROOT_KEEPS", ("CAP_SETUID", "CAP_SETGID"))  # without CAP_SETPCAP: a bounding set
    assert "could not drop privileges" in (bwrap.bwrap_problem() or "")


@needs_bwrap
def test_the_isolation_line_says_which_uid_student_code_has_outside() -> None:
    isolation = choose_isolation("bwrap")
    assert f"as uid {isolation.host_uid()} " in isolation.describe()


@pytest.mark.parametrize("level", levels())
def test_no_write_to_the_kernels_state_succeeds(probe: Path, scratch: Path, level: str) -> None:
    isolation = choose_isolation(level, hidden=hidden_paths())
    with WorkerSession(probe, ["probe"], scratch=scratch, isolation=isolation, preload=()) as worker:
        assert worker.call("probe.proc_writes", timeout=60).value == []
        if level == "bwrap":  # the sandbox's /dev is read-only but for /dev/shm; the device files still work
            assert worker.call("probe.write", "/dev/planted", timeout=10).value == "EROFS"
            assert worker.call("probe.write", "/dev/null", timeout=10).value == "written"
            assert worker.call("probe.write", "/dev/shm/mine", timeout=10).value == "written"


@pytest.mark.parametrize("level", [*levels(), "none"])
def test_no_file_lease_and_no_user_namespace(probe: Path, scratch: Path, level: str) -> None:
    isolation = NoIsolation() if level == "none" else choose_isolation(level, hidden=hidden_paths())
    with WorkerSession(probe, ["probe"], scratch=scratch, isolation=isolation, preload=()) as worker:
        assert worker.call("probe.lease", "leased.txt", timeout=60).value == "EPERM"
        assert worker.call("probe.user_namespace", timeout=10).value == "EPERM"


# -- memory and disk, counted where they live -----------------------------------------------------------------------

@pytest.mark.parametrize(("function", "args", "kind"), [
    ("hold_memory_file", (12, 12), "memory"),
    ("hold_shm", (12, 12), "memory"),
    ("hold_unnamed", (3, 12), "disk"),
])
@pytest.mark.parametrize("level", [*levels(), "none"])
def test_memory_and_disk_out_of_sight_still_count(probe: Path, scratch: Path, level: str, function: str,
                                                  args: tuple[int, ...], kind: str) -> None:
    if function == "hold_shm" and level == "none":
        pytest.skip("without a sandbox, /dev/shm is the machine's and its files are nobody's in particular")
    isolation = NoIsolation() if level == "none" else choose_isolation(level, hidden=hidden_paths())
    limits = Limits(memory_mb=64, disk_mb=16)
    with WorkerSession(probe, ["probe"], scratch=scratch, isolation=isolation, limits=limits, preload=()) as worker:
        with pytest.raises(LimitExceeded) as caught:
            worker.call(f"probe.{function}", *args, timeout=60)
        assert caught.value.kind == kind, caught.value


@pytest.mark.parametrize("level", levels())
def test_the_writable_folders_are_a_file_system_of_their_own_size(probe: Path, scratch: Path, level: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root mounts the size-capped tmpfs (elsewhere the watchdog's count is the bound)")
    isolation = choose_isolation(level, hidden=hidden_paths())
    limits = Limits(disk_mb=32)
    with WorkerSession(probe, ["probe"], scratch=scratch, isolation=isolation, limits=limits, preload=()) as worker:
        assert worker.call("probe.capacity", timeout=60).value == disk_cap_bytes(limits)
        mounted = worker.work_dir.parent
        assert any(line.split()[1] == str(mounted) for line in Path("/proc/self/mounts").read_text().splitlines())
    assert not any(line.split()[1] == str(mounted) for line in Path("/proc/self/mounts").read_text().splitlines())


# -- the judge reads its own copies ---------------------------------------------------------------------------------

def test_copy_out_never_blocks_on_a_fifo_or_a_lease(scratch: Path) -> None:
    from autograder.sandbox.copy_out import copy_out

    work, judge = scratch / "work", scratch / "judge"
    work.mkdir()
    os.mkfifo(work / "model.pt")
    started = time.monotonic()
    with pytest.raises(ValueError, match="not a regular file"):
        copy_out(work, "model.pt", judge, 1 << 20)
    (work / "params.npz").write_bytes(b"x" * 100)
    fd = os.open(work / "params.npz", os.O_RDONLY)
    old = signal.signal(signal.SIGIO, signal.SIG_IGN)  # the lease break notice
    try:
        fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_WRLCK)  # this test process is not filtered: it may hold one
        with pytest.raises(ValueError, match="lease"):
            copy_out(work, "params.npz", judge, 1 << 20)
    finally:
        fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_UNLCK)
        os.close(fd)
        signal.signal(signal.SIGIO, old)
    assert time.monotonic() - started < 5
    (work / "sub").mkdir()
    (work / "sub" / "real.txt").write_text("x")
    os.symlink(work / "sub", work / "link")
    with pytest.raises(ValueError, match="symlink"):
        copy_out(work, "link/real.txt", judge, 1 << 20)
    assert copy_out(work, "sub/real.txt", judge, 1 << 20).read_text() == "x"
