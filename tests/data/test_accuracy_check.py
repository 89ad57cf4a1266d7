"""checks.accuracy: the GPU-profile accuracy a notebook reports, and the hidden gpu test wiring."""

from __future__ import annotations

from autograder.assignment import load
from autograder.checks.accuracy import check_accuracy, read_metric
from autograder.grading.suite import NamespaceStudent, run_suite


def test_threshold_both_ways():
    assert check_accuracy(0.81, min_value=0.7)[0].passed
    low = check_accuracy(0.527, min_value=0.7)[0]
    assert not low.passed and "0.5270" in low.message and "resnet50.preprocess_input" in low.hint
    for bad in (None, "x", float("nan"), 52.7):
        result = check_accuracy(bad, min_value=0.7)[0]
        assert not result.passed and result.status == "error" and "test_accuracy" in result.hint


def test_read_metric_tolerates_missing_and_failing_students():
    class Broken:
        def global_value(self, name):
            raise RuntimeError("crashed")

    assert read_metric(NamespaceStudent({"test_accuracy": 0.8}), "test_accuracy") == 0.8
    assert read_metric(NamespaceStudent({}), "test_accuracy") is None
    assert read_metric(Broken(), "test_accuracy") is None
    assert read_metric(object(), "test_accuracy") is None


def test_hidden_gpu_test_runs_only_with_gpu_and_scores_the_reported_accuracy():
    a = load("ut3_10_flowers")
    good = NamespaceStudent({"test_accuracy": 0.83})
    outcomes, _ = run_suite(a, good, select=["accuracy"])
    assert outcomes == {}  # gpu tests are not part of CPU grading
    outcomes, _ = run_suite(a, good, select=["accuracy"], gpu=True)
    assert outcomes["accuracy"].score == 2
    outcomes, _ = run_suite(a, NamespaceStudent({"test_accuracy": 0.527}), select=["accuracy"],
                            gpu=True)
    assert outcomes["accuracy"].score == 0 and "0.5270" in outcomes["accuracy"].message
