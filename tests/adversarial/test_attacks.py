"""The adversarial suite: every attack of :mod:`.attacks` graded with the honest submission in one batch per level.

Per batch: the grader exits 0 and says which isolation it used; the honest submission gets full marks; no process
is left; nothing outside the scratch folders changed; the listener on 127.0.0.1 received nothing; the grader's
memory stayed bounded. Per attack: it gains nothing (its ``gains`` checks fail with no points, its host markers do
not exist), the other checks of the submission end as for an honest one (or as its ``expect`` allows), a capped
submission stays within the budget. Under ``bwrap`` a re-run trusts the unchanged records and regrades a forged one.

A failure message starting with ``HOLE`` means an attack worked; ``COLLATERAL`` means an honest check lost its points.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autograder.results import Status, SubmissionStatus

from .attacks import ATTACKS, CHECKS, GRADED_TASKS, Attack
from .conftest import BUDGET_S, HONEST, LEVELS, PEAK_MB, Batches, changes

pytestmark = [pytest.mark.adversarial, pytest.mark.slow]

BUDGET_SLACK_S = 30.0  # worker start-up and the kill at the end, on a loaded machine
OUTPUT_SLACK = 4096    # the cut marker a capped output carries

CASES = [pytest.param(level, attack, id=f"{level}-{attack.name}") for level in LEVELS for attack in ATTACKS
         if level == "bwrap" or attack.user]


def show(check: dict) -> str:
    return (f"{check['id']}: {check['status']} {check['score']:g} pts; {check['message'][:600]!r};"
            f" output {check['output'][-1500:]!r}")


# -- the batch as a whole -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("level", LEVELS)
def test_grader_finishes_and_names_its_isolation(batches: Batches, level: str) -> None:
    batch = batches.get(level)
    report = batch.report
    assert not report["timed_out"], f"the grader was still running after {report['seconds']} s\n{batch.context()}"
    assert report["returncode"] == 0, f"autograder grade exited {report['returncode']}\n{batch.context()}"
    expected = {HONEST, *batch.ids.values()}
    assert set(batch.rows) == expected, f"grades.csv rows: missing {sorted(expected - set(batch.rows))}, " \
                                        f"extra {sorted(set(batch.rows) - expected)}"
    wrong = {sid: row.get("isolation") for sid, row in batch.rows.items()
             if row.get("isolation") != level and row.get("status") != SubmissionStatus.INVALID}
    assert not wrong, f"grades.csv isolation column should say {level!r}: {wrong}"
    wrong = {sid: record.get("isolation") for sid, record in batch.records.items()
             if record.get("isolation") != level and record.get("status") != SubmissionStatus.INVALID}
    assert not wrong, f"grading.json isolation should say {level!r}: {wrong}"
    assert f"isolation {level}:" in batch.log, f"the isolation level in force is not announced:\n{batch.log[:2000]}"


@pytest.mark.parametrize("level", LEVELS)
def test_honest_submission_gets_full_marks(batches: Batches, level: str) -> None:
    batch = batches.get(level)
    record = batch.records.get(HONEST)
    assert record is not None, f"no grading.json for {HONEST}\n{batch.context()}"
    lost = [show(c) for c in record["checks"] if c["status"] != Status.PASSED or c["score"] != c["max_score"]]
    assert not lost, "COLLATERAL: the honest submission lost points:\n" + "\n".join(lost)
    assert {c["id"] for c in record["checks"]} == {f"{t}.{c}" for t in GRADED_TASKS for c in CHECKS[t]}


@pytest.mark.parametrize("level", LEVELS)
def test_no_process_is_left(batches: Batches, level: str) -> None:
    batch = batches.get(level)
    report = batch.report
    assert not report["survivors_at_exit"], f"processes alive when the grader exited: {report['survivors_at_exit']}"
    assert not report["survivors_after_grace"], f"processes alive 3 s later: {report['survivors_after_grace']}"
    assert not batch.leftovers, f"processes of this run still alive after the batch: {batch.leftovers}"


@pytest.mark.parametrize("level", LEVELS)
def test_daemon_dies_with_its_worker(batches: Batches, level: str) -> None:
    batch = batches.get(level)
    sid = batch.ids.get("daemon")
    if sid is None:
        pytest.skip("no daemon attack in this batch")
    done = batch.report["done_at"].get(sid)
    assert done is not None, f"{sid} was never finished"
    sightings = batch.report["sightings"][f"ADV-DAEMON-{batch.run.tag}"]
    outlived = {pid: seen for pid, seen in sightings.items() if seen[1] > done + 2.0}
    assert not outlived, (f"HOLE: the daemon of {sid} outlived its submission (finished at {done} s): "
                          f"pid -> [first, last seen] {outlived}")


@pytest.mark.parametrize("level", LEVELS)
def test_nothing_outside_the_scratch_folders_changed(batches: Batches, level: str) -> None:
    batch = batches.get(level)
    changed = {name: changes(batch.before[name], batch.after[name]) for name in batch.before}
    changed = {name: found for name, found in changed.items() if found}
    assert not changed, f"HOLE: files changed during the batch: {json.dumps(changed, indent=1)[:4000]}"
    rewritten = changes(batch.report["out_at_exit"], batch.report["out_after_grace"])
    assert not rewritten, f"HOLE: the output folder changed after the grader exited: {rewritten}"


@pytest.mark.parametrize("level", LEVELS)
def test_network_listener_received_nothing(batches: Batches, level: str) -> None:
    batch = batches.get(level)
    if level != "bwrap":
        pytest.xfail("the fallback level has no network namespace")
    assert not batch.received, f"HOLE: the listener on 127.0.0.1 was reached: {batch.received}"


@pytest.mark.parametrize("level", LEVELS)
def test_grader_memory_stays_bounded(batches: Batches, level: str) -> None:
    batch = batches.get(level)
    peak = batch.report["peak_rss_mb"]
    assert 0 < peak < PEAK_MB, f"the grader's peak resident memory was {peak:.0f} MiB (bound {PEAK_MB:.0f} MiB)"


@pytest.mark.parametrize("level", LEVELS)
def test_outputs_stay_capped(batches: Batches, level: str) -> None:
    batch = batches.get(level)
    for sid in batch.records:
        for name, bound in (("grading.json", 1 << 20), ("results.json", 1_000_000), ("feedback.html", 2 << 20)):
            size = (batch.run.out / sid / name).stat().st_size
            assert size < bound, f"{sid}/{name} is {size} bytes"


@pytest.mark.parametrize("level", LEVELS)
def test_batch_wall_time_stays_under_the_sum_of_the_budgets(batches: Batches, level: str) -> None:
    batch = batches.get(level)
    budgets = BUDGET_S * len(batch.rows)
    assert batch.seconds < budgets, f"the batch took {batch.seconds:.0f} s, over the {budgets:.0f} s of its budgets"


@pytest.mark.parametrize("level", LEVELS)
def test_no_write_to_proc_sys_succeeds(batches: Batches, level: str) -> None:
    """Every attack module writes the kernel's settings with their current values when it is imported."""
    batch = batches.get(level)
    probes = [line for record in batch.records.values() for check in record.get("checks", [])
              for line in check["output"].splitlines() if line.startswith("ADV: PROC-SYS-ACCEPTED")]
    assert probes, "no attack module reported its probe of /proc/sys"
    accepted = sorted({line for line in probes if not line.endswith("[]")})
    assert not accepted, f"HOLE: the kernel accepted writes to /proc/sys: {accepted}"


