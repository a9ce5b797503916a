"""Every verb of the ``autograder`` command is a module of ``autograder.commands`` with the same three names."""

from __future__ import annotations

import argparse
import importlib
import inspect
from pathlib import Path

import pytest

from autograder import cli
from autograder.commands import VERBS

COURSE = Path(__file__).resolve().parents[1] / "course.yml"


@pytest.mark.parametrize("name", VERBS)
def test_each_verb_has_help_arguments_and_run(name: str) -> None:
    verb = importlib.import_module(f"autograder.commands.{name}")
    assert isinstance(verb.HELP, str) and verb.HELP
    assert list(inspect.signature(verb.add_arguments).parameters) == ["parser"]
    assert list(inspect.signature(verb.run).parameters) == ["args"]
    assert inspect.signature(verb.run).return_annotation in (int, "int")


def test_the_parser_offers_exactly_the_verbs_and_runs_the_one_chosen() -> None:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert tuple(sub.choices) == VERBS
    args = parser.parse_args(["diff", "a", "b"])
    assert args.verb is importlib.import_module("autograder.commands.diff")


def test_an_unknown_assignment_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--course", str(COURSE), "notebook", "no-such-assignment", "--check"]) == 2
    assert "no-such-assignment" in capsys.readouterr().err
