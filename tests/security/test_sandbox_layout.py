"""What the sandbox shows the student, whatever the install: the guest modules come from a private
copy on PYTHONPATH (no editable-install finder needed), a kit installed inside the bound
virtualenv is hidden, /etc holds only the files Python needs, and the seccomp program is well
formed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.sandbox import isolation, seccomp

REPO = Path(__file__).resolve().parents[2]


def _cmd(tmp_path: Path) -> list[str]:
    guest = isolation.guest_tree()
    try:
        return isolation.bwrap_command("bwrap", False, isolation.scrubbed_env(False), [], guest,
                                       None)
    finally:
        shutil.rmtree(guest)


def test_minimal_etc_and_private_guest_modules(tmp_path):
    cmd = _cmd(tmp_path)
    pairs = list(zip(cmd, cmd[1:], cmd[2:], strict=False))
    assert ("--ro-bind", "/etc", "/etc") not in pairs
    assert not any(p[2] == "/etc/shadow" for p in pairs)
    assert any(p[0] == "--ro-bind" and p[2] == "/etc/passwd" for p in pairs)
    assert ("--setenv", "PYTHONPATH", isolation.GUEST_ROOT) in pairs
    assert "--unshare-user" in cmd and cmd[cmd.index("--uid") + 1] == "65534"
    assert cmd.count("--size") == 2  # /tmp and /dev/shm are bounded
    assert str(REPO) not in [c for c in cmd if not c.startswith(str(REPO) + "/.venv")]


def test_kit_inside_the_bound_venv_is_hidden(tmp_path, monkeypatch):
    inside = Path(sys.prefix) / "lib" / "site-packages-fake" / "autograder"
    guest = isolation.guest_tree()
    monkeypatch.setattr(isolation, "PACKAGE_DIR", inside)
    try:
        cmd = isolation.bwrap_command("bwrap", False, {}, [], guest, None)
    finally:
        shutil.rmtree(guest)
    assert ("--tmpfs", str(inside)) in list(zip(cmd, cmd[1:], strict=False))


def test_guest_tree_holds_only_the_guest_modules():
    guest = Path(isolation.guest_tree())
    try:
        files = sorted(str(p.relative_to(guest / "autograder"))
                       for p in (guest / "autograder").rglob("*.py"))
        assert files == sorted(isolation.GUEST_MODULES)
        assert (guest / "passwd").read_text().startswith("nobody:x:65534:65534:")
    finally:
        shutil.rmtree(guest)


def test_seccomp_program_is_well_formed():
    for machine in seccomp.TABLES:
        prog = seccomp.program(machine)
        assert prog and len(prog) % 8 == 0 and len(prog) // 8 < 255
    assert seccomp.program("sparc") is None


@pytest.mark.slow
def test_a_copied_kit_under_tmp_grades_in_the_sandbox(tmp_path):
    """A plain (non-editable) copy of the package in a folder under /tmp: the guest must not
    depend on the editable finder, and the private /tmp must not hide it."""
    shutil.copytree(REPO / "autograder", tmp_path / "kit" / "autograder",
                    ignore=shutil.ignore_patterns("__pycache__"))
    script = f'''
import autograder, sys
assert autograder.__file__.startswith({str(tmp_path)!r}), autograder.__file__
sys.path.append({str(REPO)!r})
from tests.support import toy_notebooks as T
from pathlib import Path
from autograder.grading.pipeline import grade_notebook
r = grade_notebook(T.write(Path({str(tmp_path)!r}) / "ref.ipynb", T.REFERENCE), str(T.TOY))
print("SCORE", r.score, r.isolation.mode.value)
'''
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "kit"),
               AUTOGRADER_SANDBOX_PRELOAD="numpy,autograder.sandbox.wire")
    env.pop("AUTOGRADER_ISOLATION", None)
    run = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=300)
    assert "SCORE 5.0 sandbox" in run.stdout, run.stdout + run.stderr[-2000:]
