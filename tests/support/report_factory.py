"""Hand-made SubmissionResults for the report tests (no grading engine needed)."""

from __future__ import annotations

import numpy as np

from autograder.model import (
    CheckResult,
    Isolation,
    IsolationFeature,
    IsolationMode,
    Picture,
    RunError,
    SubmissionResult,
    TestOutcome,
)

SANDBOX = Isolation(IsolationMode.SANDBOX, tuple(IsolationFeature))


def make_result(student: str = "ana", *, error: str | None = None,
                pictures: bool = False) -> SubmissionResult:
    """A realistic mixed result: one passed, one partial (wrong), one not implemented, one
    visible error, one bonus."""
    mix_ok = CheckResult.ok("mixup_shapes")
    mix_bad = CheckResult.fail("mixup_same_lambda",
                               "La etiqueta de la muestra 3 usa lambda=0.41 pero la imagen usa 0.73.",
                               hint="Usa la MISMA `lam` para imágenes y etiquetas.")
    todo = CheckResult.fail("gradcam_contract",
                            "La función `make_gradcam_heatmap` todavía no está implementada.",
                            status="not_implemented")
    err = CheckResult.fail("pipeline_batch", "`make_pipeline` lanzó ValueError: <script>alert(1)</script>",
                           status="error")
    outcomes = {
        "augmentation": TestOutcome("augmentation", 2, 2.0, "passed", "", "PASO 3", True, False,
                                    False, 0.4, [CheckResult.ok("aug_identity"),
                                                 CheckResult.ok("aug_stochastic")]),
        "mixup": TestOutcome("mixup", 2, 1.0, "failed", "", "PASO 6", False, False, False, 0.9,
                             [mix_ok, mix_bad]),
        "gradcam": TestOutcome("gradcam", 3, 0.0, "failed", "", "PASO 9", False, False, False, 0.1,
                               [todo]),
        "pipeline": TestOutcome("pipeline", 1, 0.0, "failed", "", "PASO 3", True, False, False, 0.2,
                                [err]),
        "cutmix": TestOutcome("cutmix", 1, 0.0, "failed", "", "PASO 6", False, True, False, 0.2,
                              [CheckResult.fail("cutmix_box", "No hay un único rectángulo pegado.",
                                                hint="Pega UNA caja rectangular de la pareja.")]),
    }
    pics: dict[str, dict[str, Picture]] = {}
    if pictures:
        yy, xx = np.mgrid[0:32, 0:32]
        heat = np.exp(-((yy - 8) ** 2 + (xx - 20) ** 2) / 40.0)
        img = np.stack([xx * 8, yy * 8, np.full_like(xx, 128)], -1).astype("uint8")
        pics = {"gradcam": {"gradcam_localization": Picture("heatmap", image=img, heatmap=heat,
                                                            reference=heat.T)},
                "augmentation": {"aug_stochastic": Picture(
                    "augmentation", images=np.stack([img, img[::-1], img[:, ::-1],
                                                     img[::-1, ::-1]]))}}
    return SubmissionResult(
        student=student, assignment="ut3_10_flowers", notebook=f"{student}/ut3_10_flowers.ipynb",
        outcomes=outcomes, max_score=10.0, error=error,
        lint=[{"cell": 7, "line": 3, "func": "mixup", "kind": "unfilled",
               "message": "Hueco `___` sin rellenar en la celda 7, línea 3 (función `mixup`)."}],
        skipped_cells=[12, 15],
        cell_errors=[{"cell": 4, "line": 2, "exc_type": "NameError",
                      "message": "name 'tf' is not defined"}], isolation=SANDBOX,
        execution_time=12.34, pictures=pics)


# ---- a synthetic class for the class report (tests/report/test_class_report.py) -------------
# Mini-like assignment: double (PASO 1, 2 points: checks double_1, double_5), halve (PASO 2,
# 1 point: check halve_values), extra (PASO 3, 1 bonus point: check extra_zero).

