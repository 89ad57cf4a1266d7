"""Load `solutions/<name>/assignment.toml`: the per-assignment configuration.

Schema (all keys shown are required unless marked optional):

    [assignment]
    name = "ut3_10_flowers"        # folder name under solutions/ and assignments/
    title = "..."                  # student-facing title
    language = "es"                # language of student-facing messages
    notebook = "ut3_10_flowers.ipynb"
    seed = 42
    [contract]                     # functions students must define, in notebook order
    functions = ["load_data", "mixup", ...]
    [profiles.ci]                  # values injected into the `parameters` cell (optional)
    [profiles.full]
    [[tests]]                      # one hidden pytest test `test_<id>` per entry
    id = "mixup"; points = 2; paso = "PASO 6"
    functions = ["mixup"]          # contract functions the test exercises
    visible = false                # optional: shown to students by `autograder check`
    gpu = false                    # optional: needs GPU + real data (pytest -m gpu)
    bonus = false                  # optional: extra credit, not in max_score
    config = { alpha = 0.2 }       # optional: passed to the test via the `config` fixture
    weights = { mixup_labels = 3 } # optional: weight of named checks in the test's points
                                   # (default 1 each: points are shared in proportion)
    [mutation]                     # optional: `autograder mutate` CI floor (tests/authoring)
    min_kill_rate = 0.9            # the sampled kill rate must not fall under this
    limit = 40                     # optional: mutants sampled by the CI test (default 40)
    seed = 0                       # optional: sampling seed (default: [assignment] seed)

Unknown tables and keys are an error (`SCHEMA`); the full schema is in docs/authoring.md.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.errors import AutograderError
from autograder.messages import DEFAULT_LANG

REPO_ROOT = Path(__file__).resolve().parent.parent


def project_root() -> Path:
    """The course project holding `solutions/` and `assignments/`: $AUTOGRADER_PROJECT, else the
    current folder when it has a `solutions/` folder, else the kit's own checkout."""
    if os.environ.get("AUTOGRADER_PROJECT"):
        return Path(os.environ["AUTOGRADER_PROJECT"]).resolve()
    cwd = Path.cwd()
    return cwd.resolve() if (cwd / "solutions").is_dir() else REPO_ROOT


def solutions_dir() -> Path:
    """Root of the solution folders ($AUTOGRADER_SOLUTIONS, else `<project>/solutions`)."""
    env = os.environ.get("AUTOGRADER_SOLUTIONS")
    return Path(env) if env else project_root() / "solutions"


def assignments_dir() -> Path:
    """Root of the generated folders ($AUTOGRADER_ASSIGNMENTS, else `<project>/assignments`)."""
    env = os.environ.get("AUTOGRADER_ASSIGNMENTS")
    return Path(env) if env else project_root() / "assignments"


# The schema's keys (docs/authoring.md). `checks` and `profiles` are free-form tables.
SCHEMA: dict[str, frozenset[str] | None] = {
    "assignment": frozenset({"name", "title", "language", "notebook", "seed", "duedate"}),
    "contract": frozenset({"functions", "optional"}),
    "checks": None,
    "profiles": None,
    "data": frozenset({"datasets", "weights"}),
    "gpu": frozenset({"profile", "metric", "min_value", "timeout_s"}),
    "gradescope": frozenset({"hidden_visibility"}),
    "mutation": frozenset({"min_kill_rate", "limit", "seed"}),
    "tests": frozenset({"id", "points", "paso", "functions", "visible", "gpu", "bonus", "config",
                        "description", "weights", "hint_level"}),
}
HINT_LEVELS = ("full", "concept", "none")  # what a failing check's hint may show (issue 12.15)


def check_schema(raw: dict[str, Any], toml_path: Path) -> None:
    """AutograderError naming the first unknown key (its table or test id, and the file)."""
    for table, value in raw.items():
        if table not in SCHEMA:
            raise AutograderError(f"{toml_path}: unknown table [{table}] "
                                  f"(known: {', '.join(sorted(SCHEMA))})")
        allowed = SCHEMA[table]
        entries = value if isinstance(value, list) else [value]
        for entry in entries:
            if allowed is None or not isinstance(entry, dict):
                continue
            for key in entry:
                if key not in allowed:
                    where = (f"test {entry.get('id', '?')!r} ([[tests]])" if table == "tests"
                             else f"[{table}]")
                    raise AutograderError(f"{toml_path}: unknown key {key!r} in {where} "
                                          f"(known: {', '.join(sorted(allowed))})")
    for entry in raw.get("tests", []):
        level = entry.get("hint_level", "full")
        if level not in HINT_LEVELS:
            raise AutograderError(f"{toml_path}: test {entry.get('id', '?')!r}: hint_level "
                                  f"{level!r} is not one of {', '.join(HINT_LEVELS)}")


