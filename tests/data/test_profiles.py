"""autograder.profiles: TOML values -> Python, papermill-style injection after `parameters`."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder import profiles
from autograder.assignment import load
from autograder.errors import AutograderError


def _nb(with_parameters: bool = True):
    cells = [new_markdown_cell("# t"), new_code_cell("import os")]
    params = new_code_cell("IMAGE_SIZE = (224, 224)\nWEIGHTS = 'imagenet'")
    if with_parameters:
        params.metadata["tags"] = ["parameters"]
    cells += [params, new_code_cell("print(IMAGE_SIZE, WEIGHTS)")]
    return new_notebook(cells=cells)


def test_normalize_none_and_tuples():
    assert profiles.normalize("none") is None and profiles.normalize("None") is None
    assert profiles.normalize([64, 64]) == (64, 64)
    assert profiles.normalize({"a": ["x", "NONE"]}) == {"a": ("x", None)}
    assert profiles.normalize("imagenet") == "imagenet" and profiles.normalize(3) == 3


def test_profile_values_of_bundled_assignment():
    a = load("ut3_10_flowers")
    ci = profiles.profile_values(a, "ci")
    assert ci["DATA"] == "mock" and ci["IMAGE_SIZE"] == (64, 64) and ci["WEIGHTS"] is None
    assert ci["EPOCHS"] == 1 and isinstance(ci["LIMIT"], int)
    full = profiles.profile_values("ut3_10_flowers", "full")
    assert full["WEIGHTS"] == "imagenet" and full["LIMIT"] is None and full["IMAGE_SIZE"] == (224, 224)
    with pytest.raises(AutograderError, match="unknown profile 'gpu'.*ci, full"):
        profiles.profile_values(a, "gpu")


def test_inject_after_parameters_cell_and_executes():
    nb = _nb()
    out = profiles.inject(nb, {"IMAGE_SIZE": (64, 64), "WEIGHTS": None})
    assert len(out.cells) == len(nb.cells) + 1
    assert "injected-parameters" in out.cells[3].metadata["tags"]
    assert [c.source for i, c in enumerate(out.cells) if i != 3] == [c.source for c in nb.cells]
    assert len(nb.cells) == 4  # input untouched
    ns: dict = {}
    for c in out.cells:
        if c.cell_type == "code":
            exec(c.source, ns)  # noqa: S102
    assert ns["IMAGE_SIZE"] == (64, 64) and ns["WEIGHTS"] is None
    nbformat.validate(out)


def test_inject_is_idempotent():
    once = profiles.inject(_nb(), {"EPOCHS": 1})
    twice = profiles.inject(once, {"EPOCHS": 2})
    injected = [c for c in twice.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "EPOCHS = 2" in injected[0].source


def test_inject_without_parameters_cell_goes_first_and_is_recorded():
    out = profiles.inject(_nb(with_parameters=False), {"EPOCHS": 1})
    assert "injected-parameters" in out.cells[0].metadata["tags"]
    assert out.metadata["autograder"]["parameters_cell_missing"] is True


def test_render_rejects_bad_names():
    with pytest.raises(AutograderError, match="not a valid Python name"):
        profiles.render({"NOT VALID": 1})
