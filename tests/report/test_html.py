"""feedback.html: per-PASO table, failed checks with hints, lint, skipped cells, isolation,
escaping, pictures; and a real render in headless Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.model import Isolation, IsolationFeature, IsolationMode, Picture
from autograder.report.html import codify, picture_list, render_feedback, write_feedback
from tests.support import chromium
from tests.support.report_factory import make_result

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini_assignment"


def test_score_table_grouped_by_paso(result):
    html = render_feedback(result)
    assert "3 / 10" in html
    # PASO 3 holds augmentation and pipeline (not adjacent in the outcomes) with one subtotal
    assert html.count("Subtotal PASO 3") == 1
    assert '<td rowspan="3">PASO 3</td>' in html
    assert "2 / 3" in html  # PASO 3 subtotal: 2 of 3 points
    for label in ("correcto", "parcial", "sin implementar", "incorrecto", "error"):
        assert f">{label}</span>" in html


def test_failed_checks_show_message_and_hint_but_passed_tests_do_not(result):
    html = render_feedback(result)
    assert "lambda=0.41 pero la imagen usa 0.73" in html
    assert "<strong>Pista:</strong> Usa la MISMA <code>lam</code>" in html
    assert 'id="test-mixup"' in html and 'id="test-augmentation"' not in html
    assert "✔ mixup_shapes" in html


def test_student_text_is_escaped(result):
    html = render_feedback(result)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_lint_skipped_cells_isolation_and_error_banner():
    html = render_feedback(make_result(error="se agotó el tiempo (60 s)"))
    assert 'id="notebook-error"' in html and "se agotó el tiempo (60 s)" in html
    assert '<td class="num">8</td><td class="num">3</td>' in html  # cells from 1
    assert "Hueco <code>___</code> sin rellenar en la celda 7" in html
    assert "(marcadas <code>skip-when-grading</code>): 13, 16" in html  # from 1
    assert "sandbox bubblewrap; usuario sin privilegios (uid 65534)" in html and "namespace" not in html
    assert "Celda 5, línea 2: NameError: name &#39;tf&#39; is not defined" in html
    assert 'id="notebook-error"' not in render_feedback(make_result())


def test_english_and_all_passed():
    r = make_result()
    r.outcomes = {"augmentation": r.outcomes["augmentation"]}
    html = render_feedback(r, lang="en")
    assert 'id="all-passed"' in html and "All checks passed." in html
    assert "Grading report" in html and 'lang="en"' in html


def test_codify_escapes_before_formatting():
    assert str(codify("usa `<b>` y\nmás")) == "usa <code>&lt;b&gt;</code> y<br>\nmás"


def test_no_pictures_without_pictures(result):
    assert picture_list(result) == []
    assert 'id="pictures"' not in render_feedback(result)


def test_raw_png_picture_is_embedded():
    r = make_result()
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 16
    r.pictures = {"gradcam": {"custom": Picture("png", png=png)}}
    pics = picture_list(r)
    assert len(pics) == 1 and pics[0]["src"].startswith("data:image/png;base64,iVBORw0KGgo")


def test_pictures_are_base64_png_by_kind():
    pics = picture_list(make_result(pictures=True))
    kinds = {p["kind"] for p in pics}
    assert kinds == {"heatmap", "augmentation"}
    html = render_feedback(make_result(pictures=True))
    assert html.count('src="data:image/png;base64,') == 2


@pytest.mark.slow
@pytest.mark.skipif(chromium.CHROMIUM is None, reason=chromium.MISSING)
def test_feedback_renders_in_headless_chromium(tmp_path):
    import numpy as np

    page = write_feedback(make_result(pictures=True), tmp_path / "feedback.html")
    img = chromium.screenshot(page, tmp_path / "feedback.png", 1000, 1800)
    assert img.shape[:2] == (1800, 1000)
    gray = img[..., :3].mean(axis=-1)
    # the page is not blank: dark text in the header band, coloured badges below
    assert gray[:150].min() < 0.3
    rgb = img[..., :3]
    saturated = (rgb.max(axis=-1) - rgb.min(axis=-1)) > 0.3
    assert saturated[150:800].sum() > 500
    assert float(np.std(gray)) > 0.05


def test_failed_checks_pictures_first_and_capped():
    import numpy as np

    from autograder.report.html import MAX_PICTURES_PER_TEST

    r = make_result()
    heat = np.linspace(0, 1, 64).reshape(8, 8)
    picture = Picture("heatmap", image=np.zeros((8, 8, 3)), heatmap=heat, reference=heat.T)
    names = ["a_ok", "b_ok", "mixup_same_lambda"]  # the last one failed in the fixture
    r.pictures = {"mixup": {n: picture for n in names}}
    pics = picture_list(r)
    assert len(pics) == MAX_PICTURES_PER_TEST == 2
    assert pics[0]["check"] == "mixup_same_lambda" and pics[1]["check"] == "a_ok"


def test_broken_picture_is_left_out_not_fatal(capsys):
    r = make_result()
    r.pictures = {"gradcam": {"bad": Picture("heatmap", heatmap="not an array", image=None)}}
    assert 'id="pictures"' not in render_feedback(r)
    assert "left out" in capsys.readouterr().err


F = IsolationFeature
ISOLATIONS = {
    "sandbox": (Isolation(IsolationMode.SANDBOX, (F.USER_NAMESPACE, F.SECCOMP, F.NO_NETWORK,
                                                   F.CGROUP), 64),
                "sandbox bubblewrap; usuario sin privilegios (uid 65534) en su propio espacio de "
                "nombres, filtro seccomp (setns/unshare/mount/ptrace/bpf/keyctl), sin red, "
                "cgroup por estudiante (memoria, CPU, máx. 64 procesos)"),
    "sandbox_no_cgroup": (Isolation(IsolationMode.SANDBOX, (F.USER_NAMESPACE, F.SECCOMP,
                                                            F.NO_NETWORK, F.RLIMITS)),
                          "sandbox bubblewrap; usuario sin privilegios (uid 65534) en su propio "
                          "espacio de nombres, filtro seccomp (setns/unshare/mount/ptrace/bpf/"
                          "keyctl), sin red, límites de recursos por proceso; sin: cgroup por "
                          "estudiante (memoria, CPU)"),
    "none": (Isolation(IsolationMode.NONE, (F.RLIMITS,)),
             "SIN sandbox (--isolation none: solo para notebooks de confianza); límites de "
             "recursos por proceso; sin: usuario sin privilegios (uid 65534) en su propio espacio "
             "de nombres, filtro seccomp (setns/unshare/mount/ptrace/bpf/keyctl), sin red, cgroup "
             "por estudiante (memoria, CPU)"),
    "in_process": (Isolation(IsolationMode.IN_PROCESS),
                   "ninguno (ejecución de confianza en el propio proceso, sin sandbox)"),
}


@pytest.mark.parametrize("name", sorted(ISOLATIONS))
def test_isolation_is_translated_in_spanish_reports(name):
    from autograder.report.gradescope import results_json
    from autograder.report.summary import isolation_text

    isolation, spanish = ISOLATIONS[name]
    assert isolation_text(isolation, "es") == spanish
    assert "NO sandbox" in isolation_text(isolation, "en") or name != "none"
    r = make_result()
    r.isolation = isolation
    html = render_feedback(r)
    assert f"Aislamiento usado: {spanish}" in html
    assert f"Aislamiento usado: {spanish}" in results_json(r, lang="es")["output"]
    assert Isolation.from_dict(r.to_dict()["isolation"]) == isolation


def test_bonus_only_group_subtotal_reads_as_extra():
    from autograder.model import TestOutcome

    r = make_result()
    r.outcomes["extra"] = TestOutcome("extra", 2, 2.0, "passed", "", "PASO 10", False, True,
                                      False, 0.1, [])
    r.outcomes["extra2"] = TestOutcome("extra2", 1, 0.0, "passed", "", "PASO 10", False, True,
                                       False, 0.1, [])
    html = render_feedback(r)
    assert "Subtotal PASO 10</td>\n      <td class=\"num\">+2 extra (máx. 3)</td>" in html
    assert "2 / 0" not in html and "0 / 0" not in html
    # PASO 6: mixup (1 of 2) plus the bonus cutmix (0 of 1)
    assert "1 / 2 · +0 extra (máx. 1)" in html
    assert "+2 bonus (max 3)" in render_feedback(r, lang="en")


def test_subtotal_row_only_for_pasos_with_several_tests():
    """Issue 12.19: a one-test PASO has no subtotal row repeating its only line."""
    html = render_feedback(make_result())
    assert "Subtotal PASO 9" not in html  # gradcam alone in PASO 9
    assert "Subtotal PASO 3" in html and "Subtotal PASO 6" in html  # two tests each


def test_unreadable_notebook_report_says_so_once_and_never_claims_execution(tmp_path):
    from autograder.grading.pipeline import grade_notebook

    nb = tmp_path / "ana.ipynb"
    nb.write_text("{not json", encoding="utf-8")
    r = grade_notebook(nb, MINI)  # returns before any sandbox starts
    html = render_feedback(r)
    assert "Se ejecutaron todas las celdas" not in html and 'id="skipped"' not in html
    assert html.count("no es JSON válido") == 1  # the banner only
    assert html.count("No se pudo ejecutar") == len(r.outcomes) >= 3
    assert "Expecting" not in html and "invalid JSON" not in html  # no English one-liner
    ok = make_result()
    ok.skipped_cells = []
    assert "Se ejecutaron todas las celdas de código." in render_feedback(ok)


def test_old_result_repeating_the_error_per_test_is_shown_once():
    r = make_result(error="se agotó el tiempo (60 s)")
    r.outcomes["gradcam"].results = []
    r.outcomes["gradcam"].message = "Esta prueba no se ejecutó: se agotó el tiempo (60 s)"
    html = render_feedback(r)
    assert html.count("se agotó el tiempo (60 s)") == 1
    assert "No se pudo ejecutar (ver el problema del notebook" in html
