"""The test session never touches the developer's record key, caches or data: tests/conftest.py gives it its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from autograder.data.fetch import cache_dir
from autograder.grading.reference_cache import cache_folder
from autograder.results.integrity import default_key_path, load_record_key


def test_the_key_and_the_caches_are_the_sessions_own(private_environment: Path) -> None:
    assert default_key_path() == private_environment / "record.key"
    assert cache_dir() == private_environment / "cache"
    assert cache_folder().is_relative_to(private_environment / "cache")
    assert not default_key_path().is_relative_to(Path.home()) or Path.home() == private_environment
    load_record_key()  # creates the key where the session says, never in ~/.config
    assert (private_environment / "record.key").is_file()


def test_commands_a_test_runs_inherit_the_private_environment(private_environment: Path) -> None:
    probe = "import os; print(os.environ['AUTOGRADER_KEY_FILE']); print(os.environ['AUTOGRADER_CACHE'])"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert out == [str(private_environment / "record.key"), str(private_environment / "cache")]


def test_the_offline_data_folder_is_absolute() -> None:
    data = os.environ.get("AUTOGRADER_DATA")
    assert data is None or Path(data).is_absolute()
