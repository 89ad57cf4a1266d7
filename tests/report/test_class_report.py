"""The class report (OUTDIR/index.html, `autograder report`, grades.json check rates): numbers on
the page checked against a synthetic class built with known answers."""

from __future__ import annotations

import base64
import json
import re
import shutil
from html import unescape
from pathlib import Path

import pytest

from autograder.cli import main
from autograder.grading.store import StudentFolder
from autograder.model import RunError, SubmissionResult
from autograder.report.class_report import load_records, render_class_report, write_class_report
from autograder.report.class_stats import ZeroCause, class_stats, elide, zero_cause
from autograder.report.tables import grades_json
from tests.support import chromium
from tests.support.cli_helpers import GOOD, MINI, TEMPLATE, WRONG, write_nb
from tests.support.report_factory import class_member, make_result, synthetic_class


def _row(html: str, row_id: str) -> list[str]:
    """The text of each cell of the table row with `id=row_id`."""
    m = re.search(rf'<tr[^>]*id="{re.escape(row_id)}"[^>]*>(.*?)</tr>', html, re.S)
    assert m, f"no row {row_id}"
    return [unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", m.group(1), re.S)]


def _section(html: str, name: str) -> str:
    m = re.search(rf'<section id="{name}">(.*?)</section>', html, re.S)
    assert m, f"no section {name}"
    return m.group(1)


def test_zero_causes_come_from_structured_fields():
    causes = {r.student: zero_cause(r) for r in synthetic_class()}
    assert causes == {"s01": None, "s02": None, "s03": None, "s04": None,
                      "s05": ZeroCause.UNFILLED, "s06": ZeroCause.BAD_INPUT,
                      "s07": ZeroCause.TIMEOUT, "s08": ZeroCause.CRASHED,
                      "s09": ZeroCause.RAISED, "s10": ZeroCause.WRONG}
    old = make_result("old", error="se agotó el tiempo (60 s)")  # record without error_kind
    for o in old.outcomes.values():
        o.score = 0.0
    assert zero_cause(old) == ZeroCause.OTHER_ERROR  # never guessed from the prose
    assert {k.value for k in RunError} <= {c.value for c in ZeroCause}  # every kind has a label


def test_unfilled_template_with_plain_pytest_tests_is_unfilled_by_lint():
    r = class_member("t", "x", "x", "x", "x")
    for o in r.outcomes.values():  # tests without structured checks: pytest's own error
        o.results, o.status = [], "error"
    r.lint = [{"cell": 1, "line": 2, "func": "double", "kind": "not_implemented", "message": ""}]
    assert zero_cause(r) == ZeroCause.UNFILLED
    r.lint = []
    assert zero_cause(r) == ZeroCause.RAISED


def test_skipped_tests_are_not_counted_as_failed():
    results = synthetic_class()
    halve = results[1].outcomes["halve"]  # s02 passed halve; now it was skipped with a reason
    halve.status, halve.score, halve.results = "skipped", 0.0, []
    t = {t.id: t for t in class_stats(results).tests}["halve"]
    assert (t.passed, t.skipped, t.students) == (2, 1, 10) and t.pass_rate == 2 / 9


def test_elide_replaces_values_not_words():
    assert elide("double(5) = 8, esperado 10") == "double(…) = …, esperado …"
    assert elide("lambda=0.41 vs 7.3e-05; mixup_v2 en PASO 3") == \
        "lambda=… vs …; mixup_v2 en PASO …"


def test_aggregate_numbers_of_the_synthetic_class():
    s = class_stats(synthetic_class())
    assert (s.count, s.max_score, s.bonus_points) == (10, 3.0, 1.0)
    assert (s.mean, s.median, s.mean_base, s.mean_bonus) == (1.0, 0.0, 0.9, 0.1)
    assert s.zeros == {"bad_input": ["s06"], "timeout": ["s07"], "crashed": ["s08"],
                       "unfilled": ["s05"], "raised": ["s09"], "wrong": ["s10"]}
    assert s.errors == {"bad_input": 1, "crashed": 1, "timeout": 1}
    tests = {t.id: (t.passed, t.students, round(t.mean_score, 4)) for t in s.tests}
    assert tests == {"double": (2, 10, 0.6), "halve": (3, 10, 0.3), "extra": (1, 10, 0.1)}
    # checks ran for 7 students (3 notebooks never ran); worst first
    assert [(c.check, c.passed, c.runs) for c in s.checks] == [
        ("extra_zero", 1, 7), ("double_5", 2, 7), ("halve_values", 3, 7), ("double_1", 4, 7)]
    top = s.checks[1].failures[0]  # double_5: one catalog key, three different values
    assert (top.key, top.message, top.count, top.examples) == (
        "mini:double_value", "double(…) = …, esperado …", 3, ["s03", "s04"])
    assert [g.count for g in s.checks[1].failures] == [3, 1, 1]
    assert [st.student for st in s.slowest(3)] == ["s07", "s03", "s01"]
    assert s.restarts == 1


def test_page_shows_the_numbers_from_the_records():
    html = render_class_report(class_stats(synthetic_class()), title="Mini")
    assert 'id="mean">1</span>' in html and 'id="median">0</span>' in html
    assert "10 estudiantes" in html
    assert _row(html, "zero-bad_input") == ["archivo no válido (no es un notebook legible)",
                                            "1", "s06"]
    assert _row(html, "zero-timeout")[1:] == ["1", "s07"]
    assert _row(html, "zero-unfilled")[0].startswith("sin rellenar")
    assert _row(html, "test-double") == ["double", "2", "0.6", "20 % (2/10)"]
    assert _row(html, "paso-2") == ["PASO 2", "1", "0.3", "30 %"]
    assert _row(html, "test-extra")[0] == "extra (extra)"
    assert _row(html, "paso-3")[:2] == ["PASO 3", "+1 extra"]  # bonus-only PASO
    assert _row(html, "check-extra-extra_zero") == ["extra", "extra_zero", "14 %", "1/7"]
    assert _row(html, "check-double-double_5") == ["double", "double_5", "29 %", "2/7"]
    checks = _section(html, "checks")
    assert checks.index("check-extra-extra_zero") < checks.index("check-double-double_1")
    failures = _section(html, "failures")
    first = re.search(r'<tr class="failure" data-check="double/double_5"[^>]*>(.*?)</tr>',
                      failures, re.S).group(1)
    assert "double(…) = …, esperado …" in first and "<td class=\"num\">3</td>" in first
    assert '<a href="s03/feedback.html">s03</a>, <a href="s04/feedback.html">s04</a>' in first
    assert _row(html, "student-s03") == ["s03", "2", "2", "0", "1/3", "", "9"]
    assert _row(html, "student-s07")[5] == "tiempo agotado al ejecutar el notebook"
    run = _section(html, "run")
    assert "sandbox bubblewrap; usuario sin privilegios" in run and "<td class=\"num\">10</td>" in run
    assert "Reinicios del proceso del estudiante (tras morir durante una llamada): 1." in run
    assert "Tiempo total de corrección: 77.2 s (media 7.72 s" in run


def test_histogram_bins_whole_points_and_keeps_bonus_apart():
    from autograder.report.plots import histogram

    s = class_stats(synthetic_class())
    assert histogram([r.base for r in s.students], s.max_score)[1].tolist() == [6, 1, 1, 2]
    assert histogram([r.bonus for r in s.students], s.bonus_points)[1].tolist() == [9, 1]
    edges, counts = histogram([16.9, 22.0, 0.0, 30.0], 25.0)  # > 20 points: 20 equal bins
    assert len(edges) == 21 and counts.sum() == 4 and counts[-1] == 1  # 30 clipped to 25


def test_page_is_self_contained_with_png_plots_and_sortable_table():
    html = render_class_report(class_stats(synthetic_class()))
    pngs = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert len(pngs) == 2  # histogram (base + bonus panels) and check pass rates
    for data in pngs:
        assert base64.b64decode(data).startswith(b"\x89PNG\r\n\x1a\n")
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing fetched from elsewhere
    assert '<table class="sortable" id="students-table">' in html and "<script>" in html
    assert html.count('<tr id="student-') == 10


def test_english_and_escaping():
    results = synthetic_class()
    results[3].outcomes["halve"].results[0].message = "halve <script>alert(1)</script>"
    results[3].student = 'x"><b>'
    html = render_class_report(class_stats(results), lang="en")
    assert "Class report" in html and 'lang="en"' in html and "bad file" in html
    assert "<script>alert" not in html and "&lt;script&gt;alert(…)&lt;/script&gt;" in html
    assert 'href="x%22%3E%3Cb%3E/feedback.html"' in html and '"><b>' not in html


def test_deterministic_bytes(tmp_path):
    a = write_class_report(synthetic_class(), tmp_path / "a")
    b = write_class_report(list(reversed(synthetic_class())), tmp_path / "b")
    assert a.read_bytes() == b.read_bytes()


def test_grades_json_has_check_pass_rates():
    data = grades_json(synthetic_class())
    assert data["checks"]["double"]["double_5"] == {"runs": 7, "passed": 2, "pass_rate": 0.2857}
    assert list(data["checks"]) == ["double", "halve", "extra"]
    assert data["students"][5]["error_kind"] == "bad_input"


def test_record_round_trip_keeps_the_structured_fields(tmp_path):
    r = synthetic_class()[2]
    r.error_kind = RunError.TIMEOUT
    StudentFolder(tmp_path, r.student).write_record(r)
    back = StudentFolder(tmp_path, r.student).load_record()
    assert back.error_kind is RunError.TIMEOUT and back.restarts == 1
    assert back.outcomes["double"].results[1].key == "mini:double_value"
    old = r.to_dict()  # a record written before these fields existed
    for key in ("error_kind", "restarts"):
        del old[key]
    for t in old["tests"]:
        for c in t["checks"]:
            c.pop("key", None)
    again = SubmissionResult.from_dict(old)
    assert again.error_kind is None and again.restarts == 0
    assert again.outcomes["double"].results[1].key == ""
    assert SubmissionResult.from_dict(dict(old, error_kind="nonsense")).error_kind is None


def test_report_command_rebuilds_from_records_without_regrading(tmp_path, capsys):
    out = tmp_path / "out"
    for r in synthetic_class():
        StudentFolder(out, r.student).write_record(r, {"fingerprint": "x"})
    (out / "junk").mkdir()
    (out / "junk" / "record.json").write_text("{truncated", encoding="utf-8")
    assert main(["report", str(out), "--json", "--title", "Mini"]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["count"] == 10 and data["zeros"]["timeout"] == ["s07"]
    assert data["checks"][0]["check"] == "extra_zero" and data["checks"][0]["pass_rate"] == 0.1429
    assert "junk" in captured.err and "unreadable record" in captured.err
    html = (out / "index.html").read_text(encoding="utf-8")
    assert _row(html, "zero-crashed")[1:] == ["1", "s08"]
    assert html == render_class_report(class_stats(load_records(out)), title="Mini")


def test_report_command_uses_the_graded_language(tmp_path):
    out = tmp_path / "out"
    for r in synthetic_class()[:3]:
        StudentFolder(out, r.student).write_record(r, {"lang": "en"})
    assert main(["report", str(out)]) == 0
    assert 'lang="en"' in (out / "index.html").read_text(encoding="utf-8")
    assert main(["report", str(out), "--lang", "es"]) == 0
    assert 'lang="es"' in (out / "index.html").read_text(encoding="utf-8")


def test_report_command_errors_are_one_line(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "no */record.json found" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "missing")]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_grade_writes_index_html_for_a_class_with_broken_files(tmp_path, fake_engine, capsys):
    """Real pipeline + batch (in-process runner): the page's numbers match the records."""
    subs = tmp_path / "subs"
    write_nb(subs / "ana.ipynb", GOOD)
    write_nb(subs / "bea.ipynb", GOOD)
    write_nb(subs / "bob.ipynb", WRONG)
    write_nb(subs / "cleo.ipynb", TEMPLATE)
    (subs / "dan.ipynb").write_text("{not json", encoding="utf-8")
    (subs / "eva.ipynb").write_bytes(b"")
    out = tmp_path / "out"
    assert main(["grade", str(subs), "-a", str(MINI), "-o", str(out)]) == 0
    records = load_records(out)
    kinds = {r.student: (r.error_kind, zero_cause(r)) for r in records}
    assert kinds == {"ana": (None, None), "bea": (None, None), "bob": (None, ZeroCause.WRONG),
                     "cleo": (None, ZeroCause.UNFILLED),
                     "dan": (RunError.BAD_INPUT, ZeroCause.BAD_INPUT),
                     "eva": (RunError.BAD_INPUT, ZeroCause.BAD_INPUT)}
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "<strong>Mini</strong> · 6 estudiantes" in html
    assert _row(html, "zero-bad_input")[1:] == ["2", "dan, eva"]
    assert _row(html, "zero-unfilled")[1:] == ["1", "cleo"]
    assert _row(html, "zero-wrong")[1:] == ["1", "bob"]
    # double's structured checks ran for ana, bea, bob, cleo: 2 of 4 pass each
    assert _row(html, "check-double-double_1")[2:] == ["50 %", "2/4"]
    assert _row(html, "test-double")[3] == "33 % (2/6)"
    failures = _section(html, "failures")
    assert "double(…) = …, esperado …" in failures  # mini's checks carry no key: elided text
    grades = json.loads((out / "grades.json").read_text(encoding="utf-8"))
    assert grades["checks"]["double"]["double_5"]["pass_rate"] == 0.5
    assert main(["report", str(out), "--title", "Mini"]) == 0
    assert (out / "index.html").read_text(encoding="utf-8") == html  # rebuilt identically
    assert "index.html" in capsys.readouterr().err


def test_pipeline_sets_error_kind_for_crash_and_timeout():
    from autograder.grading.pipeline import GradingOptions, grade_source
    from autograder.grading.runners import InProcessRunner
    from autograder.sandbox.cells import RunReport

    class Dead(InProcessRunner):
        def __init__(self, state: str) -> None:
            super().__init__()
            self.state = state

        def start(self, job):
            student, _ = super().start(job)
            return student, RunReport(state=self.state)

    data = write_nb_bytes(GOOD)
    for state, kind in (("crashed", RunError.CRASHED), ("timeout", RunError.TIMEOUT)):
        r = grade_source(data, "ana.ipynb", str(MINI), GradingOptions(), runner=Dead(state))
        assert r.error_kind is kind and r.error
        assert r.restarts == 0
    ok = grade_source(data, "ana.ipynb", str(MINI), GradingOptions(), runner=InProcessRunner())
    assert ok.error_kind is None and ok.error is None


def write_nb_bytes(code: str) -> bytes:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code)]
    return nbformat.writes(nb).encode()


