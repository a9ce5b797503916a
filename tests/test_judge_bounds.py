"""Every wait of the judge has a limit, and nothing a worker sends or saves makes it use unbounded memory.

Model files are inspected from their zip directory and headers before anything is loaded; reply lines are measured
before they are decoded; every text a check stores is capped and ``results.json`` fits its budget; a check whose own
code hangs is abandoned at ``limits.judge_s``; figures that are not drawn in time are left out. The GPU device files
a sandbox gets are those of its one card.
"""

from __future__ import annotations

import io
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from autograder.checks.files import UnsafeFile, read_checkpoint, read_npz
from autograder.plots import Curve, Lines
from autograder.results import CheckResult, SubmissionResult
from autograder.results.figure_process import FigureProcess
from autograder.results.figure_queue import FigureQueue
from autograder.results.gradescope import to_gradescope
from autograder.sandbox.confine.gpu import gpu_mounts
from autograder.sandbox.confine.isolation import IsolationError
from autograder.sandbox.errors import ProtocolError, StudentError
from autograder.sandbox.protocol import check_error, json_shape, parse_reply
from autograder.sandbox.runtime.output import MESSAGE_BYTES, TRACEBACK_BYTES

ROOT = Path(__file__).resolve().parents[1]
GIB = 1 << 30


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- model files ----------------------------------------------------------------------------------------------------