@dataclass
class TestSpec:
    id: str
    points: float
    paso: str
    functions: list[str]
    visible: bool = False
    gpu: bool = False
    bonus: bool = False
    config: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    weights: dict[str, float] = field(default_factory=dict)
    hint_level: str = "full"


@dataclass(frozen=True)
class MutationSpec:
    """`[mutation]`: the kill-rate floor of `autograder mutate`'s bounded CI sample."""

    min_kill_rate: float
    limit: int = 40
    seed: int | None = None


@dataclass
class Assignment:
    name: str
    title: str
    language: str
    seed: int
    directory: Path
    notebook: Path
    functions: list[str]
    tests: list[TestSpec]
    profiles: dict[str, dict[str, Any]]
    raw: dict[str, Any]
    mutation: MutationSpec | None = None

    @property
    def tests_dir(self) -> Path:
        return self.directory / "tests"

    @property
    def output_dir(self) -> Path:
        """Where its generated files go: `<project>/assignments/<name>` next to the
        `solutions/` folder it lives in ($AUTOGRADER_ASSIGNMENTS wins)."""
        if not os.environ.get("AUTOGRADER_ASSIGNMENTS") and self.directory.parent.name == "solutions":
            return self.directory.parent.parent / "assignments" / self.name
        return assignments_dir() / self.name

    def test(self, test_id: str) -> TestSpec:
        for t in self.tests:
            if t.id == test_id:
                return t
        raise AutograderError(f"{self.name}: no test with id {test_id!r} in assignment.toml")

    @property
    def optional_functions(self) -> list[str]:
        """Contract functions students may leave untouched: `[contract] optional`, plus those
        that only bonus tests exercise."""
        declared = set(self.raw.get("contract", {}).get("optional", []))
        used = {f for t in self.tests for f in t.functions}
        bonus_only = {f for f in used if all(t.bonus for t in self.tests if f in t.functions)}
        return [f for f in self.functions if f in declared | bonus_only]

    def max_score(self, gpu: bool = False) -> float:
        return sum(t.points for t in self.tests if not t.bonus and (gpu or not t.gpu))


def load(name_or_dir: str | Path) -> Assignment:
    """Load an assignment by name (under solutions/) or by folder path."""
    path = Path(name_or_dir)
    if not (path / "assignment.toml").is_file():
        path = solutions_dir() / str(name_or_dir)
    toml_path = path / "assignment.toml"
    if not toml_path.is_file():
        raise AutograderError(f"no assignment.toml for {str(name_or_dir)!r} (looked in {path})")
    try:
        raw = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise AutograderError(f"{toml_path}: invalid TOML: {exc}") from exc
    check_schema(raw, toml_path)
    try:
        meta = raw["assignment"]
        tests = [
            TestSpec(
                id=t["id"], points=float(t["points"]), paso=t.get("paso", ""),
                functions=list(t.get("functions", [])), visible=bool(t.get("visible", False)),
                gpu=bool(t.get("gpu", False)), bonus=bool(t.get("bonus", False)),
                config=dict(t.get("config", {})), description=t.get("description", ""),
                weights={str(k): float(v) for k, v in t.get("weights", {}).items()},
                hint_level=t.get("hint_level", "full"),
            )
            for t in raw.get("tests", [])
        ]
        ids = [t.id for t in tests]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise AutograderError(f"{toml_path}: duplicate test ids {dupes}")
        return Assignment(
            name=meta["name"], title=meta.get("title", meta["name"]),
            language=meta.get("language", DEFAULT_LANG), seed=int(meta.get("seed", 42)),
            directory=path.resolve(), notebook=path.resolve() / meta["notebook"],
            functions=list(raw.get("contract", {}).get("functions", [])), tests=tests,
            profiles=dict(raw.get("profiles", {})), raw=raw,
            mutation=_mutation(raw.get("mutation"), toml_path),
        )
    except KeyError as exc:
        raise AutograderError(f"{toml_path}: missing key {exc}") from exc


def _mutation(table: Any, toml_path: Path) -> MutationSpec | None:
    if table is None:
        return None
    try:
        rate = float(table["min_kill_rate"])
        limit = int(table.get("limit", 40))
        seed = table.get("seed")
        seed = None if seed is None else int(seed)
    except (TypeError, ValueError, KeyError) as exc:
        raise AutograderError(f"{toml_path}: [mutation] needs min_kill_rate (0..1), optional "
                              f"integer limit and seed: {exc}") from exc
    if not 0.0 <= rate <= 1.0 or limit < 1:
        raise AutograderError(f"{toml_path}: [mutation] min_kill_rate must be in 0..1 and "
                              "limit at least 1")
    return MutationSpec(rate, limit, seed)


def all_names() -> list[str]:
    """Names of every assignment folder under solutions/ (sorted)."""
    root = solutions_dir()
    return sorted(p.name for p in root.iterdir() if (p / "assignment.toml").is_file()) if root.is_dir() else []
