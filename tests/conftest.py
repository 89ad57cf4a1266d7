"""Settings of the kit's own test session (never loaded by a hidden suite's run: its rootdir is
the assignment's tests folder).

Warm evaluators: the session grades hundreds of batches in this one process; like nbgrader's
autograde (`TrustedExecute.warm_evaluators`), it keeps idle evaluators between them instead of
starting TensorFlow and a zygote for every `grade` call (`executors.local.keep_warm`).
Tests that count processes turn it off (`tests/security/conftest.py`).
"""

from __future__ import annotations

from autograder.grading.executors.local import keep_warm

WARM_EVALUATORS = 3  # the TF, numpy-only and --isolation none evaluators the tests alternate


def pytest_configure(config) -> None:
    keep_warm(WARM_EVALUATORS)
