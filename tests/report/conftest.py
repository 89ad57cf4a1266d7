"""Fixtures for the report tests (hand-made results live in report_factory.py)."""

from __future__ import annotations

import pytest

from autograder.model import SubmissionResult
from tests.support.cli_helpers import fake_engine  # noqa: F401 - re-exported as a fixture
from tests.support.report_factory import make_result


@pytest.fixture
def result() -> SubmissionResult:
    return make_result()
