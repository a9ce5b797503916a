"""What goes in the Gradescope bundle: the grader, the hidden checks and the reference figures; no solution.

``<assignment>-gradescope.zip`` has, at its root (Gradescope unpacks it into ``/autograder/source``):

* ``setup.sh`` (run once when Gradescope builds the image): Python 3.11+ with venv (installed with apt if
  missing), a virtual environment ``/autograder/venv`` with ``pip install -c constraints.txt ./``, i.e. this
  package at the exact versions CI uses, then the data of every profile downloaded into ``/autograder/cache``;
* ``run_autograder`` (run for every submission): ``autograder gradescope`` on ``/autograder/submission`` with the
  bundled course file, hidden checks and ``reference.json``, student code running as the unprivileged user
  ``student``; it always writes ``results.json`` (score 0 and the error output if the grader itself fails);
* the package source (``autograder/``, ``pyproject.toml``, ``constraints.txt``, ``README.md``), ``course.yml``,
  the hidden checks at their path in ``course.yml`` and ``reference.json`` (sorted keys).
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import Any

from ..config import Course
from .deterministic_zip import Entry
from .errors import ReleaseError
from .sources import package_dir, package_root, source_files

__all__ = ["bundle_entries", "bundle_zip_name", "reference_json", "run_autograder_script", "setup_script"]

_SETUP = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, in /autograder/source, when it builds the autograder image.
# It installs Python >= 3.11 with venv if the image lacks it, creates the virtual environment
# $ROOT/venv, installs the autograder package from this folder with the exact versions of
# constraints.txt (pip install -c constraints.txt ./), then downloads the data of every profile
# into $ROOT/cache so that grading a submission downloads nothing.
set -euo pipefail
cd "$(dirname "$0")"
ROOT="${AUTOGRADER_ROOT:-/autograder}"
VENV="$ROOT/venv"

find_python() {
    for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 \
            && "$candidate" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

if ! PYTHON="$(find_python)"; then
    echo "setup.sh: installing Python 3 with venv and pip"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends python3 python3-venv python3-pip ca-certificates
    if ! PYTHON="$(find_python)"; then  # e.g. Ubuntu 22.04, whose python3 is 3.10
        apt-get install -y --no-install-recommends python3.11 python3.11-venv || true
    fi
    PYTHON="$(find_python)" || {
        echo "setup.sh: error: the autograder needs Python >= 3.11 with venv; choose a newer base image" >&2
        exit 1
    }
fi
echo "setup.sh: using $PYTHON ($("$PYTHON" --version 2>&1))"

# bubblewrap confines student code where the image lets it create namespaces (else the grader falls back to an
# unprivileged user); a missing package is not fatal.
if ! command -v bwrap >/dev/null 2>&1; then
    { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends bubblewrap; } \
        || echo "setup.sh: warning: bubblewrap could not be installed; student code will run as an unprivileged user"
fi

"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --no-cache-dir -c constraints.txt ./
"$VENV/bin/autograder" --help >/dev/null

mkdir -p "$ROOT/cache"
AUTOGRADER_CACHE="$ROOT/cache" "$VENV/bin/autograder" --course course.yml data __ASSIGNMENT__ \
    || echo "setup.sh: warning: some data could not be downloaded now; it will be downloaded while grading"
chmod -R a+rX "$VENV" "$ROOT/cache"
echo "setup.sh: done"
"""

_RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Gradescope runs this for every submission. It grades $ROOT/submission with the hidden checks and the
# reference figures of this bundle and writes $ROOT/results/results.json. It never leaves without a
# results.json: if the grader itself fails, the file gets score 0 and the error output.
#
#   AUTOGRADER_ROOT     the Gradescope folder (default /autograder)
#   AUTOGRADER_PROFILE  the data profile of course.yml (default full)
#   AUTOGRADER_ISOLATION  how student code is confined (default auto: bubblewrap where the image allows it,
#                       else the unprivileged user below, else none); the level used is written in results.json
#   AUTOGRADER_RUN_AS   the unprivileged user of the fallback level (and that bubblewrap is started as, as root);
#                       by default, when run as root, "student" (created if missing); set it empty for none
set -uo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
RESULTS="$ROOT/results/results.json"
PROFILE="${AUTOGRADER_PROFILE:-full}"
ISOLATION="${AUTOGRADER_ISOLATION:-auto}"
ASSIGNMENT="__ASSIGNMENT__"

LOG="$(mktemp "${TMPDIR:-/tmp}/autograder-log.XXXXXX")" || LOG=/dev/null
trap 'if [ "$LOG" != /dev/null ]; then rm -f "$LOG"; fi' EXIT
mkdir -p "$ROOT/results"
rm -f "$RESULTS"

if [ -x "$ROOT/venv/bin/autograder" ]; then PATH="$ROOT/venv/bin:$PATH"; fi
if [ -z "${AUTOGRADER_CACHE:-}" ] && [ -d "$ROOT/cache" ]; then export AUTOGRADER_CACHE="$ROOT/cache"; fi

