#!/usr/bin/env python
"""Ray backend overhead: the local pool vs Ray on a local cluster, same 40 small notebooks.

Grades N copies (default 40) of the light toy assignment (tests/fixtures/sandbox_toy, zygotes
preload numpy only) with `grade_batch(..., jobs=J)` on the local pool, then with
`backend="ray"` on a Ray cluster: the one at `--address`, or else a local one this script starts
(`ray.init(num_cpus=J)`, no dashboard). For each backend it prints the start-up (executor
created -> first result: workers spawned and warm) and the steady per-task time after it, and
the ratios Ray / local. Not a test.

    .venv/bin/python benchmarks/ray_overhead.py [--students 40] [--jobs 2] [--address HOST:PORT]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("AUTOGRADER_SANDBOX_PRELOAD", "numpy,autograder.sandbox.wire")

from autograder.grading.batch import grade_batch  # noqa: E402
from tests.support import toy_notebooks as T  # noqa: E402


def timed_batch(paths: list[Path], out: Path, **kw) -> tuple[float, float, list[float]]:
    """(start-up s, total s, scores): start-up = call -> first result written."""
    first: list[float] = []
    t0 = time.monotonic()
    results = grade_batch(paths, str(T.TOY), out, progress=False, timeout=60,
                          on_result=lambda r: first or first.append(time.monotonic()), **kw)
    total = time.monotonic() - t0
    return first[0] - t0, total, [r.score for r in results]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--students", type=int, default=40)
    p.add_argument("--jobs", type=int, default=2, help="local pool size / Ray CPUs")
    p.add_argument("--address", help="an existing Ray cluster (default: start a local one)")
    args = p.parse_args(argv)
    import ray

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = [T.write(root / "subs" / f"s{i:03d}.ipynb", T.REFERENCE if i % 2 else T.EMPTY)
                 for i in range(args.students)]
        rows = {}
        rows["local"] = timed_batch(paths, root / "local", jobs=args.jobs)
        t0 = time.monotonic()
        if args.address:
            ray.init(address=args.address, log_to_driver=False)
        else:  # a throwaway cluster: no auth token written into ~/.ray for later clusters
            os.environ.setdefault("RAY_AUTH_MODE", "disabled")
            ray.init(num_cpus=args.jobs, include_dashboard=False, log_to_driver=False,
                     runtime_env={"env_vars": {k: v for k, v in os.environ.items()
                                               if k.startswith("AUTOGRADER_")}})
        connect = time.monotonic() - t0
        try:
            rows["ray"] = timed_batch(paths, root / "ray", backend="ray", jobs=args.jobs)
        finally:
            ray.shutdown()
    assert rows["local"][2] == rows["ray"][2], "the backends disagree on scores"
    n = args.students
    print(f"{n} notebooks, {args.jobs} workers; ray.init: {connect:.1f} s (cluster start-up)")
    print(f"{'backend':8} {'start-up s':>10} {'total s':>8} {'per task s':>10}")
    per = {}
    for name, (start, total, _) in rows.items():
        per[name] = (total - start) / max(1, n - 1)
        print(f"{name:8} {start:10.2f} {total:8.2f} {per[name]:10.3f}")
    print(f"ratio ray/local: start-up {rows['ray'][0] / rows['local'][0]:.2f}x, "
          f"per task {per['ray'] / per['local']:.2f}x, total {rows['ray'][1] / rows['local'][1]:.2f}x; "
          f"overhead per task {1000 * (per['ray'] - per['local']):+.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
