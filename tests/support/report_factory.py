"""Hand-made SubmissionResults for the report tests (no grading engine needed)."""

from __future__ import annotations

import numpy as np

from autograder.model import (
    CheckResult,
    Isolation,
    IsolationFeature,
    IsolationMode,
    SubmissionResult,
    TestOutcome,
)


def make_result(student: str = "ana", *, error: str | None = None,
                artifacts: bool = False) -> SubmissionResult:
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
    arts = {}
    if artifacts:
        yy, xx = np.mgrid[0:32, 0:32]
        heat = np.exp(-((yy - 8) ** 2 + (xx - 20) ** 2) / 40.0)
        img = np.stack([xx * 8, yy * 8, np.full_like(xx, 128)], -1).astype("uint8")
        arts = {"gradcam": {"gradcam_localization.image": img,
                            "gradcam_localization.heatmap": heat,
                            "gradcam_localization.reference": heat.T},
                "augmentation": {"aug_stochastic.images": np.stack([img, img[::-1], img[:, ::-1],
                                                                    img[::-1, ::-1]])}}
    return SubmissionResult(
        student=student, assignment="ut3_10_flowers", notebook=f"{student}/ut3_10_flowers.ipynb",
        outcomes=outcomes, max_score=10.0, error=error,
        lint=[{"cell": 7, "line": 3, "func": "mixup", "kind": "unfilled",
               "message": "Hueco `___` sin rellenar en la celda 7, línea 3 (función `mixup`)."}],
        skipped_cells=[12, 15],
        cell_errors=[{"cell": 4, "line": 2, "exc_type": "NameError",
                      "message": "name 'tf' is not defined"}], isolation=Isolation(IsolationMode.SANDBOX, (IsolationFeature.USER_NAMESPACE,)),
        execution_time=12.34, artifacts=arts)