def deflated_member(archive: zipfile.ZipFile, name: str, header: bytes, size: int) -> None:
    """Write ``header`` and then ``size`` zero bytes as a deflated member (a megabyte for a gigabyte)."""
    info = zipfile.ZipInfo(name)
    info.compress_type, info._compresslevel = zipfile.ZIP_DEFLATED, 1  # type: ignore[attr-defined]  # fastest
    with archive.open(info, "w", force_zip64=True) as member:
        member.write(header)
        block = bytes(1 << 24)
        for _ in range(size // len(block)):
            member.write(block)


def npy_header(shape: tuple[int, ...], dtype: str = "<f8") -> bytes:
    out = io.BytesIO()
    np.lib.format.write_array_header_1_0(out, {"descr": dtype, "fortran_order": False, "shape": shape})
    return out.getvalue()


def test_a_good_npz_and_checkpoint_load(tmp_path: Path) -> None:
    np.savez_compressed(tmp_path / "params.npz", W1=np.ones((3, 4)), b1=np.zeros(4))
    loaded = read_npz(tmp_path / "params.npz", 1 << 20)
    assert sorted(loaded) == ["W1", "b1"] and loaded["W1"].shape == (3, 4)
    torch.save({"weight": torch.randn(4, 3), "config": {"hidden": [32]}}, tmp_path / "model.pt")
    checkpoint = read_checkpoint(tmp_path / "model.pt", 1 << 20)
    assert checkpoint["config"] == {"hidden": [32]} and checkpoint["weight"].shape == (4, 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pt", "params.npz"]  # its own copy is gone


def test_a_deflated_gigabyte_npz_member_is_refused_without_being_inflated(tmp_path: Path) -> None:
    path = tmp_path / "params.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        deflated_member(archive, "W1.npy", npy_header((GIB // 8,)), GIB)
    assert path.stat().st_size < 16 << 20
    before = peak_rss_mb()
    with pytest.raises(UnsafeFile, match="unpacks to 1024.0 MiB"):
        read_npz(path, 16 << 20)
    assert peak_rss_mb() - before < 100


def test_an_npy_header_that_claims_more_than_its_member_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "params.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("W1.npy", npy_header((2**40,)) + bytes(64))
    with pytest.raises(UnsafeFile, match="declares"):
        read_npz(path, 16 << 20)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("W1.npy", npy_header((2,), "|O") + bytes(16))
    with pytest.raises(UnsafeFile, match="Python objects"):
        read_npz(path, 16 << 20)
    path.write_bytes(b"not a zip")
    with pytest.raises(UnsafeFile, match="not the zip archive"):
        read_npz(path, 16 << 20)


def test_a_checkpoint_with_deflated_records_is_refused_before_torch_reads_it(tmp_path: Path) -> None:
    torch.save({"weight": torch.zeros(4)}, tmp_path / "honest.pt")
    path = tmp_path / "model.pt"
    with zipfile.ZipFile(tmp_path / "honest.pt") as honest, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in honest.infolist():
            out.writestr(info.filename, honest.read(info))
        deflated_member(out, "honest/data/1", b"", GIB)
    before = peak_rss_mb()
    with pytest.raises(UnsafeFile, match="unpacks to"):
        read_checkpoint(path, 16 << 20)
    assert peak_rss_mb() - before < 100
    (tmp_path / "legacy.pt").write_bytes(b"\x80\x02legacy pickle, not a zip")
    with pytest.raises(UnsafeFile, match="not the zip archive"):
        read_checkpoint(tmp_path / "legacy.pt", 16 << 20)


# -- replies and texts ----------------------------------------------------------------------------------------------

def test_a_reply_of_millions_of_values_is_refused_before_decoding() -> None:
    line = b'{"id": 1, "nonce": "n", "ok": true, "value": [' + b"[]," * 3_000_000 + b"[]]}"
    before = peak_rss_mb()
    with pytest.raises(ProtocolError, match="refused before decoding"):
        parse_reply(line, (1, "n"))
    assert peak_rss_mb() - before < 200
    deep = b'{"id": 1, "nonce": "n", "ok": true, "value": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    with pytest.raises(ProtocolError, match="nested 500"):
        parse_reply(deep, (1, "n"))
    text = json.dumps({"id": 1, "nonce": "n", "ok": True, "value": "[,{" * 1_000_000}).encode()
    assert json_shape(text) == (5, 1)  # brackets and commas inside strings do not count
    assert parse_reply(text, (1, "n"))["value"].startswith("[,{")


def test_student_exception_texts_are_capped_by_the_judge() -> None:
    error = {"kind": "student", "type": "E" * 10_000, "message": "m" * (25 << 20), "traceback": "t" * (25 << 20)}
    with pytest.raises(StudentError) as caught:
        check_error({"ok": False, "error": error})
    assert len(caught.value.message) <= MESSAGE_BYTES and len(caught.value.traceback) <= TRACEBACK_BYTES
    assert "bytes cut" in caught.value.message and len(caught.value.type_name) <= 256


def test_results_json_fits_its_budget_whatever_the_texts() -> None:
    checks = [CheckResult(f"t.c{i}", "t", f"check {i}", 1.0, 0.0, "error", message="m" * 300_000,
                          output="o" * 300_000, notes=["n" * 100_000] * 20) for i in range(40)]
    document = to_gradescope(SubmissionResult("s", "hw", "smoke", checks))
    assert len(json.dumps(document, indent=2)) <= 1_000_000
    assert all("bytes cut" in test["output"] for test in document["tests"])


# -- the judge's own waits ------------------------------------------------------------------------------------------

COURSE = """course: {name: Judge deadline}
assignments:
  demo:
    title: Demo
    starter: demo/starter
    solution: demo/solution
    checks: demo/checks
    modules: [calc]
    default_profile: smoke
    limits: {memory_mb: 1024, output_kb: 4, submission_s: 60, judge_s: 1}
    tasks:
      calc:
        title: Calculator
        module: calc
        checks:
          add:     {points: 2, timeout_s: 5}
          stuck:   {points: 1, timeout_s: 5}
          after:   {points: 1, timeout_s: 5}
    profiles:
      smoke: {seed: 0}
"""
CHECKS = '''import time
from autograder.checks import Context, check


@check("calc", "add", "add adds")
def add(ctx: Context) -> None:
    ctx.expect(ctx.call("calc.add", 2, 3) == 5, "add(2, 3) should be 5")


@check("calc", "stuck", "the judge's own code hangs after a slow call")
def stuck(ctx: Context) -> None:
    ctx.call("calc.slow")  # 2 s in the worker: not the judge's time
    time.sleep(3600)


@check("calc", "after", "the next check runs, in a fresh worker")
def after(ctx: Context) -> None:
    ctx.expect(ctx.call("calc.add", 1, 1) == 2, "add(1, 1) should be 2")
'''


def test_a_check_whose_own_code_hangs_is_abandoned_and_the_next_one_runs(tmp_path: Path) -> None:
    course = tmp_path / "course"
    for folder in ("checks", "solution", "starter"):
        (course / "demo" / folder).mkdir(parents=True)
    (course / "course.yml").write_text(COURSE)
    (course / "demo" / "checks" / "calc.py").write_text(CHECKS)
    solution = "import time\n\ndef add(a, b):\n    return a + b\n\ndef slow():\n    time.sleep(2)\n    return 1\n"
    for folder in ("solution", "starter"):
        (course / "demo" / folder / "calc.py").write_text(solution)
    (tmp_path / "class" / "student").mkdir(parents=True)
    shutil.copy(course / "demo" / "solution" / "calc.py", tmp_path / "class" / "student" / "calc.py")
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "autograder.cli", "--course", str(course / "course.yml"), "grade",
                           str(tmp_path / "class"), "--out", str(tmp_path / "out"), "--quiet",
                           "--isolation", "auto" if os.geteuid() == 0 else "none"],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "AUTOGRADER_KEY_FILE": str(tmp_path / "key")})
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 60
    record = json.loads((tmp_path / "out" / "student" / "grading.json").read_text())
    statuses = {check["id"]: check["status"] for check in record["checks"]}
    assert statuses == {"calc.add": "passed", "calc.stuck": "timeout", "calc.after": "passed"}, record["checks"]
    stuck = next(check for check in record["checks"] if check["id"] == "calc.stuck")
    assert "judge's own work" in stuck["message"] and stuck["seconds"] < 10