_NOT_IMPL = ("not_implemented", "La función `{f}` todavía no está implementada.",
             "common:not_implemented")
_RAISED = ("error", "`{f}` lanzó ValueError: boom", "common:raised")


def _check(name: str, verdict: object, func: str) -> CheckResult:
    """verdict: True (passed), a message string (wrong, no key), (status, text, key)."""
    if verdict is True:
        return CheckResult.ok(name)
    if isinstance(verdict, str):
        return CheckResult.fail(name, verdict)
    status, text, key = verdict  # type: ignore[misc]
    return CheckResult.fail(name, text.format(f=func), status=status, key=key)


def _outcome(tid: str, points: float, paso: str, bonus: bool, checks: list[CheckResult]
             ) -> TestOutcome:
    share = sum(c.passed for c in checks) / len(checks)
    status = "passed" if share == 1 else "failed"
    return TestOutcome(tid, points, points * share, status, "", paso, tid == "double", bonus,
                       False, 0.01, checks)


def class_member(student: str, d1: object, d5: object, halve: object, extra: object,
                 *, seconds: float = 1.0, restarts: int = 0) -> SubmissionResult:
    """One student of the synthetic class from per-check verdicts (see `_check`)."""
    outcomes = {
        "double": _outcome("double", 2, "PASO 1", False, [_check("double_1", d1, "double"),
                                                          _check("double_5", d5, "double")]),
        "halve": _outcome("halve", 1, "PASO 2", False, [_check("halve_values", halve, "halve")]),
        "extra": _outcome("extra", 1, "PASO 3", True, [_check("extra_zero", extra, "double")]),
    }
    return SubmissionResult(student=student, assignment="mini_assignment",
                            notebook=f"{student}.ipynb", outcomes=outcomes, max_score=3.0,
                            isolation=SANDBOX,
                            execution_time=seconds, restarts=restarts)


def notebook_failure(student: str, kind: RunError, *, seconds: float = 0.1) -> SubmissionResult:
    """A student whose notebook could not run (`kind`): every test 0, no check results."""
    r = class_member(student, True, True, True, True, seconds=seconds)
    for o in r.outcomes.values():
        o.score, o.status, o.results, o.message = 0.0, "error", [], "no se pudo ejecutar"
    r.error, r.error_kind = f"problema: {kind.value}", kind
    return r


def synthetic_class() -> list[SubmissionResult]:
    """Ten students with known numbers: scores 4, 3, 2, 1 and six zeros (bad file, timeout,
    crash, unfilled template, code that raised, wrong answers).

    double_5 fails for s03, s04, s10 with the same catalog key (different values), for s05
    (not implemented) and s09 (raised): pass rate 2/7; extra_zero passes only for s01 (1/7,
    the worst check)."""
    def wrong(x: int, got: int) -> tuple[str, str, str]:
        return ("wrong", f"double({x}) = {got}, esperado {2 * x}", "mini:double_value")

    return [
        class_member("s01", True, True, True, True, seconds=2.5),
        class_member("s02", True, True, True, "extra: 0 != 1", seconds=1.5),
        class_member("s03", True, wrong(5, 8), True, "extra: 0 != 1", seconds=9.0, restarts=1),
        class_member("s04", True, wrong(5, 11), "halve(4) = 3", "extra: 0 != 1"),
        class_member("s05", _NOT_IMPL, _NOT_IMPL, _NOT_IMPL, _NOT_IMPL),
        notebook_failure("s06", RunError.BAD_INPUT),
        notebook_failure("s07", RunError.TIMEOUT, seconds=60.0),
        notebook_failure("s08", RunError.CRASHED),
        class_member("s09", _RAISED, _RAISED, _RAISED, _RAISED),
        class_member("s10", wrong(1, 4), wrong(5, 13), "halve(4) = 7", "extra: 2 != 1"),
    ]
