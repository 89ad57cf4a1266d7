"""The security tests count the processes a grading run leaves behind: no evaluator is kept
warm across them (the parked ones of earlier tests are stopped first)."""

from __future__ import annotations

import pytest

from autograder.grading.executors.local import keep_warm, warm_limit


@pytest.fixture(autouse=True)
def _no_warm_evaluators():
    before = warm_limit()
    keep_warm(0)
    yield
    keep_warm(before)