def test_figures_not_drawn_in_time_are_left_out_and_the_drawing_process_is_replaced() -> None:
    with FigureProcess() as drawing:
        assert drawing.start()
        figures: list = []
        os.kill(drawing._drawer.process.pid, signal.SIGSTOP)  # a drawing process that hangs
        queue = FigureQueue(drawing)
        queue.draw_into(figures, "t.c", Lines("hung", [Curve("c", [0, 1], [1, 0])]))
        started = time.monotonic()
        queue.finish(timeout=1.0)
        assert time.monotonic() - started < 3 and figures == []
        with FigureQueue(drawing) as again:  # the next submission's figures get a new process
            again.draw_into(figures, "t.c", Lines("drawn", [Curve("c", [0, 1], [1, 0])]))
        assert [figure.title for figure in figures] == ["drawn"]


# -- one card per worker --------------------------------------------------------------------------------------------

def fake_machine(root: Path, cards: list[tuple[str, int, str]]) -> tuple[Path, Path]:
    """A fake ``/dev`` and ``/proc/driver/nvidia/gpus`` tree with ``(bus id, minor, uuid)`` cards."""
    dev, proc = root / "dev", root / "proc"
    dev.mkdir(parents=True)
    for name in ("nvidiactl", "nvidia-uvm", "nvidia-uvm-tools", "nvidia-modeset"):
        (dev / name).touch()
    for bus, minor, uuid in cards:
        (dev / f"nvidia{minor}").touch()
        info = proc / "driver" / "nvidia" / "gpus" / bus
        info.mkdir(parents=True)
        (info / "information").write_text(f"Model: \t\t NVIDIA H100\nIRQ: 1\nGPU UUID: \t {uuid}\n"
                                           f"Bus Location: \t {bus}\nDevice Minor: \t {minor}\n")
    return dev, proc


def test_a_worker_gets_the_device_file_of_its_own_card_only(tmp_path: Path) -> None:
    # minors are not in bus order: CUDA index 1 (PCI order) is the card at 0000:3b, /dev/nvidia0
    dev, proc = fake_machine(tmp_path, [("0000:86:00.0", 1, "GPU-bbbb"), ("0000:3b:00.0", 0, "GPU-aaaa"),
                                        ("0000:1a:00.0", 2, "GPU-cccc")])
    mounts = gpu_mounts("1", dev=dev, proc=proc)
    assert [path.name for path in mounts.devices] == ["nvidia0", "nvidiactl", "nvidia-uvm", "nvidia-uvm-tools",
                                                      "nvidia-modeset"]
    assert dict(mounts.env) == {"CUDA_VISIBLE_DEVICES": "GPU-aaaa", "CUDA_DEVICE_ORDER": "PCI_BUS_ID"}
    assert [p.name for p in gpu_mounts("GPU-cccc", dev=dev, proc=proc).devices][:1] == ["nvidia2"]
    assert [p.name for p in gpu_mounts(None, dev=dev, proc=proc).devices][:1] == ["nvidia2"]  # unpinned: the first
    assert gpu_mounts("", dev=dev, proc=proc).devices == ()
    with pytest.raises(IsolationError, match="3 NVIDIA card"):
        gpu_mounts("3", dev=dev, proc=proc)
    with pytest.raises(IsolationError, match="MIG"):
        gpu_mounts("MIG-1234", dev=dev, proc=proc)
    assert gpu_mounts("0", dev=tmp_path / "none", proc=tmp_path / "none").devices == ()  # no driver: nothing


def test_the_sandbox_binds_the_pinned_card_and_names_it_by_uuid(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from autograder.sandbox.confine import bwrap

    dev, proc = fake_machine(tmp_path, [("0000:3b:00.0", 0, "GPU-aaaa"), ("0000:86:00.0", 1, "GPU-bbbb")])
    monkeypatch.setattr(bwrap, "gpu_mounts", lambda visible: gpu_mounts(visible, dev=dev, proc=proc))
    isolation = bwrap.BwrapIsolation("/usr/bin/bwrap", python=())
    scratch = tmp_path / "scratch"
    argv = isolation.launch(["python", "worker.py"], scratch=scratch, work=scratch / "work", writable=[],
                            env={"CUDA_VISIBLE_DEVICES": "1", "PATH": "/usr/bin"}).argv
    binds = [argv[i + 1] for i, arg in enumerate(argv) if arg == "--dev-bind"]
    assert binds == [str(dev / name) for name in ("nvidia1", "nvidiactl", "nvidia-uvm", "nvidia-uvm-tools",
                                                  "nvidia-modeset")]
    settings = {argv[i + 1]: argv[i + 2] for i, arg in enumerate(argv) if arg == "--setenv"}
    assert settings["CUDA_VISIBLE_DEVICES"] == "GPU-bbbb" and settings["CUDA_DEVICE_ORDER"] == "PCI_BUS_ID"