@pytest.mark.parametrize("level", LEVELS)
def test_student_code_never_ran_as_root_outside(batches: Batches, level: str) -> None:
    batch = batches.get(level)
    uids = {sid: row["sandbox_uid"] for sid, row in batch.rows.items() if row["status"] != SubmissionStatus.INVALID}
    assert uids and all(uid.isdigit() and uid != "0" for uid in uids.values()), f"sandbox uids: {uids}"
    assert all(str(batch.records[sid]["sandbox_uid"]) == uid for sid, uid in uids.items())
    assert " as uid " in batch.log or level == "user", "the isolation line does not say the uid outside"


# -- one attack at a time -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("level", "attack"), CASES)
def test_attack_gains_nothing(batches: Batches, level: str, attack: Attack, request: pytest.FixtureRequest) -> None:
    batch = batches.get(level)
    if level in attack.gaps:
        request.applymarker(pytest.mark.xfail(reason=attack.gaps[level], strict=False))
    sid = batch.ids[attack.name]
    record = batch.records.get(sid)
    assert record is not None, f"no grading.json for {sid}\n{batch.context()}"
    checks = {c["id"]: c for c in record["checks"]}

    holes = [show(checks[g]) for g in attack.gains
             if g in checks and (checks[g]["status"] == Status.PASSED or checks[g]["score"])]
    assert not holes, f"HOLE: {attack.name} gained points at the {level} level:\n" + "\n".join(holes)
    for key in attack.markers:
        path = Path(str(batch.run.paths()[key]))
        assert batch.existing[key] or not path.exists(), (
            f"HOLE: {attack.name} created {path} on the host ({path.stat().st_size} bytes: {path.read_bytes()[:80]!r})")

    allowed = attack.allowed()
    if record.get("status") == SubmissionStatus.INVALID and attack.zip_slip:
        pass  # refusing the archive outright is a fine answer
    else:
        assert set(checks) == set(allowed), f"{sid}: checks {sorted(checks)}"
        wrong = [f"{show(checks[c])} (allowed: {sorted(statuses)})" for c, statuses in allowed.items()
                 if checks[c]["status"] not in statuses]
        assert not wrong, f"COLLATERAL: {attack.name} at the {level} level ended unexpectedly:\n" + "\n".join(wrong)
    for check in checks.values():
        assert len(check["output"]) <= 64 * 1024 + OUTPUT_SLACK, (
            f"{check['id']}: {len(check['output'])} bytes of output")
    if attack.capped:
        assert record["seconds"] <= BUDGET_S + BUDGET_SLACK_S, (
            f"{attack.name} took {record['seconds']:.0f} s; the submission budget is {BUDGET_S:g} s")


