"""Every bundled assignment, one parametrised suite: assignment.toml <-> hidden suite, the
reference earns every point, the untouched template scores 0 with "not implemented" feedback,
and the sample submissions in tests/submissions/<name>/ are graded exactly as their
expected.toml says (one schema, described in tests/submissions/ut3_10_flowers/expected.toml).

Graded with the sandboxed grader `autograder validate` uses, each notebook once per assignment.
"""

from __future__ import annotations

import re
import tomllib

import pytest

from autograder.assignment import REPO_ROOT, all_names, assignments_dir
from autograder.assignment import load as load_assignment

NAMES = sorted(all_names())
SUBMISSIONS = REPO_ROOT / "tests" / "submissions"


def _expected(name: str) -> dict:
    return tomllib.loads((SUBMISSIONS / name / "expected.toml").read_text(encoding="utf-8"))


SAMPLES = [(name, sample) for name in NAMES for sample in _expected(name)]


@pytest.fixture(scope="module")
def graded():
    """grade(name, path) -> SubmissionResult, each notebook graded once."""
    from autograder.commands.validate import grader_function

    grade, _ = grader_function()
    cache: dict[tuple[str, str], object] = {}

    def _grade(name: str, path):
        key = (name, str(path))
        if key not in cache:
            a = load_assignment(name)  # the probe seed pinned: expected.toml's exact scores
            cache[key] = grade(path, a, profile="ci", student_id=path.stem, probe_seed=a.seed)
        return cache[key]
    return _grade


def _scores(result) -> dict[str, float]:
    return {k: round(o.score, 4) for k, o in result.outcomes.items()}


def test_there_are_bundled_assignments_with_samples():
    assert {"ut3_10_flowers", "p10x_pets"} <= set(NAMES)
    assert {name for name, _ in SAMPLES} == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_toml_tests_match_hidden_suite(name):
    a = load_assignment(name)
    suite = (a.tests_dir / f"test_{name}.py").read_text(encoding="utf-8")
    assert set(re.findall(r"^def test_(\w+)\(", suite, flags=re.M)) == {t.id for t in a.tests}
    for t in a.tests:
        assert t.paso and t.points > 0 and set(t.functions) <= set(a.functions), t.id


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_reference_earns_every_point(name, graded):
    a = load_assignment(name)
    result = graded(name, a.notebook)
    assert not result.error, result.error
    for spec in a.tests:
        if not spec.gpu:
            assert result.outcomes[spec.id].score == pytest.approx(spec.points), (
                spec.id, _scores(result), result.outcomes[spec.id].message[:300])


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_untouched_template_scores_zero_not_implemented(name, graded):
    result = graded(name, assignments_dir() / name / f"{name}.ipynb")
    assert result.score == 0, _scores(result)
    for test_id, outcome in result.outcomes.items():
        assert outcome.results, test_id
        assert outcome.results[0].status == "not_implemented", (test_id, outcome.results[0])
        assert "no está implementada" in outcome.results[0].message


@pytest.mark.slow
@pytest.mark.parametrize(("name", "sample"), SAMPLES)
def test_sample_submission_graded_as_expected(name, sample, graded):
    want = _expected(name)[sample]
    result = graded(name, SUBMISSIONS / name / want["notebook"])
    assert result.error is None, result.error
    lost = want.get("tests", {})
    for test_id, outcome in result.outcomes.items():
        failed = sorted(r.name for r in outcome.results if not r.passed)
        if test_id not in lost:
            assert outcome.score == pytest.approx(outcome.points), (test_id, failed)
            continue
        spec = lost[test_id]
        assert failed == sorted(spec["failed"]), test_id
        assert outcome.score == pytest.approx(spec["score"], abs=2e-3), test_id
        text = " ".join(f"{r.message} {r.hint}" for r in outcome.results if not r.passed)
        for fragment in spec["message_contains"]:
            assert fragment in text, (test_id, fragment, text[:500])
    assert set(lost) <= set(result.outcomes)
    assert result.score == pytest.approx(want["score"], abs=5e-3), _scores(result)


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_every_weighted_check_exists(name, graded):
    a = load_assignment(name)
    result = graded(name, a.notebook)
    names = {r.name for o in result.outcomes.values() for r in o.results}
    for spec in a.tests:
        assert set(spec.weights) <= names, (spec.id, set(spec.weights) - names)
