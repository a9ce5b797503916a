"""The grading engine end to end on a tiny course: whatever student code does, the judge decides.

Each submission below misbehaves in one way; grading must give every check a result, fail only the
checks the misbehaviour touches, keep going with a fresh worker, and ignore anything the student
code writes or prints that looks like a result.
"""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "tests" / "engine_course" / "course.yml"

GOOD = "def add(a, b):\n    return a + b\n\n\ndef slow():\n    return 'done'\n"
SUBMISSIONS = {
    "good": GOOD,
    "hangs": GOOD.replace("return 'done'", "while True:\n        pass"),
    "exits": GOOD.replace("return a + b", "import sys\n    sys.exit(3)"),
    "os_exit": GOOD.replace("return 'done'", "import os\n    os._exit(9)"),
    "huge_output": GOOD.replace("return a + b", "print('spam ' * 200_000)\n    return a + b"),
    "syntax_error": "def add(a, b)\n    return a + b\n",
    "raises": GOOD.replace("return a + b", "raise ValueError('no adding today')"),
    # Student code that tries to grade itself: writes result files everywhere it can and prints a fake
    # Gradescope result. None of it may count: results come only from the judge.
    "forger": GOOD.replace("return a + b", """import json, os
    fake = json.dumps({"score": 100, "tests": [{"name": "calc: add", "score": 2, "max_score": 2, "status": "passed"}]})
    for where in ("results.json", "../results.json", "../../results.json", os.path.expanduser("~/results.json")):
        try:
            open(where, "w").write(fake)
        except OSError:
            pass
    print(fake)
    return -1"""),
    # Over the engine course's module_kb (64 KiB): refused before any of it runs.
    "bloated": GOOD + "# padding\n" * 8_000,
    # A literal over literal_kb (8 KiB): flagged for a person to look at, and still graded.
    "embedded": GOOD + "\nANSWER_KEY = " + repr("5," * 5_000) + "\n",
}