# -- re-running over the output folder (bwrap only: judge-side logic) ---------------------------------------------

def test_rerun_keeps_records_and_regrades_a_forged_one(batches: Batches) -> None:
    batch = batches.get("bwrap")
    assert batch.report["returncode"] == 0, "the batch itself failed; see test_grader_finishes_and_names_its_isolation"
    victim = batch.ids["read-course-yml"]
    path = batch.run.out / victim / "grading.json"
    genuine = json.loads(path.read_text())
    forged = json.loads(path.read_text())
    for check in forged["checks"]:  # what an escaped daemon would write: full marks
        check["status"], check["score"] = Status.PASSED, check["max_score"]
    path.write_text(json.dumps(forged, indent=1))
    others = {sid: (batch.run.out / sid / "grading.json").read_bytes() for sid, record in batch.records.items()
              if sid != victim and record.get("status") != SubmissionStatus.INVALID}  # an unreadable zip: never kept

    report, log = batch.run.grade("rerun")
    assert report["returncode"] == 0, log[-4000:]
    lines = {line.split(":", 1)[0].strip(): line for line in log.splitlines() if line.startswith("adv")}
    assert "kept" not in lines.get(victim, ""), f"the forged record of {victim} was trusted: {lines.get(victim)}"
    regraded = json.loads(path.read_text())
    assert [(c["id"], c["status"]) for c in regraded["checks"]] == [(c["id"], c["status"]) for c in genuine["checks"]]
    kept = [sid for sid in others if "kept" in lines.get(sid, "")]
    assert len(kept) == len(others), f"unchanged records were graded again: {sorted(set(others) - set(kept))}"
    for sid, data in others.items():
        assert (batch.run.out / sid / "grading.json").read_bytes() == data, f"{sid}/grading.json was rewritten"
