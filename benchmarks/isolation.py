#!/usr/bin/env python
"""Isolation (issue 11): time overhead per notebook, and the attack x outcome table.

1. Overhead: the toy assignment's reference notebook graded N times with a warm zygote, with
   `--isolation none` (rlimits + private temp dir: what a machine without bubblewrap got before
   issue 11) and with the default sandbox (bubblewrap user namespace, seccomp, per-student
   cgroup); prints the median seconds per notebook and the zygote start-up of each mode.
2. Attacks: each hostile notebook of tests/security/test_isolation.py graded in one batch with an
   honest student after it (default sandbox only: several attacks would harm the host without
   it); prints the attack's score, what its probes printed, and the honest student's score.

    .venv/bin/python benchmarks/isolation.py [--runs 10] [--preload numpy,autograder.sandbox.wire]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

MARKERS = ("LEAK", "BLOCKED", "ESCAPED", "REFUSED", "STAYED", "KILLED", "HELD", "ALIVE",
           "SHM", "UID")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=10, help="warm notebooks per mode (default 10)")
    p.add_argument("--preload", default="numpy,autograder.sandbox.wire",
                   help="AUTOGRADER_SANDBOX_PRELOAD of the zygote ('' = the TF stack)")
    p.add_argument("--skip-attacks", action="store_true")
    return p.parse_args(argv)


def overhead(runs: int, work: Path) -> None:
    from autograder.grading.pipeline import grade_notebook
    from autograder.model import IsolationMode
    from autograder.sandbox import zygote
    from tests.support import toy_notebooks as T

    nb = T.write(work / "ref.ipynb", T.REFERENCE)
    print("| mode | zygote start (s) | median per notebook (s) | min | max | score |")
    print("|---|---|---|---|---|---|")
    for mode in (IsolationMode.NONE, IsolationMode.SANDBOX):
        t0 = time.monotonic()
        z = zygote.get_zygote(mode=mode)
        start = time.monotonic() - t0
        times, score = [], None
        for _ in range(runs):
            t0 = time.monotonic()
            r = grade_notebook(nb, str(T.TOY), isolation=mode)
            times.append(time.monotonic() - t0)
            score = r.score
        print(f"| {mode.value} | {start:.2f} | {statistics.median(times):.3f} | "
              f"{min(times):.3f} | {max(times):.3f} | {score:g} |")
        z.close()


def attacks(work: Path) -> None:
    from autograder.grading.batch import grade_batch
    from autograder.sandbox import seccomp
    from tests.security import test_isolation as A
    from tests.support import toy_notebooks as T

    nrs = seccomp.TABLES[platform.machine()][2]
    cases = {
        "read /etc/shadow, repo, solutions/, home, /sys": (A.SECRETS.format(paths=A._secrets()), {}),
        "unshare/setns/ptrace/mount/keyctl/bpf, /proc/<zygote>/mem": (
            f"KEYCTL, BPF = {nrs['keyctl']}, {nrs['bpf']}\n" + A.ESCAPES, {}),
        "kill the zygote / pid 1 / everything": (A.SIGNALS, {}),
        "leave the pids/memory cgroup": (A.CGROUP_ESCAPE, {}),
        "fill /dev/shm (limit 200 MB)": (A.TMPFS_BOMB.replace('["/dev/shm", "/tmp"]',
                                                              '["/dev/shm"]'), {"memory_mb": 200}),
        "fill /tmp (limit 200 MB)": (A.TMPFS_BOMB.replace('["/dev/shm", "/tmp"]', '["/tmp"]'),
                                     {"memory_mb": 200}),
        "3 helpers x 130 MB (limit 350 MB)": (A.HELPERS, {"memory_mb": 350}),
        "fork bomb (400 forks, pids.max 64)": (FORK_BOMB, {}),
        "daemon + /dev/shm channel to next": (A.DAEMON, {}),
    }
    print("| attack | attack score | what its probes saw | next student | seconds |")
    print("|---|---|---|---|---|")
    for i, (name, (src, kw)) in enumerate(cases.items()):
        paths = [T.write(work / f"a{i}" / "a.ipynb", T.EMPTY, src),
                 T.write(work / f"a{i}" / "b.ipynb", T.REFERENCE, A.LISTEN)]
        t0 = time.monotonic()
        a, b = grade_batch(paths, str(T.TOY), work / f"out{i}", progress=False, timeout=5,
                           call_timeout=3, **({"memory_mb": 400} | kw))
        seen = _summary(a.stdout_tail)
        nxt = f"{b.score:g}/5" + ("" if "SHM [] TMP []" in b.stdout_tail else " (saw files!)")
        print(f"| {name} | {a.score:g} | {seen} | {nxt} | {time.monotonic() - t0:.1f} |")


FORK_BOMB = '''
import os, time
n = 0
for _ in range(400):
    try:
        pid = os.fork()
    except OSError as e:
        print("REFUSED fork after", n)
        break
    if pid == 0:
        time.sleep(60)
        os._exit(0)
    n += 1
else:
    print("ESCAPED", n, "forks")
'''


def _summary(tail: str) -> str:
    counts: dict[str, int] = {}
    wrote = [int(m) for m in re.findall(r"^WROTE \S+ (\d+)", tail, re.M)]
    for line in tail.splitlines():
        word = line.split(" ", 1)[0]
        if word in MARKERS:
            counts[word] = counts.get(word, 0) + 1
    parts = [f"{k} x{v}" for k, v in counts.items()]
    if wrote:
        parts.append(f"wrote {max(wrote)} MB then killed")
    if m := re.search(r"REFUSED fork after (\d+)", tail):
        parts.append(f"fork refused after {m.group(1)}")
    return ", ".join(parts) or "(nothing printed: killed)"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.preload:
        os.environ["AUTOGRADER_SANDBOX_PRELOAD"] = args.preload
    with tempfile.TemporaryDirectory(prefix="isolation-bench-") as tmp:
        overhead(args.runs, Path(tmp))
        if not args.skip_attacks:
            os.environ["AUTOGRADER_PIDS_MAX"] = "64"
            print()
            attacks(Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
