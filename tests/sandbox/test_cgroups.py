"""Per-student cgroups: what a killed grader leaves behind is cleaned up by the next one."""

from __future__ import annotations

import subprocess
import time

import pytest

from autograder.sandbox import cgroups


@pytest.mark.skipif(not cgroups.available(), reason="no writable cgroup hierarchy here "
                    "(grade as root or with a delegated cgroup to run this)")
def test_stale_frozen_group_of_a_dead_grader_is_thawed_killed_and_removed():
    # a grader killed between "freeze" and "thaw" leaves its student frozen: a frozen task
    # cannot even die with its parent; the next grader must clean it up
    proc = subprocess.Popen(["sleep", "600"])
    dead_pid = 999_999_999  # no process has this pid
    group = cgroups.StudentCgroup.create(f"autograder-{dead_pid}-test", cgroups.Limits(64, 16, 1.0))
    try:
        group.add(proc.pid)
        if not group.v2:
            (group.dirs["freezer"] / "freezer.state").write_text("FROZEN")
        else:
            (group.dirs["unified"] / "cgroup.freeze").write_text("1")
        cgroups.remove_stale()
        deadline = time.monotonic() + 10
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.poll() is not None, "the frozen student survived the cleanup"
        cgroups.remove_stale()  # (a real orphan is reaped at once; this one by poll() above)
        assert not any(d.exists() for d in group.dirs.values())
    finally:
        proc.kill()
        group.kill()
        group.remove()
