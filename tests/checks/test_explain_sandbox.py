"""Explain checks through the real sandbox proxy: models cross as .keras files (safe mode)."""

from pathlib import Path

import nbformat
import pytest

from autograder.checks import explain, integrated_gradients
from autograder.sandbox.host import StudentProcess
from autograder.sandbox.proxy import SandboxStudent
from autograder.sandbox.zygote import get_zygote

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "explain"


@pytest.fixture(scope="module")
def student():
    cells = [nbformat.v4.new_code_cell((CORPUS / f"{n}.py").read_text())
             for n in ("gradcam_correct", "gradcam_wrong", "ig_variants")]
    cells.append(nbformat.v4.new_code_cell(
        "make_gradcam_heatmap = gradcam_submodel_loop\n"
        "make_gradcam_plus_plus_heatmap = pp_is_gradcam\n"
        "integrated_gradients = ig_right_riemann_loop\n"))
    proc = StudentProcess(get_zygote())
    report = proc.run_notebook(nbformat.writes(nbformat.v4.new_notebook(cells=cells)))
    assert not report.cell_errors and not report.setup_error, report
    yield SandboxStudent(proc)
    proc.close()


@pytest.mark.slow
def test_correct_gradcam_and_ig_pass_in_the_sandbox(student):
    for results in (explain.check_gradcam(student.make_gradcam_heatmap),
                    integrated_gradients.check_integrated_gradients(student.integrated_gradients)):
        assert [r.name for r in results if not r.passed] == []


@pytest.mark.slow
def test_plain_gradcam_posing_as_plus_plus_fails_in_the_sandbox(student):
    results = explain.check_gradcam_plus_plus(student.make_gradcam_plus_plus_heatmap)
    assert "gradcampp_vs_gradcam" in [r.name for r in results if not r.passed]
