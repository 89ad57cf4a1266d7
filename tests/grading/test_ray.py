"""The `ray` backend on a real two-node Ray cluster on 127.0.0.1 (no mocks).

The `cluster` fixture starts a head node and a second node (`ray start`, 1 CPU each, no
dashboard, temp dirs under tmp_path, loopback only) and stops exactly the processes it started.
Eight toy submissions (correct, buggy, hostile) graded with `--backend ray` must score like the
local backend check by check; killing the second node mid-batch loses and duplicates nothing;
a killed driver resumes without regrading. Light zygotes (numpy only) keep it fast.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from autograder.grading.batch import grade_batch
from autograder.grading.executors.ray import FolderBundle
from tests.support import toy_notebooks as T

PRELOAD = {"AUTOGRADER_SANDBOX_PRELOAD": "numpy,autograder.sandbox.wire"}
START_S = 240  # bound on bringing the cluster up (a loaded 2-core machine is slow)
GRADE = ["--timeout", "30"]
BUGGY_NORMALIZE = T.REFERENCE.replace("(x - x.mean()) / x.std()", "x - x.mean()")

SUBMISSIONS: dict[str, tuple[str, ...] | bytes] = {
    "ana": (T.REFERENCE,),  # correct
    "beto": (T.EMPTY,),  # the untouched template
    "caro": (BUGGY_NORMALIZE,),  # one function wrong
    "dani": (T.REFERENCE, "import os\nos._exit(3)"),  # hostile: kills its own process
    "eva": b"\x00\x01 not a notebook",  # garbage bytes
    "fede": (T.REFERENCE, "import glob\nLEAK = glob.glob('/tmp/autograder-ship-*/**', "
                          "recursive=True)\nassert not LEAK, LEAK"),  # looks for hidden tests
    "gala": (T.REFERENCE.replace("return a + b", "raise ValueError('no')"),),  # raises
    "hugo": (T.REFERENCE, "print('x' * 2_000_000)"),  # floods stdout
}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ray(*args: str) -> list[str]:
    return [sys.executable, "-m", "ray.scripts.scripts", *args]


@dataclass
class Cluster:
    address: str
    head: subprocess.Popen
    second: subprocess.Popen
    second_node_id: str
    root: Path
    temp: Path

    def kill_second(self) -> None:
        """SIGKILL every process of the second node (its `ray start`, raylet and workers)."""
        _kill_tree(self.second.pid)

    def stop(self) -> None:
        for p in (self.second, self.head):
            _kill_tree(p.pid)
        for p in T.processes_with(str(self.temp)):  # daemons that left the process tree
            _kill_tree(p.pid)


def _kill_tree(pid: int) -> None:
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return
    for p in procs:
        try:
            p.send_signal(signal.SIGKILL)
        except psutil.Error:
            pass
    psutil.wait_procs(procs, timeout=10)


def _start(root: Path, temp: Path, head: bool, address: str,
           env: dict[str, str]) -> subprocess.Popen:
    name = "head" if head else "second"
    common = ["--node-ip-address", "127.0.0.1", "--num-cpus", "1", "--num-gpus", "0",
              "--memory", str(16 * 2**30), "--object-store-memory", str(100 * 2**20),
              "--disable-usage-stats", "--block", "--temp-dir", str(temp)]
    if head:
        port = address.rsplit(":", 1)[1]
        args = ["start", "--head", "--port", port, "--include-dashboard", "false",
                "--ray-client-server-port", str(_port())]
    else:
        args = ["start", "--address", address, "--node-manager-port", str(_port())]
    log = open(root / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(_ray(*args, *common), env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True, cwd=root)


def _alive_nodes(address: str) -> list[dict]:
    import ray

    ray.init(address=address, log_to_driver=False, configure_logging=False)
    try:
        return [n for n in ray.nodes() if n["Alive"]]
    finally:
        ray.shutdown()


def _fast_import_dir(root: Path) -> Path:
    """A PYTHONPATH entry for the cluster's processes that makes `rfc3987_syntax` (an optional
    jsonschema format checker that builds a lark grammar at import: ~2 s of CPU in every Ray
    process) unavailable; on a loaded 2-core machine the raylet otherwise gives up waiting for
    its agents (a fixed wait of about 15 s) and the node never starts."""
    stub = root / "fast_import" / "rfc3987_syntax"
    stub.mkdir(parents=True)
    (stub / "__init__.py").write_text('raise ImportError("skipped in the test cluster")\n')
    return stub.parent


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    root = tmp_path_factory.mktemp("raycluster")
    address = f"127.0.0.1:{_port()}"
    path = os.pathsep.join(filter(None, [str(_fast_import_dir(root)),
                                         os.environ.get("PYTHONPATH")]))
    # RAY_AUTH_MODE: a token left in ~/.ray by some other local Ray would otherwise switch
    # this cluster to token auth that its drivers do not use
    # Ray's own temp dir holds AF_UNIX sockets (paths <= 107 bytes): a short one, removed after
    # with everything the nodes' processes wrote there (TMPDIR: the actors' assignment copies)
    temp = Path(tempfile.mkdtemp(prefix="agray"))
    env = {**os.environ, **PRELOAD, "RAY_USAGE_STATS_ENABLED": "0", "PYTHONPATH": path,
           "RAY_AUTH_MODE": "disabled", "TMPDIR": str(temp)}
    head = _start(root, temp, True, address, env)
    second = None
    c = None
    try:
        deadline = time.monotonic() + START_S
        time.sleep(3)
        second = _start(root, temp, False, address, env)
        nodes: list[dict] = []
        while time.monotonic() < deadline:
            for name, p in (("head", head), ("second", second)):
                assert p.poll() is None, (root / f"{name}.log").read_text(errors="replace")[-3000:]
            nodes = _alive_nodes(address)
            if len(nodes) == 2:
                break
            time.sleep(2)
        assert len(nodes) == 2, f"cluster not up in {START_S} s: {nodes}"
        second_id = next(n["NodeID"] for n in nodes if not n.get("Resources", {}).get(
            "node:__internal_head__"))
        c = Cluster(address, head, second, second_id, root, temp)
        yield c
    finally:
        if c is not None:
            c.stop()
        else:
            for p in (second, head):
                if p is not None:
                    _kill_tree(p.pid)
        shutil.rmtree(temp, ignore_errors=True)


def _write_submissions(folder: Path) -> list[Path]:
    paths = []
    for name, cells in SUBMISSIONS.items():
        path = folder / f"{name}.ipynb"
        if isinstance(cells, bytes):
            folder.mkdir(parents=True, exist_ok=True)
            path.write_bytes(cells)
        else:
            T.write(path, *cells)
        paths.append(path)
    return paths


def _by_check(record: dict) -> dict:
    """What must match between backends: per test score/status, per check name/passed/score."""
    return {t["id"]: (t["score"], t["status"],
                      [(c["name"], c["passed"], c["score"]) for c in t.get("checks", [])])
            for t in record["tests"]}


def _records(out: Path) -> dict[str, dict]:
    return {p.parent.name: json.loads(p.read_text()) for p in sorted(out.glob("*/record.json"))}


def _cli(args: list[str], **kw) -> subprocess.Popen:
    env = {**os.environ, **PRELOAD}
    return subprocess.Popen([sys.executable, "-m", "autograder", "grade", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, **kw)


@pytest.fixture(scope="module")
def local_records(tmp_path_factory):
    """The 8 submissions graded by the local backend (serial, in this process)."""
    root = tmp_path_factory.mktemp("local")
    paths = _write_submissions(root / "subs")
    old = os.environ.get("AUTOGRADER_SANDBOX_PRELOAD")
    os.environ.update(PRELOAD)
    try:
        grade_batch(paths, str(T.TOY), root / "out", progress=False, timeout=30)
    finally:
        if old is None:
            os.environ.pop("AUTOGRADER_SANDBOX_PRELOAD")
        else:
            os.environ["AUTOGRADER_SANDBOX_PRELOAD"] = old
    return _records(root / "out")


@pytest.mark.slow
def test_ray_scores_match_local_check_by_check(cluster, local_records, tmp_path):
    _write_submissions(tmp_path / "subs")
    p = _cli([str(tmp_path / "subs"), "-a", str(T.TOY), "-o", str(tmp_path / "out"),
              "--backend", "ray", "--address", cluster.address, *GRADE])
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0, err[-3000:]
    ray_records = _records(tmp_path / "out")
    assert sorted(ray_records) == sorted(SUBMISSIONS)
    for sid, rec in local_records.items():
        assert _by_check(ray_records[sid]) == _by_check(rec), sid
        assert ray_records[sid]["score"] == rec["score"], sid
        assert ray_records[sid]["isolation"] == rec["isolation"]
        assert ray_records[sid]["node"] and not rec["node"]  # names the node that graded it
    assert local_records["ana"]["score"] == 5.0 and local_records["eva"]["score"] == 0.0
    if "bubblewrap" in rec["isolation"]:  # private /tmp: the shipped hidden tests are unseen
        assert ray_records["fede"]["cell_errors"] == []
    assert (tmp_path / "out" / "ana" / "feedback.html").is_file()
    grades = json.loads((tmp_path / "out" / "grades.json").read_text())
    assert {s["node"] for s in grades["students"]} == {r["node"] for r in ray_records.values()}
    assert len({r["node"] for r in ray_records.values()}) == 2  # both nodes graded


@pytest.mark.slow
def test_killed_driver_resumes_without_regrading(cluster, local_records, tmp_path):
    _write_submissions(tmp_path / "subs")
    args = [str(tmp_path / "subs"), "-a", str(T.TOY), "-o", str(tmp_path / "out"),
            "--backend", "ray", "--address", cluster.address, *GRADE]
    first = _cli(args)
    deadline = time.monotonic() + 180
    while len(_records(tmp_path / "out")) < 2 and time.monotonic() < deadline:
        assert first.poll() is None, first.communicate()[1][-3000:]
        time.sleep(0.05)
    os.killpg(first.pid, signal.SIGKILL)  # the driver dies mid-batch
    first.wait(timeout=30)
    stamps = {p: p.stat().st_mtime_ns for p in (tmp_path / "out").glob("*/record.json")}
    assert 2 <= len(stamps) < len(SUBMISSIONS), len(stamps)
    again = _cli(args)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err[-3000:]
    assert f"{len(stamps)} of {len(SUBMISSIONS)} student(s) reused" in err
    assert all(p.stat().st_mtime_ns == t for p, t in stamps.items())  # nothing regraded
    records = _records(tmp_path / "out")
    assert sorted(records) == sorted(SUBMISSIONS)  # nothing lost
    assert {s: r["score"] for s, r in records.items()} == \
        {s: r["score"] for s, r in local_records.items()}


def _dies_on_zz(task: str) -> str:
    """A task function that kills its worker process for task "zz"."""
    if task == "zz":
        os._exit(1)
    return task * 2


@pytest.mark.slow
def test_task_that_kills_its_worker_twice_is_failed_not_retried_forever(cluster):
    import ray

    from autograder.grading.executors import ExecutorOptions, WorkerLost, make_executor

    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers lack tests/
    ray.init(address=cluster.address, log_to_driver=False, configure_logging=False)
    try:
        ex = make_executor("ray", jobs=2, options=ExecutorOptions())
        try:
            out = {t: (r, e) for t, r, e in ex.map_unordered(_dies_on_zz, ["a", "zz", "b"])}
            assert ex.counts() == (0, 1), out  # retried once, then given up
        finally:
            ex.close()
    finally:
        ray.shutdown()
    assert out["a"] == ("aa", None) and out["b"] == ("bb", None)
    assert out["zz"][0] is None and isinstance(out["zz"][1], WorkerLost)
    assert out["zz"][1].deaths == 2


def test_worker_lost_is_graded_failed_with_catalog_reason():
    from autograder.assignment import load
    from autograder.grading.batch import _lost_result, make_task
    from autograder.grading.executors import WorkerLost
    from autograder.grading.pipeline import GradingOptions

    a = load(str(T.TOY))
    task = make_task("zoe", Path("zoe.ipynb"), a, GradingOptions())
    r = _lost_result(task, a, WorkerLost(2, "ActorDiedError: node lost"))
    assert r.score == 0 and r.error.startswith("El proceso del corrector")
    assert "murió 2 veces" in r.error and "node lost" in r.error
    assert {o.status for o in r.outcomes.values()} == {"error"}


@pytest.mark.slow
def test_second_node_killed_mid_batch_every_student_graded_once(cluster, local_records,
                                                                 tmp_path):
    import ray

    paths = _write_submissions(tmp_path / "subs")
    seen: list[str] = []
    killed = threading.Event()

    def on_result(r) -> None:
        seen.append(r.student)
        if not killed.is_set() and cluster.second_node_id[:8] in r.node:
            cluster.kill_second()  # the second node dies while the batch goes on
            killed.set()

    ray.init(address=cluster.address, log_to_driver=False, configure_logging=False)
    try:
        results = grade_batch(paths, str(T.TOY), tmp_path / "out", backend="ray",
                              progress=False, on_result=on_result, timeout=30)
    finally:
        ray.shutdown()
    assert killed.is_set(), "the second node graded nothing: nothing was killed"
    assert sorted(seen) == sorted(SUBMISSIONS)  # all graded, none twice
    assert {r.student: r.score for r in results} == \
        {s: r["score"] for s, r in local_records.items()}
    assert not any("murió" in (r.error or "") for r in results)  # retried, not failed


def test_ray_backend_without_ray_exits_2_with_install_command(tmp_path):
    code = ("import sys; sys.modules['ray'] = None\n"
            "from autograder.cli import main\nsys.exit(main(sys.argv[1:]))")
    T.write(tmp_path / "subs" / "a.ipynb", T.REFERENCE)
    T.write(tmp_path / "subs" / "b.ipynb", T.EMPTY)
    p = subprocess.run([sys.executable, "-c", code, "grade", str(tmp_path / "subs"), "-a",
                        str(T.TOY), "-o", str(tmp_path / "out"), "--backend", "ray"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2, p.stderr[-2000:]
    assert "pip install" in p.stderr and ".[cluster]" in p.stderr
    assert "Traceback" not in p.stderr


def test_folder_bundle_round_trip_skips_caches_and_refuses_escapes(tmp_path):
    src = tmp_path / "a"
    (src / "tests" / "__pycache__").mkdir(parents=True)
    (src / "assignment.toml").write_text("x = 1\n")
    (src / "tests" / "test_a.py").write_text("pass\n")
    (src / "tests" / "__pycache__" / "t.pyc").write_bytes(b"\0")
    (src / "link").symlink_to("/etc/passwd")
    bundle = FolderBundle.pack(src)
    assert [rel for rel, _ in bundle.files] == ["assignment.toml", "tests/test_a.py"]
    dest = bundle.unpack(tmp_path / "copy")
    assert (dest / "tests" / "test_a.py").read_text() == "pass\n"
    with pytest.raises(ValueError, match="refusing"):
        FolderBundle("x", (("../evil", b""),)).unpack(tmp_path / "c2")
    from autograder.errors import AutograderError
    with pytest.raises(AutograderError, match="MiB to ship"):
        FolderBundle.pack(src, limit=3)


def test_node_field_round_trips_and_old_records_still_load():
    from autograder.model import SubmissionResult

    r = SubmissionResult(student="s", assignment="a", notebook="n.ipynb", node="h (abcd1234)")
    assert SubmissionResult.from_dict(r.to_dict()).node == "h (abcd1234)"
    old = {k: v for k, v in r.to_dict().items() if k != "node"}  # a record from before
    assert SubmissionResult.from_dict(old).node == ""
