"""feedback.html and report.html in a real headless browser: Debian's ``chromium`` (``.ci/run`` installs it),
driven by Playwright over its own protocol pipe (no browser download).

Records are built here (no grading) with one figure of every kind drawn by :func:`autograder.results.drawing.draw`,
a failing check and a course-hidden one holding a distinctive secret. Each page is opened from disk and must log no
console error, request nothing but itself and its data URIs, show every image loaded and not blank (checked on a
full-page screenshot, kept under ``tmp_path``), and never show the hidden check. Without chromium the test is
skipped, except in CI (``CI`` set), where that is a failure.
"""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Browser, ConsoleMessage, Request, sync_playwright

from autograder.plots import Confusion, Curve, Images, Lines, Plot, Surface
from autograder.results import CheckResult, RenderedFigure, SubmissionResult
from autograder.results.drawing import draw
from autograder.results.feedback_html import FEEDBACK_HTML, write_feedback_html
from autograder.results.report import write_report
from autograder.results.summary import build_summary

SECRET = "tangerine-4417-hidden"  # in every field of the hidden check: must never reach the student's page
WRONG = "your RMSE is 3.2 degrees, the reference's is 1.1 (allowed: 1.5)"
MIN_STD = 8.0  # a blank (one-colour) image has std 0; the figures here are well above 20

# Where every <img> is drawn on the page (CSS pixels from the page's top-left) and whether it has decoded.
_IMAGES_JS = """() => Array.from(document.images, img => {
  const r = img.getBoundingClientRect();
  return {alt: img.alt, complete: img.complete, width: img.naturalWidth, height: img.naturalHeight,
          x: r.left + window.scrollX, y: r.top + window.scrollY, w: r.width, h: r.height};
})"""


def _chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: .ci/run installs it (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = _chromium()
    with sync_playwright() as playwright:
        # --no-sandbox: CI runs as root; --disable-dev-shm-usage: containers often have a tiny /dev/shm
        launched = playwright.chromium.launch(executable_path=executable,
                                              args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield launched
        launched.close()


def _plots() -> dict[str, Plot]:
    rng = np.random.default_rng(0)
    depth = np.arange(1, 11)
    grid = np.linspace(-2.0, 2.0, 40)
    xx, yy = np.meshgrid(grid, grid)
    path = np.linspace(1.8, 0.1, 12)
    return {
        "lines": Lines("Validation RMSE against depth", [Curve("yours", depth, 3 + 0.1 * depth),
                                                         Curve("reference", depth, 1 + 1 / depth, reference=True)],
                       xlabel="max_depth", ylabel="RMSE", caption="Lower is better."),
        "images": Images("Reconstructions", [rng.random((16, 16)), rng.random((16, 16, 3))], ["grey", "colour"]),
        "confusion": Confusion("Penguin species", ["Adelie", "Chinstrap", "Gentoo"],
                               np.array([[30, 2, 1], [3, 20, 0], [0, 1, 40]])),
        "surface": Surface("Gradient descent on the terrain", grid, grid, xx ** 2 + 2 * yy ** 2,
                           [Curve("step 0.1", path, -path)]),
    }


def _submission(sid: str, good: bool, plots: dict[str, RenderedFigure]) -> SubmissionResult:
    checks = [
        CheckResult("trees.rmse", "trees", "RMSE against depth", 2.0, 2.0 if good else 0.0,
                    "passed" if good else "failed", "" if good else WRONG, notes=["Depths 1 to 10."],
                    seconds=1.5, plots=[plots["lines"]]),
        CheckResult("posenc.image", "posenc", "The image is stored", 1.0, 1.0, "passed", seconds=0.7,
                    plots=[plots["images"]]),
        CheckResult("penguins.confusion", "penguins", "Species are told apart", 1.0, 1.0, "passed",
                    plots=[plots["confusion"]], visibility="after_due_date"),
        CheckResult("descent.path", "descent", "Descent reaches the minimum", 1.0, 1.0, "passed",
                    plots=[plots["surface"]], output="step 0: loss 4.0\n"),
        CheckResult("trees.hidden", "trees", f"Held-out depths {SECRET}", 3.0, 0.0, "failed", f"expected {SECRET}",
                    output=f"printed {SECRET}", notes=[f"note {SECRET}"], plots=[plots["secret"]], visibility="hidden"),
    ]
    return SubmissionResult(sid, "hw2", "smoke", checks, seconds=12.0, isolation="bwrap")


@dataclass
class Visit:
    """What the browser saw of one page."""

    console_errors: list[str]
    foreign_requests: list[str]  # anything but the page itself and its data URIs, and every failed request
    images: list[dict[str, Any]]
    text: str
    html: str
    screenshot: np.ndarray  # H x W x 3, CSS pixels (device scale factor 1)


def _visit(browser: Browser, path: Path, shot: Path) -> Visit:
    page = browser.new_page(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
    errors: list[str] = []
    foreign: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"console: {message.text}")

    def on_request(request: Request) -> None:
        if request.url != path.as_uri() and not request.url.startswith("data:"):
            foreign.append(request.url)

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    page.on("request", on_request)
    page.on("requestfailed", lambda request: foreign.append(f"failed: {request.url[:80]} ({request.failure})"))
    try:
        page.goto(path.as_uri(), wait_until="load")
        images = page.evaluate(_IMAGES_JS)
        png = page.screenshot(path=str(shot), full_page=True)
        text, html = page.inner_text("body"), page.content()
    finally:
        page.close()
    screenshot = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)
    return Visit(errors, foreign, images, text, html, screenshot)


def _assert_shown(visit: Visit, alts: list[str]) -> None:
    """No console error, no request, every image (as drawn on the screenshot) loaded and not blank, nor the page."""
    assert visit.console_errors == []
    assert visit.foreign_requests == [], "the pages must need no network and no other file"
    assert [img["alt"] for img in visit.images] == alts
    for img in visit.images:
        assert img["complete"] and img["width"] > 0 and img["height"] > 0, f"image not loaded: {img['alt']}"
        x, y, w, h = (round(img[k]) for k in ("x", "y", "w", "h"))
        crop = visit.screenshot[y:y + h, x:x + w]
        assert w > 50 and h > 50 and crop.shape[:2] == (h, w), f"image not drawn on the page: {img}"
        assert crop.std() > MIN_STD, f"image {img['alt']!r} is blank on the screenshot (std {crop.std():.1f})"
    assert visit.screenshot.std() > MIN_STD, "the screenshot is blank"


def test_pages_render_in_chromium(browser: Browser, tmp_path: Path) -> None:
    plots = {name: draw(plot) for name, plot in _plots().items()}
    plots["secret"] = draw(Lines(f"Hidden inputs {SECRET}", [Curve(SECRET, [0, 1], [1, 0])], caption=SECRET))
    results = [_submission("ada", False, plots), _submission("bo", True, plots), _submission("cy", True, plots)]
    feedback = tmp_path / "ada" / FEEDBACK_HTML
    write_feedback_html(results[0], feedback)
    report = write_report(tmp_path, build_summary(results))

    page = _visit(browser, feedback, tmp_path / "feedback.png")
    _assert_shown(page, [plot.title for plot in _plots().values()])
    assert WRONG in page.text and "1 hidden check worth 3 points" in page.text
    assert SECRET not in page.text and SECRET not in page.html, "the hidden check leaked into feedback.html"

    staff = _visit(browser, report, tmp_path / "report.png")
    _assert_shown(staff, ["histogram of total scores"])
    assert "trees.rmse" in staff.text
