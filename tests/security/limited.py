"""Grade notebooks in a child process with a hard address-space limit (for attacks on the
grader's memory: if a defence fails, only this child dies, never the test host).

Run as ``python tests/security/limited.py JOB.json OUT.json``; JOB holds ``assignment``,
``batch`` ([[student, path], ...]), ``alone`` ([[student, path], ...]), ``outdir``, ``options``.
OUT gets {"batch": {student: RESULT}, "alone": {student: RESULT}, "maxrss_mb": float} where
RESULT = {"score": float, "tests": {id: [score, message]}}.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

LIMIT_GB = 8


def grade_limited(job: dict[str, Any], tmp: Path, timeout: float = 600) -> dict[str, Any]:
    """Run `job` in a fresh interpreter under RLIMIT_AS = LIMIT_GB; its results."""
    job_path, out_path = tmp / "job.json", tmp / "out.json"
    job_path.write_text(json.dumps(job))
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=str(root))
    proc = subprocess.run([sys.executable, __file__, str(job_path), str(out_path)], cwd=root,
                          env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(out_path.read_text())


def peak_rss_mb() -> float:
    """This process image's peak RSS (VmHWM). Not getrusage's ru_maxrss: Linux carries that
    across execve, so a child exec'd from a large pytest process would report the parent's."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _summary(result: Any) -> dict[str, Any]:
    return {"score": float(result.score), "error": result.error,
            "tests": {k: [float(o.score), o.message] for k, o in result.outcomes.items()}}


def main(job_path: str, out_path: str) -> None:
    limit = LIMIT_GB * 1024 ** 3
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from autograder.grading.batch import grade_batch
    from autograder.grading.pipeline import grade_notebook

    job = json.loads(Path(job_path).read_text())
    opts = job.get("options", {})
    out: dict[str, Any] = {"batch": {}, "alone": {}}
    results = grade_batch([tuple(x) for x in job["batch"]], job["assignment"], job["outdir"],
                          progress=False, **opts)
    for (student, _), r in zip(job["batch"], results, strict=True):
        out["batch"][student] = _summary(r)
    for student, path in job.get("alone", []):
        out["alone"][student] = _summary(grade_notebook(path, job["assignment"], **opts))
    out["maxrss_mb"] = peak_rss_mb()
    Path(out_path).write_text(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
