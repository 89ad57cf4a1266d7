"""`autograder check` with the student bundle (`<release>/autograder_check/`, visible tests only) and
NO solutions on the machine: the bundle next to the notebook (or one level up) is found, or
given with --assignment; the untouched template checks end to end through the real sandbox."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.authoring.bundle import BUNDLE_DIR
from autograder.cli import main
from autograder.commands._infer import find_bundle
from tests.support.cli_helpers import write_nb

TOY = Path(__file__).resolve().parents[1] / "fixtures" / "toy_assignment"
NAME = "toy_assignment"
SCALE_OK = ("import numpy as np\n\ndef scale(x, factor):\n    return np.asarray(x) * factor\n\n"
            "def clip01(x):\n    raise NotImplementedError()\n")
SCALE_WRONG = SCALE_OK.replace("* factor", "+ factor")
HIDDEN = ("test_clip01", "[PASO 2", "PASO 2:", "np.clip", "clip_0")


@pytest.fixture
def release(tmp_path, monkeypatch):
    """The toy assignment generated, then its template + bundle copied to a release folder;
    solutions and generated folders then point to EMPTY folders."""
    sols, out = tmp_path / "solutions", tmp_path / "generated"
    shutil.copytree(TOY, sols / NAME)
    monkeypatch.setenv("AUTOGRADER_SOLUTIONS", str(sols))
    monkeypatch.setenv("AUTOGRADER_ASSIGNMENTS", str(out))
    assert main(["generate", NAME]) == 0
    rel = tmp_path / "release"
    rel.mkdir()
    shutil.copy(out / NAME / f"{NAME}.ipynb", rel)
    shutil.copytree(out / NAME / BUNDLE_DIR, rel / BUNDLE_DIR)
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("AUTOGRADER_SOLUTIONS", str(empty))
    monkeypatch.setenv("AUTOGRADER_ASSIGNMENTS", str(empty))
    monkeypatch.setenv("AUTOGRADER_PROJECT", str(empty))
    return rel


def test_find_bundle_here_one_level_up_and_not_for_another_assignment(release):
    bundle = (release / BUNDLE_DIR).resolve()
    assert find_bundle(release / "x.ipynb") == bundle
    assert find_bundle(release / "entregas" / "x.ipynb") == bundle
    assert find_bundle(release / "a" / "b" / "x.ipynb") is None  # two levels up: not searched
    ours = {"metadata": {"autograder": {"assignment": NAME}}}
    other = {"metadata": {"autograder": {"assignment": "otra_practica"}}}
    assert find_bundle(release / "x.ipynb", ours) == bundle
    assert find_bundle(release / "x.ipynb", other) is None


def test_check_uses_the_bundle_next_to_the_notebook(release, fake_engine, capsys):
    nb = write_nb(release / "mi_entrega.ipynb", SCALE_OK)  # file name says nothing
    rc = main(["check", str(nb)])
    out = capsys.readouterr().out
    assert "práctica toy_assignment" in out
    assert "Resultado: 1 de 1 pruebas visibles superadas (2 / 2 puntos visibles)." in out
    assert rc == 1  # lint still reports the unimplemented clip01
    assert fake_engine[0][1]["visible_only"] is True
    for bit in HIDDEN:
        assert bit not in out


def test_check_with_bundle_one_level_up_and_assignment_flag(release, tmp_path, fake_engine,
                                                             capfd):
    nb = write_nb(release / "entregas" / "ana.ipynb", SCALE_WRONG)
    assert main(["check", str(nb), "--json"]) == 1
    data = json.loads(capfd.readouterr().out)
    assert data["assignment"] == NAME
    assert [t["name"] for t in data["results"]["tests"]] == ["PASO 1: scale"]
    assert data["results"]["tests"][0]["extra_data"]["result"] == "wrong"
    # anywhere else, --assignment PATH to the bundle folder does the same
    elsewhere = write_nb(tmp_path / "suelto" / "ana.ipynb", SCALE_WRONG)
    assert main(["check", str(elsewhere), "--json"]) == 2  # no bundle, no solutions: cannot infer
    capfd.readouterr()
    assert main(["check", str(elsewhere), "--json", "-a", str(release / BUNDLE_DIR)]) == 1
    data = json.loads(capfd.readouterr().out)
    assert [t["name"] for t in data["results"]["tests"]] == ["PASO 1: scale"]


@pytest.mark.slow
def test_untouched_template_with_bundle_and_no_solutions_end_to_end(release):
    """The README's student step, through the real sandbox: run from the release folder."""
    script = Path(sys.executable).parent / "autograder"
    cmd = [str(script)] if script.is_file() else [sys.executable, "-m", "autograder"]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run([*cmd, "check", f"{NAME}.ipynb"], cwd=release, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr[-3000:]
    out = proc.stdout
    assert "Aún sin implementar (completa estas partes):" in out
    assert "[PASO 1 · scale] 0 / 2" in out
    assert "Resultado: 0 de 1 pruebas visibles superadas (0 / 2 puntos visibles)." in out
    assert "Implementado pero incorrecto:" not in out
    for bit in HIDDEN:
        assert bit not in out and bit not in proc.stderr
