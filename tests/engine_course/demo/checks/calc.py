"""Checks of the engine-test course: they only call the student's functions and judge the answers."""

from autograder.checks import Context, check


@check("calc", "add", "add adds")
def add(ctx: Context) -> None:
    ctx.expect(ctx.call("calc.add", 2, 3) == 5, "add(2, 3) should be 5")


@check("calc", "hang", "slow finishes within its budget")
def hang(ctx: Context) -> None:
    ctx.expect(ctx.call("calc.slow") == "done", "slow() should return 'done'")


@check("calc", "after", "the worker still answers after whatever happened before")
def after(ctx: Context) -> None:
    ctx.expect(ctx.call("calc.add", 1, 1) == 2, "add(1, 1) should be 2")
