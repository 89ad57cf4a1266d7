"""Fail closed (issue 11): where bubblewrap cannot create its namespaces, `grade`, `check` and
`validate` stop with exit 2 and one line saying why and what to do; nothing is graded and nothing
falls back silently. Simulated with AUTOGRADER_BWRAP pointing at a bwrap that fails the way an
unprivileged container's does."""

from __future__ import annotations

import pytest

from autograder.cli import main
from autograder.model import IsolationMode
from autograder.sandbox.isolation import requested_mode
from tests.support import toy_notebooks as T


@pytest.fixture
def broken_bwrap(tmp_path, monkeypatch):
    fake = tmp_path / "bin" / "bwrap"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'bwrap: setting up uid map: Permission denied' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("AUTOGRADER_BWRAP", str(fake))
    monkeypatch.delenv("AUTOGRADER_ISOLATION", raising=False)
    return fake


@pytest.mark.parametrize("command", ["grade", "check"])
def test_commands_exit_2_when_namespaces_are_unavailable(tmp_path, capsys, broken_bwrap,
                                                         command):
    nb = T.write(tmp_path / "ref.ipynb", T.REFERENCE)
    out = tmp_path / "out"
    argv = [command, str(nb), "--assignment", str(T.TOY)] + (["-o", str(out)]
                                                              if command == "grade" else [])
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "setting up uid map: Permission denied" in err[0]
    assert "--isolation none" in err[0] and "unprivileged_userns_clone" in err[0]
    assert not (out / "ref").exists()  # nothing graded, no report written


def test_validate_exits_2_too(capsys, broken_bwrap):
    assert main(["validate", "sandbox_toy"]) == 2
    assert "--isolation none" in capsys.readouterr().err


def test_isolation_mode_is_explicit():
    assert requested_mode(None) == IsolationMode.SANDBOX
    assert requested_mode("none") == IsolationMode.NONE
    with pytest.raises(Exception, match="unknown isolation"):
        requested_mode("weak")


def test_batch_stops_instead_of_zeroing_every_student(tmp_path, broken_bwrap):
    from autograder.grading.batch import grade_batch
    from autograder.sandbox.isolation import IsolationUnavailable

    paths = [T.write(tmp_path / f"{s}.ipynb", T.REFERENCE) for s in ("a", "b")]
    with pytest.raises(IsolationUnavailable, match="uid map"):
        grade_batch(paths, str(T.TOY), tmp_path / "out", progress=False)
    assert not list((tmp_path / "out").glob("*/record.json"))
