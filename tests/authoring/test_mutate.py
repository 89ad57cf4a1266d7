"""`autograder mutate`: equivalence evidence, killed/survived accounting, the toy assignment run
in the sandbox, the CLI's --json shape, the `[mutation]` key and the CI kill-rate floor."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from autograder import assignment as assignment_mod
from autograder.authoring import mutate
from autograder.authoring.mutants import Mutant, Operator
from autograder.authoring.mutation_report import MutationReport, TestScore, Verdict
from autograder.errors import AutograderError, StudentCodeError

TOY = Path(__file__).resolve().parent.parent / "fixtures" / "toy_assignment"

# -- equivalence evidence ---------------------------------------------------------------------


def test_fingerprints_compare_values_within_tolerance():
    fp = mutate.fingerprint
    x = np.linspace(0, 1, 12).reshape(3, 4).astype(np.float32)
    assert mutate.same(fp((x, {"a": 1})), fp((x + 1e-9, {"a": 1})))
    assert not mutate.same(fp(x), fp(x * 1.01))
    assert not mutate.same(fp(x), fp(x.T))
    assert not mutate.same(fp((x, 1)), fp((x, 2)))
    assert not mutate.same(fp([x]), fp([x, x]))
    assert not mutate.same(fp(1.0), fp("1.0"))


def test_recorder_logs_returns_and_student_errors():
    class Inner:
        def f(self, x):
            return x * 2

        def g(self):
            raise StudentCodeError("timeout", "g", "5")

        h = None

        def global_value(self, name):
            return 3

    rec = mutate.Recorder(Inner())
    assert rec.f(np.ones(2)).tolist() == [2, 2] and rec.h is None
    with pytest.raises(StudentCodeError):
        rec.g()
    assert rec.global_value("acc") == 3
    assert [name for name, _ in rec.calls] == ["f", "g", "global:acc"]
    assert rec.calls[1][1] == ("raised", "timeout", "")
    other = mutate.Recorder(Inner())
    other.f(np.ones(2))
    assert mutate.same_calls(rec.calls[:1], other.calls)
    assert not mutate.same_calls(rec.calls, other.calls)


def test_recording_never_changes_what_the_check_sees():
    class Unbuilt:  # like an unbuilt keras model: summarising it raises
        layers = property(lambda self: (_ for _ in ()).throw(ValueError("not built")))
        count_params = None

    class Inner:
        def make(self):
            return Unbuilt()

    rec = mutate.Recorder(Inner())
    assert isinstance(rec.make(), Unbuilt)
    assert rec.calls[0][1][0] == "unfingerprintable"
    assert not mutate.same(rec.calls[0][1], mutate.safe_fingerprint(Unbuilt()))


# -- accounting (a fake worker: no sandbox) -----------------------------------------------------


class FakeWorker:
    """Scores per (mutant source, test) from a table; records what a Recorder would."""

    def __init__(self, table):
        self.table, self.current = table, None

    def swap(self, mutant):
        self.current = mutant.source if mutant else None

    def run_test(self, tid):
        score, failed, output = self.table[(self.current, tid)]
        checks = ["c1", "c2"]
        return (TestScore(tid, score, 2.0, "passed" if score == 2.0 else "failed",
                        failed_checks=failed, passed_checks=[c for c in checks if c not in failed]),
                [("f", mutate.fingerprint(np.array(output)))])


def _mutant(i: int) -> Mutant:
    return Mutant(f"f#{i}", "f", Operator.CONST, 2, "c", f"src{i}", "@@\n-a\n+b")


def test_killed_survived_equivalent_accounting():
    table = {(None, "t1"): (2.0, [], [1.0]), (None, "t2"): (2.0, [], [1.0]),
             ("src0", "t1"): (1.0, ["c1"], [5.0]), ("src0", "t2"): (2.0, [], [5.0]),
             ("src1", "t1"): (2.0, [], [7.0]), ("src1", "t2"): (2.0, [], [7.0]),
             ("src2", "t1"): (2.0, [], [1.0]), ("src2", "t2"): (2.0, [], [1.0])}
    worker = FakeWorker(table)
    baseline = {t: worker.run_test(t) for t in ("t1", "t2")}
    outcomes = [mutate._grade_one(worker, _mutant(i), ["t1", "t2"], baseline) for i in range(3)]
    outcomes.append(mutate._grade_one(worker, _mutant(3), [], baseline))
    first = mutate._grade_one(worker, _mutant(0), ["t1", "t2"], baseline, first_kill=True)
    assert first.verdict is Verdict.KILLED and [r.test for r in first.runs] == ["t1"]
    assert [o.verdict for o in outcomes] == [Verdict.KILLED, Verdict.SURVIVED, Verdict.EQUIVALENT,
                                             Verdict.UNTESTED]
    assert outcomes[0].killed_by == ["t1"] and outcomes[0].killing_checks == ["t1.c1"]
    report = MutationReport("toy", 0, None, 9, outcomes, {k: v[0] for k, v in baseline.items()})
    assert report.mutants == 3 and report.kill_rate == pytest.approx(1 / 3)
    tests = report.tests()
    assert (tests["t1"].killed, tests["t1"].survived) == (1, 1)
    assert (tests["t2"].killed, tests["t2"].survived) == (0, 2)
    assert report.checks()["t1.c1"].killed == 1 and report.checks()["t2.c1"].killed == 0
    data = json.loads(report.to_json())
    assert data["equivalent"] == 1 and data["untested"] == 1
    html = report.to_html()
    assert "f#1" in html and "f#2" in html and "equivalent?" in html


def test_batches_keep_order_and_respect_jobs_and_size():
    ms = [_mutant(i) for i in range(10)]
    assert mutate.batches_of(ms, 1, 50) == [ms]
    assert [len(b) for b in mutate.batches_of(ms, 2, 50)] == [5, 5]
    assert sum(mutate.batches_of(ms, 1, 3), []) == ms
    assert mutate.batches_of([], 2, 5) == []


# -- the [mutation] key -----------------------------------------------------------------------


def test_mutation_key_is_loaded_and_validated(tmp_path):
    folder = tmp_path / "toy"
    shutil.copytree(TOY, folder)
    toml = folder / "assignment.toml"
    base = toml.read_text(encoding="utf-8")
    assert assignment_mod.load(folder).mutation is None
    toml.write_text(base + "\n[mutation]\nmin_kill_rate = 0.9\nlimit = 12\n", encoding="utf-8")
    spec = assignment_mod.load(folder).mutation
    assert (spec.min_kill_rate, spec.limit, spec.seed) == (0.9, 12, None)
    toml.write_text(base + "\n[mutation]\nmin_kill_rate = 1.5\n", encoding="utf-8")
    with pytest.raises(AutograderError, match="min_kill_rate"):
        assignment_mod.load(folder)


# -- the toy assignment through the sandbox ---------------------------------------------------

WEAK_CLIP = '''
def test_clip01(student, config, check):  # weak on purpose: only the shape is checked
    x = np.linspace(-2, 2, 5)
    value, failed = call_student(student.clip01, "clip01", "clip_shape", config["lang"], x)
    ok = failed is None and np.shape(value) == (5,)
    check([CheckResult.ok("clip_shape") if ok else failed or CheckResult.fail("clip_shape", "x")])
'''


@pytest.fixture
def weak_toy(tmp_path) -> Path:
    """The toy assignment with its clip01 test weakened to a shape check."""
    folder = tmp_path / "toy_assignment"
    shutil.copytree(TOY, folder)
    suite = folder / "tests" / "test_toy_assignment.py"
    text = suite.read_text(encoding="utf-8")
    suite.write_text(text[:text.index("def test_clip01")] + WEAK_CLIP.lstrip("\n"),
                     encoding="utf-8")
    return folder


@pytest.mark.slow
def test_toy_run_kills_scale_slips_and_lists_clip_survivors(weak_toy, tmp_path):
    report = mutate.run_mutation(assignment_mod.load(weak_toy), seed=0)
    verdicts = {o.mutant.description: o.verdict for o in report.outcomes if o.mutant.func == "scale"}
    assert verdicts["`*` -> `/`"] is Verdict.KILLED
    assert verdicts["returns its input unchanged (`return x`)"] is Verdict.KILLED
    # deleting the warnings changes no output the checks see: equivalent?, not counted
    warn = next(d for d in verdicts if d.startswith("statement deleted (`warnings.warn"))
    assert verdicts[warn] is Verdict.EQUIVALENT
    clip = [o for o in report.outcomes if o.mutant.func == "clip01"]
    assert clip and all(o.verdict is Verdict.SURVIVED for o in clip
                        if "transpose" not in o.mutant.description)
    assert all(o.runs[0].score == 1.0 for o in clip if o.verdict is Verdict.SURVIVED)
    tests = report.tests()
    assert tests["scale"].rate == 1.0 and tests["clip01"].killed == 0
    assert report.kill_rate < 1.0 and report.mutants == len(report.counted())
    assert not report.baseline_failures()
    js, html = report.write(tmp_path / "out")
    data = json.loads(js.read_text(encoding="utf-8"))
    survivor = next(o for o in data["outcomes"] if o["verdict"] == "survived")
    assert survivor["diff"].startswith("@@") and survivor["scores"]["clip01"]["score"] == 1.0
    assert survivor["id"] in html.read_text(encoding="utf-8")


def _mutate_json(capsys, *args: str) -> tuple[int, dict]:
    """`autograder mutate TOY ARGS --json`: its exit code and the JSON it printed."""
    from autograder.cli import main

    rc = main(["mutate", str(TOY), *args, "--json"])
    return rc, json.loads(capsys.readouterr().out)


@pytest.mark.slow
def test_cli_json_shape(tmp_path, capsys):
    from autograder.cli import main

    rc, data = _mutate_json(capsys, "--limit", "4", "--seed", "1", "-o", str(tmp_path / "m"))
    assert rc == 0
    assert isinstance(data["mutants"], int) and isinstance(data["kill_rate"], float)
    assert data["mutants"] + data["equivalent"] == 4 and set(data["tests"]) == {"scale", "clip01"}
    assert set(data["tests"]["scale"]) == {"killed", "survived", "kill_rate"}
    assert (tmp_path / "m" / "mutation.html").is_file()
    assert main(["mutate", str(TOY), "--limit", "0"]) == 2


def test_only_plans_exactly_the_listed_ids_and_rejects_unknown_ones():
    toy = assignment_mod.load(TOY)
    generated, picked = mutate.plan(toy, limit=None, seed=0, only=["clip01#1", "scale#4"])
    assert generated == 12 and [m.id for m in picked] == ["scale#4", "clip01#1"]
    with pytest.raises(mutate.UnknownMutants) as err:
        mutate.plan(toy, limit=None, seed=0, only=["scale#4", "scale#99", "nope#1"])
    assert err.value.unknown == ["scale#99", "nope#1"]
    assert "scale#99, nope#1" in str(err.value) and "scale#0..#7" in str(err.value)
    assert str(err.value).startswith("--only: la solución de referencia no genera")


def test_cli_only_unknown_id_is_a_clear_error(capsys):
    from autograder.cli import main

    assert main(["mutate", str(TOY), "--only", "scale#4,scale#99", "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert "the reference does not generate the mutants scale#99" in err
    assert "clip01#0..#3" in err and "Traceback" not in err
    assert main(["mutate", str(TOY), "--only", " , "]) == 2
    assert "--only needs at least one mutant id" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_only_grades_just_those_mutants(tmp_path, capsys):
    rc, data = _mutate_json(capsys, "--only", "scale#4", "--only", "clip01#1",
                            "-o", str(tmp_path / "m"))
    assert rc == 0
    verdicts = {o["id"]: o["verdict"] for o in data["outcomes"]}
    assert verdicts == {"scale#4": "killed", "clip01#1": "killed"}
    assert data["mutants"] == 2 and data["generated"] == 12


# -- the CI floor -----------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", ["ut3_10_flowers", "p10x_pets"])
def test_kill_rate_floor(name):
    """A bounded, seeded sample of the reference's mutants must stay at or above the
    assignment's `[mutation] min_kill_rate` (a hidden test weakened by accident fails here)."""
    a = assignment_mod.load(name)
    assert a.mutation is not None, f"{name}: assignment.toml has no [mutation] min_kill_rate"
    t0 = time.monotonic()
    report = mutate.run_mutation(a, limit=a.mutation.limit, seed=a.mutation.seed,
                                 options=mutate.MutateOptions(first_kill=True))
    survivors = "\n".join(f"{o.mutant.id} ({o.mutant.description}):\n{o.mutant.diff}"
                          for o in report.by(Verdict.SURVIVED) + report.by(Verdict.UNTESTED))
    print(f"\n{name}: kill rate {report.kill_rate:.3f} over {report.mutants} mutants "
          f"({len(report.by(Verdict.EQUIVALENT))} equivalent?) in {time.monotonic() - t0:.0f} s")
    assert not report.baseline_failures(), f"{name}: the reference fails {report.baseline_failures()}"
    assert report.kill_rate >= a.mutation.min_kill_rate, (
        f"{name}: kill rate {report.kill_rate:.3f} < {a.mutation.min_kill_rate} "
        f"({time.monotonic() - t0:.0f} s); survivors:\n{survivors}")
