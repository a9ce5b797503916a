"""Tests for the sandboxed execution layer: student code computes in a worker process, the grader judges.

Worker start-up imports torch (~2 s on 2 cores), so most tests share one module-scoped session; tests that need
their own limits or check process clean-up start their own. Tests that kill the worker leave the next test to
pay one start-up.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pytest
import torch

from autograder.sandbox import (
    Handle,
    LimitExceeded,
    Limits,
    NotPlainData,
    ProtocolError,
    StudentError,
    WorkerCrashed,
    WorkerSession,
    WorkerTimeout,
)
from autograder.sandbox.confine.scratch import RUNTIME_FILES
from autograder.sandbox.runtime.codec import CodecError, Decoder, Encoder, Exchange
from autograder.sandbox.runtime.output import cap

SANDBOX_DIR = Path(__file__).resolve().parents[1] / "autograder" / "sandbox"

STUDENT_MODULE = '''
import ctypes
import fcntl
import json
import os
import subprocess
import sys

import numpy as np
import torch

BEST_CONFIG = {"hidden_sizes": [64, 32], "lr": 0.001, "activation": "relu"}


def echo(*args, **kwargs):
    return args, kwargs


def identity(x):
    return x


def type_name(x):
    return type(x).__module__ + "." + type(x).__qualname__


def add_total(df):
    df = df.copy()
    df["total"] = df["a"] * 2
    return df


def build_linear(n_in, n_out):
    return torch.nn.Linear(n_in, n_out)


def count_params(model):
    return sum(p.numel() for p in model.parameters())


def save_model(model, path):
    torch.save(model.state_dict(), path)


def not_done():
    raise NotImplementedError("write the loop")


def long_error(n):
    raise ValueError("é" + "x" * n + "end")


def shout(*words):
    print(*words)
    print("to stderr", file=sys.stderr)


def random_draws():
    return torch.rand(3), np.random.rand(3)


def hash_state():
    return sys.flags.hash_randomization, hash("abc")


def pid():
    return os.getpid()


def spin():
    while True:
        pass


def spawn_and_spin():
    child = subprocess.Popen(["sleep", "300"])
    with open("child.pid", "w") as f:
        f.write(str(child.pid))
    while True:
        pass


def call_exit(code):
    sys.exit(code)


def hard_exit(code):
    os._exit(code)


def segfault():
    ctypes.string_at(0)


def flood(megabytes):
    line = "x" * 1023
    for _ in range(megabytes * 1024):
        print(line)
    return "done"


def chatty(lines):
    for i in range(lines):
        print(f"line {i:06d}")
    return lines


def hog(megabytes):
    data = np.ones(megabytes * 1024 * 1024 // 8)
    return float(data.sum())


def initial_environment():
    with open("/proc/self/environ", "rb") as f:
        raw = f.read()
    return sorted(item.split(b"=", 1)[0].decode() for item in raw.split(b"\\0") if item)


def live_environment():
    return sorted(os.environ)


def work_listing():
    return sorted(os.listdir(".")), sys.path[0], os.getcwd()


def can_import(name):
    import importlib.util

    return importlib.util.find_spec(name) is not None


def object_array():
    return np.array([{"a": 1}, {"b": 2}], dtype=object)


def make_symlink():
    os.symlink("/etc/passwd", "link.txt")
    return True


def _reply_fds():
    found = []
    for name in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink("/proc/self/fd/" + name)
            flags = fcntl.fcntl(int(name), fcntl.F_GETFL)
        except OSError:
            continue
        if target.startswith("pipe:") and flags & os.O_ACCMODE == os.O_WRONLY:
            found.append(int(name))
    return found


def forge_other_requests():
    """Write fake successes for every request id a grader might use next."""
    for fd in _reply_fds():
        for request_id in range(200):
            line = json.dumps({"id": request_id, "nonce": None, "ok": True, "value": 42}) + "\\n"
            os.write(fd, line.encode())
    return "real"


def forge_garbage():
    for fd in _reply_fds():
        os.write(fd, b"I am the grader, give me full marks\\n")
    return "real"


def forge_current_request():
    """Dig the current request out of the worker's frames and answer it first."""
    frame = sys._getframe()
    while frame is not None:
        request = frame.f_locals.get("request")
        if isinstance(request, dict) and "nonce" in request:
            line = {"id": request["id"], "nonce": request["nonce"], "ok": True, "value": "forged"}
            for fd in _reply_fds():
                os.write(fd, (json.dumps(line) + "\\n").encode())
            break
        frame = frame.f_back
    return "real"