@pytest.fixture(scope="module", autouse=True)
def record_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every grader run here signs its records with a test key (not the user's ~/.config/autograder/record.key)."""
    key = tmp_path_factory.mktemp("key") / "record.key"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AUTOGRADER_KEY_FILE", str(key))
        yield key


def autograder(*args: str, timeout: float = 300, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder.cli", "--course", str(COURSE), *args],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT, **kwargs)


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    subs = tmp_path_factory.mktemp("class")
    for name, source in SUBMISSIONS.items():
        (subs / name).mkdir()
        (subs / name / "calc.py").write_text(source)
    (subs / "empty").mkdir()
    (subs / "broken.zip").write_bytes(b"this is not a zip")
    out = tmp_path_factory.mktemp("out")
    proc = autograder("grade", str(subs), "--assignment", "demo", "--out", str(out), "-j", "2")
    assert proc.returncode == 0, proc.stderr
    return out


def results(out: Path, sid: str) -> dict[str, dict]:
    data = json.loads((out / sid / "results.json").read_text())
    return ({test["name"].split(":")[0] + "." + test["name"].split(": ", 1)[1]: test for test in data["tests"]}
            | {"_": data})


def statuses(out: Path, sid: str) -> dict[str, str]:
    record = json.loads((out / sid / "grading.json").read_text())
    return {c["id"]: c["status"] for c in record["checks"]}


def test_good_submission_gets_full_marks(graded: Path) -> None:
    data = json.loads((graded / "good" / "results.json").read_text())
    assert data["score"] == 4 and isinstance(data["execution_time"], (int, float))
    assert [t["status"] for t in data["tests"]] == ["passed"] * 3
    for test in data["tests"]:
        assert set(test) >= {"name", "number", "score", "max_score", "status", "output", "visibility"}


def test_timeout_fails_only_that_check(graded: Path) -> None:
    assert statuses(graded, "hangs") == {"calc.add": "passed", "calc.hang": "timeout", "calc.after": "passed"}
    record = json.loads((graded / "hangs" / "grading.json").read_text())
    assert "timed out after 2 s" in record["checks"][1]["message"]


def test_sys_exit_is_a_student_error(graded: Path) -> None:
    s = statuses(graded, "exits")
    assert s["calc.add"] == "error" and s["calc.hang"] == "passed"
    message = json.loads((graded / "exits" / "grading.json").read_text())["checks"][0]["message"]
    assert "SystemExit" in message


def test_os_exit_crash_fails_only_that_check(graded: Path) -> None:
    assert statuses(graded, "os_exit") == {"calc.add": "passed", "calc.hang": "crashed", "calc.after": "passed"}


def test_huge_output_is_capped(graded: Path) -> None:
    record = json.loads((graded / "huge_output" / "grading.json").read_text())
    assert all(len(c["output"]) <= 4 * 1024 + 200 for c in record["checks"])
    # printing is not a crash: the calls that printed 1 MB still pass, their output cut in the middle, with a marker
    assert [c["status"] for c in record["checks"]] == ["passed"] * 3
    for printed in (record["checks"][0], record["checks"][2]):
        head, cut, tail = re.split(r"\n(\[\.\.\. \d+ bytes cut \.\.\.\])\n", printed["output"])
        assert head.startswith("spam spam") and tail.endswith("spam ") and len(head) > 1000 and len(tail) > 1000


def test_syntax_error_and_raise_are_student_errors(graded: Path) -> None:
    assert set(statuses(graded, "syntax_error").values()) == {"error"}
    message = json.loads((graded / "syntax_error" / "grading.json").read_text())["checks"][0]["message"]
    assert "SyntaxError" in message
    assert statuses(graded, "raises")["calc.add"] == "error"
    assert "no adding today" in json.loads((graded / "raises" / "grading.json").read_text())["checks"][0]["message"]


def test_forged_results_are_ignored(graded: Path) -> None:
    data = json.loads((graded / "forger" / "results.json").read_text())
    assert data["score"] == 1  # only "hang" passes: add returned -1, the written and printed fakes count for nothing
    assert data["tests"][0]["status"] == "failed"
    assert '"score": 100' in data["tests"][0]["output"]  # shown as the student's output, never parsed
    assert not (graded / "results.json").exists()


def test_oversized_module_is_not_graded(graded: Path) -> None:
    record = json.loads((graded / "bloated" / "grading.json").read_text())
    assert {(c["status"], c["cause"]) for c in record["checks"]} == {("error", "refused_module")}
    assert all(c["message"] == "calc.py is 78 KiB, over the 64 KiB limit for a module" for c in record["checks"])
    assert record["flags"] == ["calc.py is 78 KiB, over the 64 KiB limit for a module: not graded"]
    assert record["device"] == "", "no worker is started for a submission with nothing to grade"


def test_large_literal_is_flagged_and_still_graded(graded: Path) -> None:
    flag = "calc.py line 8: a 9.8 KiB string literal (embedded data? a person should look)"
    record = json.loads((graded / "embedded" / "grading.json").read_text())
    assert record["flags"] == [flag]
    assert json.loads((graded / "embedded" / "results.json").read_text())["score"] == 4
    assert flag in (graded / "embedded" / "feedback.md").read_text()
    rows = {row["id"]: row for row in csv.DictReader((graded / "grades.csv").open())}
    assert rows["embedded"]["flags"] == flag and rows["embedded"]["total"] == "4"
    assert rows["bloated"]["flags"].endswith("not graded") and rows["bloated"]["total"] == "0"


def test_bad_submissions_do_not_stop_the_batch(graded: Path) -> None:
    rows = {row["id"]: row for row in csv.DictReader((graded / "grades.csv").open())}
    assert set(rows) == set(SUBMISSIONS) | {"empty", "broken"}
    assert (rows["empty"]["status"], rows["empty"]["cause"]) == ("invalid", "missing_module")
    assert (rows["broken"]["status"], rows["broken"]["cause"]) == ("invalid", "bad_submission")
    assert rows["good"]["total"] == "4" and rows["good"]["calc"] == "4" and rows["good"]["cause"] == ""
    assert list(rows["good"]) == ["id", "calc", "total", "status", "cause", "seconds", "isolation", "sandbox_uid",
                                  "flags"]
    assert rows["good"]["flags"] == ""
    levels = {row["isolation"] for sid, row in rows.items() if row["status"] != "invalid" and sid != "bloated"}
    assert len(levels) == 1 and levels <= {"bwrap", "user", "none"}, "one level, in force for every worker"
    record = json.loads((graded / "good" / "grading.json").read_text())
    assert record["isolation"] == rows["good"]["isolation"]
    assert str(record["sandbox_uid"]) == rows["good"]["sandbox_uid"]
    if levels != {"none"}:  # the uid student code had outside the sandbox: never root
        assert rows["good"]["sandbox_uid"] not in ("", "0")
    assert rows["empty"]["sandbox_uid"] == ""  # nothing ran
    broken = json.loads((graded / "broken" / "results.json").read_text())
    assert broken["score"] == 0 and len(broken["tests"]) == 3 and "cannot read broken.zip" in broken["output"]
    assert not list(graded.rglob("*.tmp")), "no half-written files"
    assert (graded / "good" / "feedback.md").read_text().startswith("# demo: 4 / 4 points")


def test_second_run_skips_unchanged_and_regrade_forces(graded: Path, tmp_path: Path) -> None:
    subs = tmp_path / "again"
    (subs / "good").mkdir(parents=True)
    (subs / "good" / "calc.py").write_text(GOOD)
    before = (graded / "good" / "grading.json").read_text()
    proc = autograder("grade", str(subs), "--assignment", "demo", "--out", str(graded))
    assert proc.returncode == 0 and "unchanged" in proc.stderr
    assert (graded / "good" / "grading.json").read_text() == before
    proc = autograder("grade", str(subs), "--assignment", "demo", "--out", str(graded), "--regrade")
    assert proc.returncode == 0 and "unchanged" not in proc.stderr
    assert (graded / "good" / "grading.json").read_text() != before  # timings differ: it ran again
    (subs / "good" / "calc.py").write_text(GOOD + "\n# changed\n")
    proc = autograder("grade", str(subs), "--assignment", "demo", "--out", str(graded))
    assert proc.returncode == 0 and "unchanged" not in proc.stderr  # a changed module is graded again
    after = json.loads((graded / "good" / "grading.json").read_text())
    assert after["fingerprint"] != json.loads(before)["fingerprint"]


def test_zip_submission_and_exit_codes(tmp_path: Path) -> None:
    import zipfile

    archive = tmp_path / "alice.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("hw/calc.py", GOOD)  # nested folder inside the zip
        zf.writestr("notes.txt", "ignored")
    out = tmp_path / "out"
    proc = autograder("grade", str(archive), "--assignment", "demo", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert json.loads((out / "alice" / "results.json").read_text())["score"] == 4
    assert autograder("grade", str(tmp_path / "missing"), "--assignment", "demo").returncode == 2
    bad = autograder("grade", str(archive), "--assignment", "hw9")
    assert bad.returncode == 2 and "unknown assignment 'hw9'" in bad.stderr


def test_gradescope_entry_point(tmp_path: Path) -> None:
    (tmp_path / "submission").mkdir()
    (tmp_path / "submission" / "calc.py").write_text(GOOD)
    target = tmp_path / "results" / "results.json"
    proc = autograder("gradescope", "--assignment", "demo", "--submission", str(tmp_path / "submission"),
                      "--results", str(target))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(target.read_text())["score"] == 4


def _workers_under(folder: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline", "cwd"]):
        try:
            if "worker.py" in " ".join(proc.info["cmdline"] or []) and str(folder) in (proc.cwd() or ""):
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_leaves_no_orphans_and_no_partial_files(tmp_path: Path, sig: int) -> None:
    subs = tmp_path / "subs"
    (subs / "hangs").mkdir(parents=True)
    (subs / "hangs" / "calc.py").write_text(
        SUBMISSIONS["hangs"].replace("while True", "import time\n    while time.sleep(0.01) is None"))
    out = tmp_path / "out"
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "autograder.cli", "--course", str(COURSE), "grade", str(subs),
                             "--assignment", "demo", "--out", str(out)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not _workers_under(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _workers_under(tmp_path), "the worker never started"
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    time.sleep(0.5)
    assert not _workers_under(tmp_path), "a worker outlived the grader"
    assert not (out / "hangs" / "results.json").exists(), "an interrupted submission must not get a result"
    assert not list(out.rglob("*.tmp"))


def test_gradescope_export_layout(tmp_path: Path) -> None:
    """Gradescope's "export submissions": submission_<n>/ folders beside submission_metadata.yml."""
    export = tmp_path / "assignment_123_export"
    for n, source in ((1001, GOOD), (1002, SUBMISSIONS["raises"])):
        (export / f"submission_{n}").mkdir(parents=True)
        (export / f"submission_{n}" / "calc.py").write_text(source)
    (export / "submission_metadata.yml").write_text("submission_1001:\n  :submitters: []\n")
    out = tmp_path / "out"
    assert autograder("grade", str(export), "--assignment", "demo", "--out", str(out)).returncode == 0
    rows = {row["id"]: row["total"] for row in csv.DictReader((out / "grades.csv").open())}
    assert rows == {"submission_1001": "4", "submission_1002": "1"}  # add raises: only "hang" passes


def test_gpus_pin_workers_through_cuda_visible_devices(tmp_path: Path) -> None:
    """With --gpus the worker sees exactly its GPU; this student's add is only right when it sees GPU 3."""
    sub = tmp_path / "pinned"
    sub.mkdir()
    (sub / "calc.py").write_text(GOOD.replace(
        "return a + b", "import os\n    return a + b + (0 if os.environ.get('CUDA_VISIBLE_DEVICES') == '3' else 100)"))
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if k != "CUDA_VISIBLE_DEVICES"}
    assert autograder("grade", str(sub), "--assignment", "demo", "--out", str(out), "--gpus", "3",
                      env=env).returncode == 0
    assert json.loads((out / "pinned" / "results.json").read_text())["score"] == 4
    assert autograder("grade", str(sub), "--assignment", "demo", "--out", str(out), "--regrade",
                      env=env).returncode == 0
    assert json.loads((out / "pinned" / "results.json").read_text())["score"] == 1  # only "hang" passes


def test_gpu_pool_gives_one_submission_per_gpu() -> None:
    import threading

    from autograder.grading.batch import GpuPool

    pool = GpuPool(["0", "1"], per_gpu=1)
    held: list[str] = []
    with pool.slot() as a, pool.slot() as b:
        held += [a, b]
        got: list[str] = []
        waiter = threading.Thread(target=lambda: got.append(pool.slot().__enter__()))
        waiter.start()
        waiter.join(0.2)
        assert waiter.is_alive(), "a third submission must wait for a free GPU"
    waiter.join(2)
    assert sorted(held) == ["0", "1"] and got and got[0] in ("0", "1")
    with GpuPool([], 1).slot() as none:
        assert none is None


def test_submission_budget_caps_a_submission_that_sleeps_everywhere(tmp_path: Path) -> None:
    """Every function sleeps: the submission takes about the budget (3 s), not the sum of the checks' (12 s)."""
    subs = tmp_path / "subs"
    for name, source in (("sleepy", "import time\n\ndef add(a, b):\n    time.sleep(60)\n\n\ndef slow():\n"
                                    "    time.sleep(60)\n"), ("good", GOOD)):
        (subs / name).mkdir(parents=True)
        (subs / name / "calc.py").write_text(source)
    out = tmp_path / "out"
    proc = autograder("grade", str(subs), "--assignment", "demo", "--out", str(out), "--budget", "3")
    assert proc.returncode == 0, proc.stderr
    record = json.loads((out / "sleepy" / "grading.json").read_text())
    checks = {c["id"]: c for c in record["checks"]}
    assert {c["status"] for c in checks.values()} == {"budget_exhausted"}
    assert checks["calc.add"]["message"].startswith(
        "submission time budget exhausted (3 s): this call was stopped after 3 s")  # clipped from its own 5 s
    assert checks["calc.hang"]["message"] == checks["calc.after"]["message"] == "submission time budget exhausted (3 s)"
    assert 2.9 <= sum(c["seconds"] for c in checks.values()) < 6
    assert "Not run to the end: your submission used up its time budget" in (out / "sleepy" / "feedback.md").read_text()
    rows = {row["id"]: row for row in csv.DictReader((out / "grades.csv").open())}
    assert rows["sleepy"]["status"] == "graded (budget_exhausted)" and rows["sleepy"]["total"] == "0"
    assert rows["good"]["total"] == "4", "a fast submission is untouched by the same budget"


def test_budget_option_is_validated() -> None:
    proc = autograder("grade", "nowhere", "--assignment", "demo", "--budget", "-1")
    assert proc.returncode == 2 and "--budget: must be a positive number of seconds" in proc.stderr


def test_only_verified_records_are_trusted(tmp_path: Path) -> None:
    """A grading.json edited, forged without the key, or moved is never kept nor counted in grades.csv."""
    from autograder.results import sign_record

    subs = tmp_path / "subs"
    for name, source in (("alice", GOOD), ("bob", SUBMISSIONS["raises"]), ("carol", GOOD)):
        (subs / name).mkdir(parents=True)
        (subs / name / "calc.py").write_text(source)
    out = tmp_path / "out"
    assert autograder("grade", str(subs), "--assignment", "demo", "--out", str(out), "-j", "2").returncode == 0

    def edit(sid: str, change) -> None:
        path = out / sid / "grading.json"
        record = json.loads(path.read_text())
        change(record)
        path.write_text(json.dumps(record))

    def full_marks(record: dict) -> None:
        for check in record["checks"]:
            check["score"], check["status"] = check["max_score"], "passed"

    edit("bob", full_marks)  # tampered: the score edited, the old MAC kept
    edit("carol", lambda r: r.update(sign_record({**r, "submission_id": "carol"}, os.urandom(32))))  # another key
    (out / "mallory").mkdir()
    (out / "mallory" / "grading.json").write_text((out / "alice" / "grading.json").read_text())  # moved

    (subs / "carol" / "calc.py").unlink()
    (subs / "carol").rmdir()  # carol is not in the second run: her forged record must not reach grades.csv
    proc = autograder("grade", str(subs), "--assignment", "demo", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "alice: 4/4 [graded] (unchanged, kept)" in proc.stderr
    assert "grading.json of bob failed verification: regrading" in proc.stderr
    assert "grading.json of carol failed verification: left out of grades.csv" in proc.stderr
    assert "grading.json of mallory failed verification: left out of grades.csv" in proc.stderr
    assert "bob: 1/4 [graded] in" in proc.stderr, "bob is graded again, not kept"
    assert json.loads((out / "bob" / "results.json").read_text())["score"] == 1
    rows = {row["id"]: row["total"] for row in csv.DictReader((out / "grades.csv").open())}
    assert rows == {"alice": "4", "bob": "1"}
    third = autograder("grade", str(subs), "--assignment", "demo", "--out", str(out))
    assert "bob: 1/4 [graded] (unchanged, kept)" in third.stderr, "the regraded record is signed again"


def test_gradescope_entry_point_takes_a_budget(tmp_path: Path) -> None:
    (tmp_path / "submission").mkdir()
    (tmp_path / "submission" / "calc.py").write_text(GOOD.replace("return 'done'", "import time\n    time.sleep(60)"))
    target = tmp_path / "results.json"
    proc = autograder("gradescope", "--assignment", "demo", "--submission", str(tmp_path / "submission"),
                      "--results", str(target), "--budget", "1.5")
    assert proc.returncode == 0, proc.stderr
    tests = {t["name"]: t for t in json.loads(target.read_text())["tests"]}
    assert tests["calc: add adds"]["score"] == 2  # fast: passes before the budget runs out
    hang = tests["calc: slow finishes within its budget"]["output"]
    assert "submission time budget exhausted (1.5 s): this call was stopped after" in hang
    after = tests["calc: the worker still answers after whatever happened before"]["output"]
    assert "submission time budget exhausted (1.5 s)" in after and "Not run to the end" in after

