"""The pytest plugin + runner turn hidden tests into scored outcomes."""

from pathlib import Path

import pytest

from autograder import assignment as assignment_mod
from autograder.grading.suite import NamespaceStudent, run_suite

MINI = Path(__file__).parent.parent / "fixtures" / "mini_assignment"


@pytest.fixture(scope="module")
def mini():
    return assignment_mod.load(MINI)


def test_correct_student_gets_full_marks(mini):
    outcomes, _ = run_suite(mini, NamespaceStudent({"double": lambda x: 2 * x, "halve": lambda x: x // 2}))
    assert set(outcomes) == {"double", "halve", "extra"}  # gpu test deselected on CPU
    assert outcomes["double"].score == 2 and outcomes["double"].status == "passed"
    assert outcomes["halve"].score == 1
    assert [r.name for r in outcomes["double"].results] == ["double_1", "double_5"]


def test_partial_credit_and_messages(mini):
    wrong = NamespaceStudent({"double": lambda x: 2 if x == 1 else 0})
    outcomes, _ = run_suite(mini, wrong)
    assert outcomes["double"].status == "failed"
    assert outcomes["double"].score == pytest.approx(1.0)  # one of two checks passed
    assert "double(5) = 0, esperado 10" in outcomes["double"].message
    assert outcomes["halve"].score == 0 and "falta halve" in outcomes["halve"].message


def test_not_implemented_and_exceptions_score_zero(mini):
    def not_impl(x):
        raise NotImplementedError()

    outcomes, _ = run_suite(mini, NamespaceStudent({"double": not_impl, "halve": lambda x: 1 / 0}))
    assert outcomes["double"].score == 0
    assert all(r.status == "not_implemented" for r in outcomes["double"].results)
    assert "todavía no está implementada" in outcomes["double"].message
    assert outcomes["halve"].status == "error" and "ZeroDivisionError" in outcomes["halve"].message


def test_select_visible_only(mini):
    student = NamespaceStudent({"double": lambda x: 2 * x})
    outcomes, _ = run_suite(mini, student, visible_only=True)
    assert list(outcomes) == ["double"]
    outcomes, _ = run_suite(mini, student, select=["halve"])
    assert list(outcomes) == ["halve"]


def test_max_score_excludes_bonus_and_gpu(mini):
    assert mini.max_score() == 3
    assert mini.max_score(gpu=True) == 8


def test_weights_from_assignment_toml_shape_partial_credit():
    # double_1 passes (weight 1), double_5 fails (weight 3): 1/4 of the 4 points
    weighted = assignment_mod.load(MINI.parent / "weighted_assignment")
    outcomes, _ = run_suite(weighted, NamespaceStudent({"double": lambda x: 2 if x == 1 else 0}))
    assert outcomes["weighted"].score == pytest.approx(1.0)
    assert [r.max_score for r in outcomes["weighted"].results] == [1.0, 3.0]


def test_a_same_named_suite_in_another_folder_runs_its_own_tests(mini, tmp_path):
    # the student bundle's visible copy and the full hidden suite share a file name; pytest's
    # importlib mode caches modules by name, so the second run must not reuse the first's module
    import shutil

    copy = tmp_path / "mini_assignment"
    shutil.copytree(MINI, copy)
    suite = copy / "tests" / "test_mini_assignment.py"
    suite.write_text(suite.read_text().replace("assert student.halve(4) == 2",
                                               "assert student.halve(4) == 'never'"))
    student = NamespaceStudent({"double": lambda x: 2 * x, "halve": lambda x: x // 2})
    first, _ = run_suite(assignment_mod.load(copy), student, select=["halve"])
    second, _ = run_suite(mini, student, select=["halve"])
    assert first["halve"].score == 0 and second["halve"].score == 1
