"""results.json follows the Gradescope schema and carries student-facing messages only."""

from __future__ import annotations

import json

import pytest

from autograder.report import results_json
from autograder.report.gradescope import write_results_json
from tests.support.report_factory import make_result


def test_top_level_schema_and_scores(result):
    data = results_json(result)
    assert set(data) >= {"score", "max_score", "execution_time", "output", "tests", "visibility"}
    assert data["score"] == pytest.approx(3.0) and data["max_score"] == 10.0
    assert data["execution_time"] == pytest.approx(12.34)
    assert "leaderboard" not in data
    json.dumps(data)  # serialisable
    assert sum(t["score"] for t in data["tests"]) == pytest.approx(data["score"])


def test_each_test_has_status_visibility_and_messages(result):
    tests = {t["extra_data"]["test_id"]: t for t in results_json(result)["tests"]}
    assert [t["number"] for t in tests.values()] == ["1", "2", "3", "4", "5"]
    assert tests["augmentation"]["status"] == "passed"
    assert tests["mixup"]["status"] == "failed" and tests["mixup"]["score"] == 1.0
    assert tests["mixup"]["name"] == "PASO 6: mixup"
    # visible tests visible, hidden ones after publication
    assert tests["augmentation"]["visibility"] == "visible"
    assert tests["pipeline"]["visibility"] == "visible"
    assert tests["mixup"]["visibility"] == "after_published"
    # message and hint of the failed check, in Spanish
    out = tests["mixup"]["output"]
    assert "lambda=0.41" in out and "Pista: Usa la MISMA `lam`" in out
    assert tests["mixup"]["output"].index("✘") < tests["mixup"]["output"].index("✔")
    # not implemented is told apart from wrong
    assert tests["gradcam"]["extra_data"]["result"] == "not_implemented"
    assert tests["mixup"]["extra_data"]["result"] == "partial"
    assert tests["cutmix"]["extra_data"]["result"] == "wrong"
    assert tests["pipeline"]["extra_data"]["result"] == "error"
    assert "bonus" in tests["cutmix"]["tags"] and "PASO 6" in tests["cutmix"]["tags"]


def test_hidden_visibility_option_and_validation(result):
    data = results_json(result, hidden_visibility="hidden")
    assert {t["visibility"] for t in data["tests"]} == {"visible", "hidden"}
    with pytest.raises(ValueError):
        results_json(result, hidden_visibility="sometimes")


def test_top_output_reports_error_lint_skipped_isolation():
    data = results_json(make_result(error="el notebook no es JSON válido"))
    out = data["output"]
    assert "el notebook no es JSON válido" in out
    assert "- Hueco `___` sin rellenar en la celda 7, línea 3 (función `mixup`)." in out
    assert "13, 16" in out and "bubblewrap" in out  # cells numbered from 1
    assert "- Celda 5, línea 2: NameError: name 'tf' is not defined" in out


def test_english_output(result):
    tests = results_json(result, lang="en")["tests"]
    assert "Hint: Usa la MISMA" in tests[1]["output"]


def test_write_is_atomic_and_valid(tmp_path, result):
    path = write_results_json(result, tmp_path / "ana" / "results.json")
    assert json.loads(path.read_text(encoding="utf-8"))["score"] == pytest.approx(3.0)
    assert [p.name for p in path.parent.iterdir()] == ["results.json"]  # no temp files left