'''


@pytest.fixture(scope="module")
def submission(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("submission")
    (folder / "mod.py").write_text(STUDENT_MODULE)
    (folder / "broken_import.py").write_text("import does_not_exist_anywhere\n\n\ndef f():\n    return 1\n")
    (folder / "broken_syntax.py").write_text("def f(:\n    return 1\n")
    (folder / "hidden.py").write_text("SOLUTION = 'do not leak'\n")
    return folder


@pytest.fixture(scope="module")
def session(submission: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerSession]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AUTOGRADER_DATA", "/secret/grader/data")  # must not reach the worker
        worker = WorkerSession(
            submission,
            ["mod", "broken_import", "broken_syntax", "absent"],
            scratch=tmp_path_factory.mktemp("scratch"),
        )
    with worker:
        yield worker


@pytest.fixture(scope="module")
def limited(submission: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerSession]:
    limits = Limits(memory_mb=400, output_bytes=4096)
    with WorkerSession(submission, ["mod"], scratch=tmp_path_factory.mktemp("limited"), limits=limits) as worker:
        yield worker


def live_group_members(pgid: int) -> list[int]:
    """Pids of non-zombie processes in process group ``pgid``."""
    members = []
    for process in psutil.process_iter():
        try:
            if os.getpgid(process.pid) == pgid and process.status() != psutil.STATUS_ZOMBIE:
                members.append(process.pid)
        except (ProcessLookupError, psutil.Error):
            continue
    return members


def wait_until_gone(pgid: int, seconds: float = 3.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while (members := live_group_members(pgid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return members


# -- values across the boundary -------------------------------------------------------------------------------------


def test_plain_values_round_trip(session: WorkerSession) -> None:
    value = {
        "none": None,
        "flags": [True, False],
        "big": 2**80,
        "floats": [1.5, float("inf"), -float("inf")],
        "text": "héllo ✓",
        "tuple": (1, (2, "x")),
        3: "int key",
        (1, 2): "tuple key",
        "$t": "looks like a tag",
        "bytes": b"\x00\xff",
        "complex": 1 - 2j,
    }
    result = session.call("mod.identity", value, timeout=10).value
    assert result == value
    assert isinstance(result["tuple"], tuple) and isinstance(result["tuple"][1], tuple)
    nan = session.call("mod.identity", float("nan"), timeout=10).value
    assert isinstance(nan, float) and np.isnan(nan)
    args, kwargs = session.call("mod.echo", 1, "two", three=[3.0], timeout=10).value
    assert args == (1, "two") and kwargs == {"three": [3.0]}


def test_arrays_and_tensors_round_trip(session: WorkerSession) -> None:
    arrays = {
        "f32": np.random.default_rng(0).random((50, 784), dtype=np.float32),
        "i64": np.arange(10).reshape(2, 5),
        "bool": np.array([True, False]),
        "unicode": np.array(["a", "bc"]),
        "fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
    }
    back = session.call("mod.identity", arrays, timeout=10).value
    for key, array in arrays.items():
        assert back[key].dtype == array.dtype, key
        np.testing.assert_array_equal(back[key], array)
    strings = session.call("mod.identity", np.array(["x", "yz"], dtype=object), timeout=10).value
    assert strings.dtype.kind == "U" and strings.tolist() == ["x", "yz"]
    scalars = session.call("mod.identity", [np.float32(1.5), np.int64(7), np.bool_(True)], timeout=10).value
    assert scalars == [1.5, 7, True] and [type(s) for s in scalars] == [float, int, bool]

    tensor = torch.randn(4, 3)
    assert session.call("mod.type_name", tensor, timeout=10).value == "torch.Tensor"
    back_tensor = session.call("mod.identity", tensor, timeout=10).value
    assert isinstance(back_tensor, torch.Tensor) and torch.equal(back_tensor, tensor)
    half = session.call("mod.identity", torch.ones(2, dtype=torch.bfloat16), timeout=10).value
    assert half.dtype == torch.float32 and torch.equal(half, torch.ones(2))
    grad = session.call("mod.identity", torch.ones(2, requires_grad=True), timeout=10).value
    assert not grad.requires_grad


def test_dataframe_and_series_round_trip(session: WorkerSession) -> None:
    frame = pd.DataFrame(
        {
            "a": np.array([1, 2, 3], dtype=np.int32),
            "b": [0.5, np.nan, 2.0],
            "flag": [True, False, True],
            "species": ["Adelie", None, "Gentoo"],
            "island": pd.Categorical(["Biscoe", "Dream", "Biscoe"]),
            "count": pd.array([1, None, 3], dtype="Int64"),
            "when": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"]),
        },
        index=pd.Index(["r1", "r2", "r3"], name="row"),
    )
    back = session.call("mod.identity", frame, timeout=10).value
    pd.testing.assert_frame_equal(back, frame)
    assert session.call("mod.type_name", frame, timeout=10).value == "pandas.DataFrame"

    totals = session.call("mod.add_total", frame, timeout=10).value
    assert list(totals.columns) == [*frame.columns, "total"]
    assert totals["total"].tolist() == [2, 4, 6] and totals["total"].dtype == np.int32

    series = pd.Series([1.0, 2.0], index=[10, 20], name="bill_length_mm")
    pd.testing.assert_series_equal(session.call("mod.identity", series, timeout=10).value, series)


def test_grader_refuses_what_it_cannot_send(session: WorkerSession) -> None:
    with pytest.raises(NotPlainData):
        session.call("mod.identity", object(), timeout=10)
    with pytest.raises(ValueError, match="not one of"):
        session.call("os.system", "true", timeout=10)
    with pytest.raises(ValueError):
        session.call("mod.identity", 1, timeout=0)


# -- handles, attributes, files ------------------------------------------------------------------------------------


def test_handles_call_method_and_files(session: WorkerSession) -> None:
    handle = session.call("mod.build_linear", 784, 10, timeout=30, seed=0).value
    assert isinstance(handle, Handle)
    assert handle.type == "torch.nn.modules.linear.Linear" and "in_features=784" in handle.repr
    logits = session.call_method(handle, "__call__", torch.zeros(8, 784), timeout=10).value
    assert isinstance(logits, torch.Tensor) and logits.shape == (8, 10)
    assert session.call("mod.count_params", handle, timeout=10).value == 784 * 10 + 10
    state = session.call_method(handle, "state_dict", timeout=10).value
    assert set(state) == {"weight", "bias"} and torch.equal(state["bias"], logits[0])

    session.call("mod.save_model", handle, "model.pt", timeout=30)
    saved = torch.load(session.copy_out("model.pt", max_bytes=1 << 20), weights_only=True)
    assert torch.equal(saved["weight"], state["weight"])

    other = session.call("mod.build_linear", 2, 2, timeout=10).value
    session.release(other)
    with pytest.raises(ProtocolError, match="unknown handle"):
        session.call_method(other, "__call__", torch.zeros(1, 2), timeout=10)
    assert session.call("mod.count_params", handle, timeout=10).value == 7850  # same worker, still alive

    session.restart()
    with pytest.raises(ProtocolError, match="restarted"):
        session.call_method(handle, "__call__", torch.zeros(8, 784), timeout=10)
    with pytest.raises(ProtocolError, match="restarted"):
        session.call("mod.count_params", handle, timeout=10)


def test_get_module_constant(session: WorkerSession) -> None:
    reply = session.get("mod.BEST_CONFIG", timeout=30)
    assert reply.value == {"hidden_sizes": [64, 32], "lr": 0.001, "activation": "relu"}
    assert session.device == ("cuda" if torch.cuda.is_available() else "cpu")


def test_copy_out_refuses_escapes_and_copies_into_the_judges_folder(session: WorkerSession) -> None:
    with pytest.raises(ValueError):
        session.copy_out("../x", max_bytes=1 << 20)
    with pytest.raises(ValueError):
        session.copy_out("/etc/passwd", max_bytes=1 << 20)
    with pytest.raises(FileNotFoundError):
        session.copy_out("no_such_file.pt", max_bytes=1 << 20)
    assert session.call("mod.make_symlink", timeout=10).value is True
    with pytest.raises(ValueError, match="symlink"):
        session.copy_out("link.txt", max_bytes=1 << 20)
    original = session.work_dir / "mod.py"
    copy = session.copy_out("mod.py", max_bytes=1 << 20)
    assert copy.read_bytes() == original.read_bytes() and copy.parent != session.work_dir
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600 and stat.S_IMODE(copy.parent.stat().st_mode) == 0o700
    with pytest.raises(ValueError, match="more than"):
        session.copy_out("mod.py", max_bytes=len(original.read_bytes()) - 1)


# -- student failures ----------------------------------------------------------------------------------------------


def test_student_error_carries_message_and_traceback(session: WorkerSession) -> None:
    with pytest.raises(StudentError) as caught:
        session.call("mod.not_done", timeout=10)
    error = caught.value
    assert str(error) == "NotImplementedError: write the loop"
    assert error.type_name == "NotImplementedError"
    assert "mod.py" in error.traceback and 'raise NotImplementedError("write the loop")' in error.traceback
    assert "worker.py" not in error.traceback


def test_long_student_messages_are_capped_in_the_worker(session: WorkerSession) -> None:
    with pytest.raises(StudentError) as caught:
        session.call("mod.long_error", 1_000_000, timeout=10)
    message = str(caught.value)
    assert message.startswith("ValueError: éxxx") and message.endswith("xxend")
    assert re.search(r"\[\.\.\. \d+ bytes cut \.\.\.\]", message)
    assert len(message.encode()) <= 64 * 1024 + 100 and len(caught.value.traceback.encode()) <= 256 * 1024


def test_broken_modules_fail_only_their_calls(session: WorkerSession) -> None:
    with pytest.raises(StudentError) as import_error:
        session.call("broken_import.f", timeout=10)
    assert import_error.value.type_name == "ModuleNotFoundError"
    assert "does_not_exist_anywhere" in str(import_error.value)
    with pytest.raises(StudentError) as syntax_error:
        session.call("broken_syntax.f", timeout=10)
    assert syntax_error.value.type_name == "SyntaxError"
    with pytest.raises(StudentError, match="ModuleNotFoundError"):
        session.call("absent.f", timeout=10)  # listed but not submitted
    assert session.call("mod.identity", 5, timeout=10).value == 5


def test_sys_exit_is_a_student_error(session: WorkerSession) -> None:
    before = session.call("mod.pid", timeout=10).value
    with pytest.raises(StudentError) as caught:
        session.call("mod.call_exit", 3, timeout=10)
    assert str(caught.value) == "SystemExit: student code called sys.exit(3)"
    assert session.call("mod.pid", timeout=10).value == before  # same worker, still usable


def test_os_exit_crashes_worker_and_next_call_restarts(session: WorkerSession) -> None:
    with pytest.raises(WorkerCrashed, match="code 7"):
        session.call("mod.hard_exit", 7, timeout=10)
    assert session.call("mod.identity", "fine", timeout=30).value == "fine"


def test_segfault_is_reported_as_crash(session: WorkerSession) -> None:
    with pytest.raises(WorkerCrashed, match="SIGSEGV") as caught:
        session.call("mod.segfault", timeout=10)
    assert "Segmentation fault" in caught.value.output  # faulthandler's dump is part of the captured output
    assert session.call("mod.identity", "fine", timeout=30).value == "fine"


def test_timeout_kills_process_group_then_recovers(submission: Path, tmp_path: Path) -> None:
    with WorkerSession(submission, ["mod"], scratch=tmp_path) as worker:
        first = worker.call("mod.pid", timeout=30).value
        started = time.monotonic()
        with pytest.raises(WorkerTimeout) as caught:
            worker.call("mod.spawn_and_spin", timeout=1)
        assert str(caught.value) == "timed out after 1 s"
        assert time.monotonic() - started < 5
        child = int((worker.work_dir / "child.pid").read_text())
        assert wait_until_gone(first) == []
        assert not psutil.pid_exists(child) or psutil.Process(child).status() == psutil.STATUS_ZOMBIE

        second = worker.call("mod.pid", timeout=30).value
        assert second != first
        with pytest.raises(WorkerTimeout, match="timed out after 1 s"):
            worker.call("mod.spin", timeout=1)
        third = worker.call("mod.pid", timeout=30).value

        # close() from another thread (cancellation) ends a call in flight at once
        outcome: list[BaseException] = []

        def spin_in_thread() -> None:
            try:
                worker.call("mod.spin", timeout=60)
            except WorkerCrashed as exc:
                outcome.append(exc)

        thread = threading.Thread(target=spin_in_thread)
        thread.start()
        time.sleep(0.5)
        worker.close()
        thread.join(timeout=10)
        assert not thread.is_alive() and len(outcome) == 1 and "SIGKILL" in str(outcome[0])
    assert wait_until_gone(third) == []  # close() killed the last worker
    worker.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        worker.call("mod.pid", timeout=10)


# -- limits ----------------------------------------------------------------------------------------------------------


def test_output_is_capped_and_floods_are_stopped(limited: WorkerSession) -> None:
    reply = limited.call("mod.chatty", 3000, timeout=30)
    assert len(reply.output) <= 4096
    assert reply.output.startswith("line 000000\n") and reply.output.endswith("line 002999\n")
    assert re.search(r"\[\.\.\. \d+ bytes cut \.\.\.\]", reply.output)

    with pytest.raises(LimitExceeded) as caught:
        limited.call("mod.flood", 50, timeout=60)
    assert caught.value.kind == "output"
    assert len(caught.value.output) <= 4096
    assert limited.call("mod.identity", 1, timeout=30).value == 1


def test_memory_hog_is_killed(limited: WorkerSession) -> None:
    with pytest.raises(LimitExceeded) as caught:
        limited.call("mod.hog", 1500, timeout=60)
    assert caught.value.kind == "memory" and "MiB" in caught.value.detail
    assert limited.call("mod.hog", 50, timeout=30).value == 50 * 1024 * 1024 // 8  # small allocations are fine


# -- the grader is not fooled ----------------------------------------------------------------------------------------


def test_forged_replies_are_never_taken_for_other_requests(session: WorkerSession) -> None:
    with pytest.raises(ProtocolError):
        session.call("mod.forge_other_requests", timeout=10)
    assert session.call("mod.identity", 7, timeout=30).value == 7

    with pytest.raises(ProtocolError):
        session.call("mod.forge_garbage", timeout=10)
    assert session.call("mod.identity", 8, timeout=30).value == 8

    # Answering its *own* request is no worse than returning that value; the real reply left on the pipe is
    # detected at the next call, which fails instead of receiving a stale answer.
    assert session.call("mod.forge_current_request", timeout=10).value in ("forged", "real")
    with pytest.raises(ProtocolError):
        session.call("mod.identity", 9, timeout=10)
    assert session.call("mod.identity", 10, timeout=30).value == 10


def test_grader_never_unpickles(session: WorkerSession, tmp_path: Path) -> None:
    handle = session.call("mod.object_array", timeout=10).value
    assert isinstance(handle, Handle) and handle.type == "numpy.ndarray"
    np.save(tmp_path / "evil.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(CodecError):
        Exchange(tmp_path, "g").load("evil.npy")
    for path in SANDBOX_DIR.rglob("*.py"):
        source = path.read_text()
        assert not re.search(r"^\s*(import|from)\s+(c?pickle|dill|cloudpickle)\b", source, re.M), path
        assert "allow_pickle=True" not in source and "torch.load(" not in source, path


def test_environment_is_scrubbed_and_work_dir_holds_only_modules(session: WorkerSession) -> None:
    names = session.call("mod.initial_environment", timeout=30).value
    assert not any(name.startswith("AUTOGRADER") for name in names)
    allowed = {"PATH", "LANG", "LC_ALL", "HOME", "TMPDIR", "MPLBACKEND", "PYTHONHASHSEED", "PYTHONDONTWRITEBYTECODE"}
    allowed |= {"CUBLAS_WORKSPACE_CONFIG", "OMP_NUM_THREADS", "CUDA_VISIBLE_DEVICES", "USER", "LOGNAME"}
    assert set(names) <= allowed
    assert set(session.call("mod.live_environment", timeout=10).value) <= allowed

    listing, first_path, cwd = session.call("mod.work_listing", timeout=10).value
    assert [name for name in listing if name.endswith(".py")] == ["broken_import.py", "broken_syntax.py", "mod.py"]
    assert first_path == cwd == str(session.work_dir)
    assert session.call("mod.can_import", "hidden", timeout=10).value is False


def test_seeding_is_deterministic(session: WorkerSession) -> None:
    torch_a, numpy_a = session.call("mod.random_draws", timeout=10, seed=0).value
    torch_b, numpy_b = session.call("mod.random_draws", timeout=10, seed=0).value
    torch_c, numpy_c = session.call("mod.random_draws", timeout=10, seed=1).value
    assert torch.equal(torch_a, torch_b) and np.array_equal(numpy_a, numpy_b)
    assert not torch.equal(torch_a, torch_c) and not np.array_equal(numpy_a, numpy_c)
    assert session.call("mod.hash_state", timeout=10).value[0] == 0  # PYTHONHASHSEED=0 took effect


def test_kwargs_passes_arguments_named_like_session_options(session: WorkerSession) -> None:
    """A student function's own ``seed``/``timeout`` parameters reach it through ``kwargs=``."""
    reply = session.call("mod.echo", 1, kwargs={"seed": 7, "timeout": 3}, timeout=10, seed=0)
    assert reply.value == ((1,), {"seed": 7, "timeout": 3})
    reply = session.call("mod.echo", kwargs={"kwargs": 1}, other=2, timeout=10)
    assert reply.value == ((), {"kwargs": 1, "other": 2})
    with pytest.raises(TypeError, match="given twice: other"):
        session.call("mod.echo", kwargs={"other": 1}, other=2, timeout=10)


def test_output_is_captured_per_call(session: WorkerSession) -> None:
    first = session.call("mod.shout", "one", timeout=10)
    second = session.call("mod.shout", "two", 2, timeout=10)
    assert first.output == "one\nto stderr\n"
    assert second.output == "two 2\nto stderr\n"
    assert first.value is None and second.seconds >= 0


# -- codec and set-up, no worker needed ------------------------------------------------------------------------------


def test_exchange_rejects_malformed_files(tmp_path: Path) -> None:
    exchange = Exchange(tmp_path, "g", max_file_bytes=10_000)
    good = exchange.save(np.arange(4))
    np.testing.assert_array_equal(exchange.load(good), np.arange(4))
    for name in ("../x.npy", "/etc/passwd", "a/b.npy", ".hidden.npy", "x.npz", 5, None):
        with pytest.raises(CodecError):
            exchange.load(name)
    (tmp_path / "link.npy").symlink_to(tmp_path / good)
    with pytest.raises(CodecError):
        exchange.load("link.npy")
    (tmp_path / "dir.npy").mkdir()
    with pytest.raises(CodecError):
        exchange.load("dir.npy")
    raw = (tmp_path / good).read_bytes()
    (tmp_path / "short.npy").write_bytes(raw.replace(b"(4,)", b"(9,)"))  # header promises more than the file has
    with pytest.raises(CodecError):
        exchange.load("short.npy")
    np.save(tmp_path / "big.npy", np.zeros(5000))
    with pytest.raises(CodecError, match="bytes"):
        exchange.load("big.npy")


def test_decoder_rejects_malformed_messages(tmp_path: Path) -> None:
    decoder = Decoder(Exchange(tmp_path, "g"), on_handle=lambda handle: handle)
    for message in (
        {"$t": "nope"},
        {"$t": "tuple", "items": 3},
        {"$t": "dict", "items": [[1]]},
        {"$t": "handle", "id": "1", "type": "x", "repr": "y"},
        {"$t": "ndarray", "file": "../../etc/passwd"},
        {"$t": "dataframe", "columns": {"kind": "range", "start": 0, "stop": 2, "step": 1}, "index": {}, "data": []},
    ):
        with pytest.raises(CodecError):
            decoder.decode(message)
    encoded = Encoder(Exchange(tmp_path, "g")).encode({"$t": [1, (2,)]})
    assert json.loads(json.dumps(encoded)) == encoded
    assert decoder.decode(encoded) == {"$t": [1, (2,)]}


def test_output_cap_keeps_head_and_tail_whole_characters(tmp_path: Path) -> None:
    assert cap("short é", 100) == "short é"
    text = "é" * 1000 + "middle" + "ü" * 1000  # 2 bytes per character: 4006 bytes
    capped = cap(text, 512)
    assert len(capped.encode()) <= 512 and "\ufffd" not in capped
    head, marker, tail = re.split(r"(\n\[\.\.\. \d+ bytes cut \.\.\.\]\n)", capped)
    assert set(head) == {"é"} and set(tail) == {"ü"}
    assert int(re.search(r"\d+", marker)[0]) == 4006 - len(head.encode()) - len(tail.encode())
    assert cap(text.encode(), 512) == capped
    log = tmp_path / "log"
    log.write_bytes(b"skipped" + text.encode())
    with open(log, "rb") as f:
        f.seek(len(b"skipped"))
        assert cap(f, 512) == capped
        f.seek(len(b"skipped"))
        assert cap(f, 10_000) == text


def test_runtime_files_import_only_each_other() -> None:
    """The worker's runtime folder is all it has of the grader: its files import the standard library, NumPy (and
    lazily pandas and torch) and one another, never the autograder package."""
    import ast
    import sys

    allowed = set(sys.stdlib_module_names) | {"numpy", "pandas", "torch"}
    runtime = {name.removesuffix(".py") for name in RUNTIME_FILES}
    for name in RUNTIME_FILES:
        tree = ast.parse((SANDBOX_DIR / "runtime" / name).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                assert {alias.name.split(".")[0] for alias in node.names} <= allowed, (name, ast.unparse(node))
            elif isinstance(node, ast.ImportFrom) and node.level:
                assert node.level == 1 and node.module in runtime, (name, ast.unparse(node))
            elif isinstance(node, ast.ImportFrom):
                assert node.module.split(".")[0] in allowed, (name, ast.unparse(node))


def test_scratch_holds_only_listed_modules(submission: Path, tmp_path: Path) -> None:
    worker = WorkerSession(submission, ["mod", "absent"], scratch=tmp_path)  # no worker is started
    try:
        assert sorted(os.listdir(worker.work_dir)) == ["mod.py"]
        assert sorted(os.listdir(tmp_path)) == ["empty", "judge", "logs", "runtime", "rw"]
        assert sorted(os.listdir(tmp_path / "rw")) == ["exchange", "home", "tmp", "work"]
    finally:
        worker.close()


def test_run_as_refuses_what_it_cannot_do(submission: Path, tmp_path: Path) -> None:
    try:
        pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no 'nobody' user")
    # Not root: run_as is refused outright. Root: pytest's 0700 tmp folder is unreachable for 'nobody'.
    with pytest.raises(PermissionError):
        WorkerSession(submission, ["mod"], scratch=tmp_path / "scratch", run_as="nobody")
