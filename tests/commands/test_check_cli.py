"""`autograder check`: lint first, visible tests only, "not implemented" vs "wrong", exit 1 on
any failure, no hidden-test source, assignment inferred from metadata or file name."""

from __future__ import annotations

import json

import pytest

from autograder.cli import main
from autograder.commands.check import infer_assignment
from tests.support.cli_helpers import GOOD, MINI, TEMPLATE, WRONG, write_nb

HIDDEN_SOURCE_BITS = ("_check_double", "call_student", "student.halve(4)", "test_halve",
                      "config[\"factor\"]")


def _check(tmp_path, code, capsys, *extra):
    nb = write_nb(tmp_path / "mini_assignment.ipynb", code)
    rc = main(["check", str(nb), "--assignment", str(MINI), *extra])
    return rc, capsys.readouterr()


def test_correct_notebook_passes(tmp_path, fake_engine, capsys):
    rc, cap = _check(tmp_path, GOOD, capsys)
    assert rc == 0, cap.out
    assert "Análisis estático: sin problemas." in cap.out
    assert "Resultado: 1 de 1 pruebas visibles superadas (2 / 2 puntos visibles)." in cap.out
    assert "¡Todas las pruebas visibles pasan!" in cap.out
    assert fake_engine[0][1]["visible_only"] is True


def test_template_is_reported_as_not_implemented(tmp_path, fake_engine, capsys):
    rc, cap = _check(tmp_path, TEMPLATE, capsys)
    assert rc == 1
    assert "Análisis estático (sin ejecutar el notebook):" in cap.out
    assert "NotImplementedError" in cap.out  # lint names what is left
    assert "Aún sin implementar (completa estas partes):" in cap.out
    assert "Implementado pero incorrecto:" not in cap.out


def test_wrong_notebook_is_reported_as_wrong(tmp_path, fake_engine, capsys):
    rc, cap = _check(tmp_path, WRONG, capsys)
    assert rc == 1
    assert "Implementado pero incorrecto:" in cap.out
    assert "Aún sin implementar" not in cap.out
    assert "double(5) = 8, esperado 10" in cap.out
    # only the visible test ran; hidden tests and their code never appear
    assert "halve" not in cap.out and "extra" not in cap.out
    for bit in HIDDEN_SOURCE_BITS:
        assert bit not in cap.out


def test_json_output(tmp_path, fake_engine, capfd):
    nb = write_nb(tmp_path / "mini_assignment.ipynb", WRONG)
    assert main(["check", str(nb), "-a", str(MINI), "--json"]) == 1
    out, _ = capfd.readouterr()
    data = json.loads(out)
    assert data["assignment"] == "mini_assignment" and data["lint"] == []
    assert [t["name"] for t in data["results"]["tests"]] == ["PASO 1: double"]
    assert data["results"]["tests"][0]["extra_data"]["result"] == "wrong"


def test_unfilled_blank_is_found_statically(tmp_path, fake_engine, capsys):
    code = GOOD.replace("return 2 * x", "return ___ * x")
    rc, cap = _check(tmp_path, code, capsys)
    assert rc == 1
    assert "línea 2 (función `double`)" in cap.out


def test_infer_assignment_from_metadata_and_filename(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOGRADER_SOLUTIONS", str(MINI.parent))
    by_meta = write_nb(tmp_path / "entrega.ipynb", GOOD,
                       {"autograder": {"assignment": "mini_assignment"}})
    assert infer_assignment(by_meta) == "mini_assignment"
    by_name = write_nb(tmp_path / "mini_assignment_ana_lopez.ipynb", GOOD)
    assert infer_assignment(by_name) == "mini_assignment"


def test_cannot_infer_exits_2(tmp_path, monkeypatch, fake_engine, capsys):
    monkeypatch.setenv("AUTOGRADER_SOLUTIONS", str(MINI.parent))
    nb = write_nb(tmp_path / "whatever.ipynb", GOOD)
    assert main(["check", str(nb)]) == 2
    err = capsys.readouterr().err
    assert "--assignment" in err and "mini_assignment" in err
    assert fake_engine == []


@pytest.mark.parametrize("content", ["", "{not json", '{"cells": 3}'])
def test_bad_notebook_exits_2(tmp_path, fake_engine, capsys, content):
    nb = tmp_path / "mini_assignment.ipynb"
    nb.write_text(content, encoding="utf-8")
    assert main(["check", str(nb), "-a", str(MINI)]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_identical_failures_are_merged_into_one_line(tmp_path, fake_engine, capsys):
    rc, cap = _check(tmp_path, TEMPLATE, capsys)
    assert rc == 1
    lines = [ln for ln in cap.out.splitlines() if "✘" in ln]
    assert len(lines) == 1 and lines[0].strip().startswith("✘ double_1, double_5:")


@pytest.mark.parametrize("content,expected", [
    ("", "el archivo está vacío"), ("{not json", "no es JSON válido"),
    ('{"a": 1}', "no un notebook de Jupyter")])  # Spanish, the student's language (issue 12.13)
def test_bad_file_without_assignment_reports_the_file_not_inference(tmp_path, monkeypatch,
                                                                   fake_engine, capsys,
                                                                   content, expected):
    monkeypatch.setenv("AUTOGRADER_SOLUTIONS", str(MINI.parent))
    nb = tmp_path / "whatever.ipynb"  # no -a and a name that matches no assignment
    nb.write_text(content, encoding="utf-8")
    assert main(["check", str(nb)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and expected in err[0] and "deducir" not in err[0]
    assert fake_engine == []
