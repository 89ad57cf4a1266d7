"""The checks' probe seed (issue 11, item 7): secret and random per batch unless given,
recorded in every record.json and in grades.json, never the assignment's seed by default, and a
regrade with `--probe-seed` reproduces it."""

from __future__ import annotations

import json

from autograder.cli import main
from tests.support.cli_helpers import GOOD, MINI, WRONG, write_nb


def _records(out):
    return {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/record.json")}


def test_one_secret_probe_seed_per_batch_recorded_and_reproducible(tmp_path, fake_engine):
    subs = tmp_path / "subs"
    write_nb(subs / "ana.ipynb", GOOD)
    write_nb(subs / "bob.ipynb", WRONG)
    seeds = []
    for run in ("a", "b"):
        out = tmp_path / run
        assert main(["grade", str(subs), "-a", str(MINI), "-o", str(out)]) == 0
        records = _records(out)
        batch_seeds = {r["probe_seed"] for r in records.values()}
        assert len(batch_seeds) == 1 and None not in batch_seeds  # one per batch, recorded
        grades = json.loads((out / "grades.json").read_text())
        assert grades["probe_seeds"] == sorted(batch_seeds)
        assert {s["probe_seed"] for s in grades["students"]} == batch_seeds
        seeds.append(batch_seeds.pop())
    assert seeds[0] != seeds[1] and 7 not in seeds  # random, not the assignment's seed (7)
    graded = [c[1]["probe_seed"] for c in fake_engine if c[0] == "grade_notebook"]
    assert graded == [seeds[0]] * 2 + [seeds[1]] * 2  # what the checks were given

    # a regrade with the recorded seed gives it to the checks again, with the same scores
    out = tmp_path / "a"
    before = {k: r["score"] for k, r in _records(out).items()}
    assert main(["grade", str(subs), "-a", str(MINI), "-o", str(out), "--force",
                 "--probe-seed", str(seeds[0])]) == 0
    again = _records(out)
    assert {r["probe_seed"] for r in again.values()} == {seeds[0]}
    assert {k: r["score"] for k, r in again.items()} == before
    assert fake_engine[-1][1]["probe_seed"] == seeds[0]


def test_probe_seed_is_not_in_the_students_reports(tmp_path, fake_engine):
    nb = write_nb(tmp_path / "ana.ipynb", GOOD)
    out = tmp_path / "out"
    assert main(["grade", str(nb), "-a", str(MINI), "-o", str(out), "--probe-seed", "123457"]) == 0
    assert _records(out)["ana"]["probe_seed"] == 123457
    for name in ("results.json", "feedback.html"):
        assert "123457" not in (out / "ana" / name).read_text()


def test_bad_probe_seed_is_a_usage_error(tmp_path, capsys):
    nb = write_nb(tmp_path / "ana.ipynb", GOOD)
    for bad in ("-1", "x"):
        try:
            main(["grade", str(nb), "-a", str(MINI), "--probe-seed", bad])
        except SystemExit as exc:
            assert exc.code == 2
        assert "must be an integer >= 0" in capsys.readouterr().err
