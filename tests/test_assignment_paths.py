"""solutions/ and assignments/ are found in the course project being worked on, not the kit's."""

from pathlib import Path

from autograder import assignment as A

MINI = Path(__file__).parent / "fixtures" / "mini_assignment"


def _clear(monkeypatch):
    for var in ("AUTOGRADER_PROJECT", "AUTOGRADER_SOLUTIONS", "AUTOGRADER_ASSIGNMENTS"):
        monkeypatch.delenv(var, raising=False)


def test_current_folder_with_solutions_is_the_project(tmp_path, monkeypatch):
    _clear(monkeypatch)
    (tmp_path / "solutions").mkdir()
    monkeypatch.chdir(tmp_path)
    assert A.solutions_dir() == tmp_path.resolve() / "solutions"
    assert A.assignments_dir() == tmp_path.resolve() / "assignments"


def test_elsewhere_the_kit_checkout_is_the_project(tmp_path, monkeypatch):
    _clear(monkeypatch)
    monkeypatch.chdir(tmp_path)
    assert A.solutions_dir() == A.REPO_ROOT / "solutions"
    monkeypatch.setenv("AUTOGRADER_PROJECT", str(tmp_path))
    assert A.assignments_dir() == tmp_path.resolve() / "assignments"


def test_generated_files_go_next_to_the_solution_folder(tmp_path, monkeypatch):
    _clear(monkeypatch)
    course = tmp_path / "course"
    (course / "solutions").mkdir(parents=True)
    import shutil

    shutil.copytree(MINI, course / "solutions" / "mini_assignment")
    a = A.load(course / "solutions" / "mini_assignment")
    assert a.output_dir == course.resolve() / "assignments" / "mini_assignment"
    monkeypatch.setenv("AUTOGRADER_ASSIGNMENTS", str(tmp_path / "out"))
    assert a.output_dir == tmp_path / "out" / "mini_assignment"
