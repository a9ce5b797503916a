"""Run the students' public checks (otter-grader test files) against a folder of modules.

The public checks are what students run themselves (``otter check trees.py -q trees``); the
instructor tooling runs them the same way, in a subprocess, in a scratch copy of the modules.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PublicCheckResult:
    question: str
    passed: bool
    output: str


def run_public_check(modules: Path, tests: Path, question: str, *, timeout: float = 300) -> PublicCheckResult:
    """``otter check <question>.py -q <question> -t tests`` on a copy of ``modules``; passed iff all cases pass."""
    with tempfile.TemporaryDirectory(prefix="public-check-") as tmp:
        work = Path(tmp)
        for path in modules.glob("*.py"):
            shutil.copy(path, work / path.name)
        shutil.copytree(tests, work / "tests")
        otter = Path(sys.executable).with_name("otter")
        command = [str(otter) if otter.exists() else "otter", "check", f"{question}.py", "-q", question, "-t", "tests"]
        env = {**os.environ, "MPLBACKEND": "Agg"}
        try:
            proc = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return PublicCheckResult(question, False, f"otter check timed out after {timeout:g} s")
        output = proc.stdout + proc.stderr
        passed = proc.returncode == 0 and "All tests passed!" in output  # otter exits 0 on failures too
        return PublicCheckResult(question, passed, output)
