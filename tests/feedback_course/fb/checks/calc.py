"""Checks of the feedback-test course: one draws a figure, one is hidden by the course (its inputs are secret)."""

from autograder.checks import Context, Curve, Images, Lines, check

SECRET_INPUTS = (7919, 104729)  # distinctive: must never reach a page the student sees


@check("calc", "add", "add adds, drawn against the right answers")
def add(ctx: Context) -> None:
    xs = list(range(6))
    got = [ctx.call("calc.add", x, x) for x in xs]
    ctx.figure(Lines("add(x, x) against x", [Curve("yours", xs, got), Curve("expected", xs, [2 * x for x in xs],
                                                                             reference=True)], xlabel="x"))
    ctx.expect(got == [2 * x for x in xs], f"add(x, x) gave {got}")


@check("calc", "secret", "a hidden check")
def secret(ctx: Context) -> None:
    a, b = SECRET_INPUTS
    got = ctx.call("calc.add", a, b)
    ctx.note(f"called add({a}, {b})")
    ctx.expect(got == a + b, f"add({a}, {b}) gave {got}, expected {a + b}")


@check("calc", "later", "shown after the due date")
def later(ctx: Context) -> None:
    ctx.expect(ctx.call("calc.add", 1, 2) == 3, "add(1, 2) should be 3")


@check("calc", "broken", "a figure that cannot be drawn changes nothing")
def broken(ctx: Context) -> None:
    ctx.figure(Images("not an image", [[1.0, 2.0, 3.0]]))  # 1-D: drawing fails, the check goes on
    ctx.expect(ctx.call("calc.add", 0, 0) == 0, "add(0, 0) should be 0")
