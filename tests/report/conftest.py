"""Fixtures for the report tests (hand-made results live in report_factory.py)."""

from __future__ import annotations

import pytest
from report_factory import make_result

from autograder.submission import SubmissionResult


@pytest.fixture
def result() -> SubmissionResult:
    return make_result()