json_string() {  # stdin -> one JSON string (valid UTF-8, control characters escaped or dropped)
    local text
    if command -v iconv >/dev/null 2>&1; then text="$(iconv -c -f UTF-8 -t UTF-8)"
    else text="$(LC_ALL=C tr -d '\200-\377')"; fi
    printf '%s' "$text" | LC_ALL=C tr -d '\000-\010\013\014\016-\037' | LC_ALL=C tr '\t\r' '  ' \
        | LC_ALL=C sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' \
        | LC_ALL=C awk 'BEGIN { printf "\"" } { if (NR > 1) printf "\\n"; printf "%s", $0 } END { printf "\"" }'
}

write_failure() {  # $1: what went wrong; the tail of the log follows it
    local output
    output="$(printf 'The autograder failed to grade this submission: %s.\n' "$1"
              printf 'This is not your fault; your instructor has been told.\n\n'
              tail -c 60000 "$LOG" 2>/dev/null)"
    printf '{"score": 0, "output": %s, "visibility": "visible", "stdout_visibility": "hidden", "tests": []}\n' \
        "$(printf '%s' "$output" | json_string)" >"$RESULTS.tmp" && mv -f "$RESULTS.tmp" "$RESULTS"
}

RUN_AS=()
if [ -n "${AUTOGRADER_RUN_AS+set}" ]; then
    if [ -n "$AUTOGRADER_RUN_AS" ]; then RUN_AS=(--run-as "$AUTOGRADER_RUN_AS"); fi
elif [ "$(id -u)" -eq 0 ]; then
    if ! id -u student >/dev/null 2>&1; then
        useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin student \
            >>"$LOG" 2>&1 || true
    fi
    if ! id -u student >/dev/null 2>&1; then
        write_failure "the unprivileged user 'student' that runs student code could not be created (useradd)"
        exit 0
    fi
    RUN_AS=(--run-as student)
fi

autograder --course "$SOURCE/course.yml" gradescope --assignment "$ASSIGNMENT" --profile "$PROFILE" \
    --submission "$ROOT/submission" --results "$RESULTS" --references "$SOURCE/reference.json" \
    --isolation "$ISOLATION" ${RUN_AS[@]+"${RUN_AS[@]}"} 2>&1 | tee "$LOG"
status="${PIPESTATUS[0]}"
if [ "$status" -ne 0 ] || [ ! -s "$RESULTS" ]; then
    write_failure "the grader exited with status $status"
fi
[ -s "$RESULTS" ]
"""

_README = """# autograder

The grading package of {course}: student code computes in an isolated worker, the trusted grader judges.
(Generated for the Gradescope bundle: the repository has no README.md.)
"""


def bundle_zip_name(assignment: str) -> str:
    return f"{assignment}-gradescope.zip"


def setup_script(assignment: str) -> str:
    return _SETUP.replace("__ASSIGNMENT__", assignment)


def run_autograder_script(assignment: str) -> str:
    return _RUN_AUTOGRADER.replace("__ASSIGNMENT__", assignment)


def reference_json(references: dict[str, Any]) -> str:
    """``reference.json``: sorted keys, two-space indent, a final newline."""
    return json.dumps(references, sort_keys=True, indent=2, allow_nan=False) + "\n"


def _relative(course: Course, folder: str, what: str) -> PurePosixPath:
    path = PurePosixPath(Path(folder).as_posix())
    if path.is_absolute() or ".." in path.parts:
        raise ReleaseError(f"{what} {folder!r} in course.yml must be a path inside the course folder")
    if not course.path(folder).is_dir():
        raise ReleaseError(f"{what} folder {course.path(folder)} does not exist")
    return path


def bundle_entries(course: Course, assignment: str, references: dict[str, Any]) -> dict[str, Entry]:
    """Every file of the Gradescope bundle, by its name in the archive (at the root)."""
    config = course.assignment(assignment)
    root = package_root()
    files: dict[str, Entry] = {
        "setup.sh": Entry.text(setup_script(assignment), executable=True),
        "run_autograder": Entry.text(run_autograder_script(assignment), executable=True),
        "pyproject.toml": Entry.file(root / "pyproject.toml"),
        "constraints.txt": Entry.file(root / "constraints.txt"),
        "reference.json": Entry.text(reference_json(references)),
    }
    if (root / "README.md").is_file():
        files["README.md"] = Entry.file(root / "README.md")
    else:  # pyproject.toml names it as the readme: pip cannot build the package without it
        files["README.md"] = Entry.text(_README.format(course=course.name))
    course_file = course.root / "course.yml"
    if not course_file.is_file():
        raise ReleaseError(f"{course_file} not found: the bundle needs the course file")
    files["course.yml"] = Entry.file(course_file)

    package = package_dir()
    for path in source_files(package):
        files[f"autograder/{path.relative_to(package).as_posix()}"] = Entry.file(path)

    checks = _relative(course, config.checks, "checks")
    for path in source_files(course.path(config.checks)):
        files[(checks / path.relative_to(course.path(config.checks)).as_posix()).as_posix()] = Entry.file(path)
    return files
