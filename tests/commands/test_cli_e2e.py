"""End to end through the real sandbox: `autograder grade` as a subprocess on the toy assignment
(numpy functions, TensorFlow import, stderr noise). Slow: each run starts a sandbox zygote."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TOY = Path(__file__).resolve().parents[1] / "fixtures" / "toy_assignment"
REFERENCE = TOY / "toy_assignment.ipynb"
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}

pytestmark = pytest.mark.slow


def _grade(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", "grade", *argv],
                          capture_output=True, text=True, timeout=300, env=ENV)


def test_single_notebook_json_through_the_sandbox(tmp_path):
    nb = tmp_path / "ana.ipynb"
    nb.write_text(REFERENCE.read_text(encoding="utf-8"), encoding="utf-8")
    proc = _grade(str(nb), "--assignment", str(TOY), "--json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(proc.stdout)  # stdout is exactly one JSON object despite TF's noise
    assert data["score"] == 3.0 and data["max_score"] == 3.0
    assert [t["status"] for t in data["tests"]] == ["passed", "passed"]
    assert "skip-when-grading" in data["output"]  # skipped cell reported
    assert "Aislamiento usado:" in data["output"]


def test_batch_with_reports_through_the_sandbox(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    text = REFERENCE.read_text(encoding="utf-8")
    (subs / "ana.ipynb").write_text(text, encoding="utf-8")
    wrong = text.replace("return np.asarray(x) * factor", "return np.asarray(x) + factor")
    assert wrong != text
    (subs / "bob.ipynb").write_text(wrong, encoding="utf-8")
    (subs / "cleo.ipynb").write_bytes(b"\x00\x01 not a notebook")
    out = tmp_path / "out"
    proc = _grade(str(subs), "-a", str(TOY), "-o", str(out), "--json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    grades = json.loads(proc.stdout)
    assert {s["student_id"]: s["score"] for s in grades["students"]} == {
        "ana": 3.0, "bob": 1.0, "cleo": 0.0}
    rows = list(csv.DictReader((out / "grades.csv").open()))
    assert [r["student_id"] for r in rows] == ["ana", "bob", "cleo"]
    bob = json.loads((out / "bob" / "results.json").read_text())
    scale = bob["tests"][0]
    assert scale["status"] == "failed" and "Pista: multiplica" in scale["output"]
    html = (out / "bob" / "feedback.html").read_text()
    assert "scale(x, 1.5) no devuelve x * 1.5" in html
    cleo = json.loads((out / "cleo" / "results.json").read_text())
    assert grades["students"][2]["error"]
    assert cleo["output"].startswith("El notebook no se pudo corregir por completo:")
    assert [t["score"] for t in cleo["tests"]] == [0.0, 0.0]
