import json
import tomllib
from pathlib import Path

import numpy as np
import pytest
from jinja2.exceptions import UndefinedError

from autograder import messages
from autograder.assignment import load
from autograder.errors import AutograderError
from autograder.model import CheckResult, total


def test_check_result_json_roundtrip():
    r = CheckResult.fail("mixup_lambda", "mal", hint="usa la misma lambda",
                         found=np.float32(0.25), arr=np.arange(3), big=np.zeros(1000))
    d = json.loads(json.dumps(r.to_dict()))
    assert d["details"] == {"found": 0.25, "arr": [0, 1, 2], "big": "<array shape=(1000,)>"}
    assert d["passed"] is False and d["score"] == 0.0 and d["status"] == "wrong"
    assert total([r, CheckResult.ok("x", max_score=2)]) == (2.0, 3.0)


def test_every_catalog_has_both_languages_and_renders():
    folder = Path(messages.__file__).parent
    catalogs = sorted(p.stem for p in folder.glob("*.toml"))
    assert "common" in catalogs
    for name in catalogs:
        data = tomllib.loads((folder / f"{name}.toml").read_text(encoding="utf-8"))
        for key, entry in data.items():
            assert set(entry) >= {"es", "en"}, f"{name}.{key} lacks a language"


def test_msg_strict_about_missing_values():
    assert "mixup" in messages.msg("common", "not_implemented", "en", func="mixup")
    with pytest.raises(UndefinedError):
        messages.msg("common", "not_implemented", "es")
    with pytest.raises(ValueError):
        messages.msg("common", "not_implemented", "fr", func="x")


def test_assignment_loader_errors(tmp_path):
    with pytest.raises(AutograderError, match="no assignment.toml"):
        load(tmp_path / "nope")
    (tmp_path / "assignment.toml").write_text("[assignment\n")
    with pytest.raises(AutograderError, match="invalid TOML"):
        load(tmp_path)
    (tmp_path / "assignment.toml").write_text(
        '[assignment]\nname="x"\nnotebook="x.ipynb"\n[[tests]]\nid="a"\npoints=1\n[[tests]]\nid="a"\npoints=2\n')
    with pytest.raises(AutograderError, match="duplicate test ids"):
        load(tmp_path)
