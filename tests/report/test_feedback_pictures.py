"""Pictures a student can read on the feedback page (issue 12.19)."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.checks import explain
from autograder.model import CheckResult, Picture, SubmissionResult, TestOutcome
from autograder.report.html import picture_list, render_feedback
from tests.corpus.explain import gradcam_wrong as w
from tests.support import chromium
from tests.support.report_factory import make_result


def test_failing_no_relu_map_gets_a_picture_beside_the_reference():
    results = {r.name: r for r in explain.check_gradcam(w.no_relu, backbone_name="backbone")}
    pic = results["gradcam_contract"].picture
    assert not results["gradcam_contract"].passed and pic is not None
    assert pic.reference is not None and pic.heatmap.min() < 0  # the map as the student made it


def _with_pictures(names_failed: set[str]) -> SubmissionResult:
    yy, xx = np.mgrid[0:8, 0:8]
    heat = np.exp(-((yy - 2) ** 2 + (xx - 5) ** 2) / 4.0)
    img = np.zeros((32, 32, 3))
    checks = ["gradcam_contract", "gradcam_localization", "gradcam_reference"]
    results = [CheckResult.fail(n, "x") if n in names_failed else CheckResult.ok(n)
               for n in checks]
    outcome = TestOutcome("gradcam", 3, 1.0, "failed", "", "PASO 11", False, False, False, 0.1,
                          results)
    pics = {"gradcam": {n: Picture("heatmap", image=img, heatmap=heat, reference=heat)
                        for n in checks}}
    return SubmissionResult("ana", "a", "ana.ipynb", {"gradcam": outcome}, max_score=3.0,
                            pictures=pics)


def test_the_localization_case_comes_first_then_the_failing_check():
    shown = [p["check"] for p in picture_list(_with_pictures({"gradcam_reference"}))]
    assert shown == ["gradcam_localization", "gradcam_reference"]  # not the random-net picture alone


@pytest.mark.skipif(chromium.CHROMIUM is None, reason="needs headless Chromium: apt-get install chromium "
                    "(or: pip install playwright && playwright install chromium), then "
                    "pytest tests/report/test_feedback_pictures.py")
def test_feedback_page_screenshot_in_headless_chromium(tmp_path):
    page = tmp_path / "feedback.html"
    page.write_text(render_feedback(make_result(pictures=True)), encoding="utf-8")
    pixels = chromium.screenshot(page, tmp_path / "shot.png", 1200, 3000)
    assert pixels.shape[0] >= 1000 and pixels.std() > 0.05  # the page rendered, not blank


def test_a_repeated_message_is_shown_once_naming_every_check():
    """Issue 12.6: dependent checks skipped after one failure repeat its message; the page shows
    it once."""
    same = [CheckResult.fail(n, "El mapa tiene valores fuera de [0, 1].") for n in ("a", "b", "c")]
    outcome = TestOutcome("gradcam", 3, 0.0, "failed", "", "PASO 11", False, False, False, 0.1,
                          same)
    html = render_feedback(SubmissionResult("ana", "x", "ana.ipynb", {"gradcam": outcome},
                                            max_score=3.0))
    assert html.count("fuera de [0, 1]") == 1 and "✘ a, b, c" in html
