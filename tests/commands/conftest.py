"""Fixtures for the CLI tests (notebooks and the engine stand-in live in cli_helpers.py)."""

from tests.support.cli_helpers import fake_engine  # noqa: F401 - re-exported as a fixture