@pytest.mark.slow
@pytest.mark.skipif(chromium.CHROMIUM is None, reason=chromium.MISSING)
def test_index_renders_in_headless_chromium(tmp_path):
    import numpy as np

    page = write_class_report(synthetic_class(), tmp_path, title="Mini")
    img = chromium.screenshot(page, tmp_path / "index.png", 1100, 2400)
    assert img.shape[:2] == (2400, 1100)
    gray = img[..., :3].mean(axis=-1)
    assert gray[:120].min() < 0.3  # the header's dark text
    rgb = img[..., :3]
    saturated = (rgb.max(axis=-1) - rgb.min(axis=-1)) > 0.3  # the plots' coloured bars
    assert saturated[120:1400].sum() > 2000
    assert float(np.std(gray)) > 0.05


SAMPLES = Path(__file__).resolve().parents[1] / "submissions" / "ut3_10_flowers"


@pytest.mark.slow
def test_grading_the_sample_submissions_writes_the_class_page(tmp_path):
    """The flowers samples through the real sandbox, with a truncated copy and an empty file."""
    subs = tmp_path / "subs"
    subs.mkdir()
    for name in ("correct_style", "mistakes"):
        shutil.copy(SAMPLES / f"{name}.ipynb", subs / f"{name}.ipynb")
    data = (SAMPLES / "mistakes.ipynb").read_bytes()
    (subs / "truncated.ipynb").write_bytes(data[: len(data) // 2])
    (subs / "empty.ipynb").write_bytes(b"")
    out = tmp_path / "out"
    assert main(["grade", str(subs), "-a", "ut3_10_flowers", "-o", str(out), "--jobs", "1"]) == 0
    html = (out / "index.html").read_text(encoding="utf-8")
    records = {r.student: r for r in load_records(out)}
    assert records["correct_style"].score == 22.0
    assert records["mistakes"].score == pytest.approx(19.4722, abs=1e-3)
    assert _row(html, "zero-bad_input")[1:] == ["2", "empty, truncated"]
    # the un-normalised Grad-CAM of `mistakes` fails only the visible contract check
    stats = class_stats(list(records.values()))
    contract = [c for c in stats.checks if c.test == "gradcam_basics"
                and c.check == "gradcam_contract"]
    assert contract and (contract[0].passed, contract[0].runs) == (1, 2)
    assert _row(html, "check-gradcam_basics-gradcam_contract")[2:] == ["50 %", "1/2"]
    top = contract[0].failures[0]
    assert (top.count, top.examples) == (1, ["mistakes"])
    assert _row(html, "student-mistakes")[1] == "19.47"


@pytest.mark.slow
def test_sandbox_sets_error_kind_and_restarts(tmp_path):
    """The toy assignment through the real sandbox: crash, timeout and a process that dies in
    one call reach the class report as structured kinds and a restart count."""
    from autograder.grading.batch import grade_batch
    from tests.support import toy_notebooks as T

    exit_in_add = T.REFERENCE.replace("    return a + b", "    import os\n    os._exit(0)")
    paths = [("ok", T.write(tmp_path / "ok.ipynb", T.REFERENCE)),
             ("crash", T.write(tmp_path / "crash.ipynb",
                               "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)")),
             ("slow", T.write(tmp_path / "slow.ipynb", "while True:\n    pass")),
             ("dies", T.write(tmp_path / "dies.ipynb", exit_in_add)),
             ("todo", T.write(tmp_path / "todo.ipynb", T.EMPTY))]
    out = tmp_path / "out"
    results = {r.student: r for r in grade_batch(paths, str(T.TOY), out, progress=False,
                                                 timeout=3, call_timeout=2)}
    assert results["ok"].score == 5 and results["ok"].error_kind is None
    assert results["crash"].error_kind is RunError.CRASHED
    assert results["slow"].error_kind is RunError.TIMEOUT
    assert results["dies"].error_kind is None and results["dies"].restarts >= 1
    assert results["dies"].score == 3  # only `add` lost its points
    write_class_report(load_records(out), out)
    stats = class_stats(load_records(out))
    assert stats.zeros == {"timeout": ["slow"], "crashed": ["crash"], "unfilled": ["todo"]}
    assert stats.restarts == results["dies"].restarts
