"""A light task for a bare `LimitedPool` (imports nothing heavy in the evaluator)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path


def stall_or_answer(job: tuple[float, str]) -> int:
    """Start a grandchild in its own session (its pid written to `job[1]`), then take
    `job[0]` seconds; return this pid."""
    seconds, pidfile = job
    child = subprocess.Popen(["sleep", "120"], start_new_session=True)
    Path(pidfile).write_text(str(child.pid))
    time.sleep(seconds)
    return os.getpid()


def evaluator_pid(_task: object) -> int:
    """The pid of the evaluator that ran this task."""
    return os.getpid()
