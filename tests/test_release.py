"""notebooks/ is exactly what nbgrader makes from solutions/, and gives nothing away."""

import filecmp
import json

import pytest

from conftest import load_notebook
from nbcells import SOLUTION, meta, solution_cells, source, graded_test_cells

from autograder.course import RELEASES, SOLUTIONS, lessons, release_notebook, solution_notebook
from autograder.release import generate

REGENERATE = "regenerate it with `make release` (or: python -m autograder release)"


def test_every_lesson_has_a_release():
    released = sorted(p.name for p in RELEASES.iterdir() if p.is_dir())
    assert released == lessons(), f"notebooks/ has {released}, solutions/ has {lessons()}; {REGENERATE}"


@pytest.mark.parametrize("lesson", lessons())
def test_release_has_no_solution_or_hidden_test(lesson):
    release, solution = load_notebook(release_notebook(lesson)), load_notebook(solution_notebook(lesson))
    text = "\n".join(source(c) for c in release["cells"])
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in text, f"notebooks/{lesson} contains {marker!r}"
    for gid, cell in solution_cells(solution).items():
        for body in SOLUTION.findall(source(cell)):
            for line in body.splitlines():
                line = line.strip()
                if len(line) > 20 and not line.startswith("#"):
                    assert line not in text, f"notebooks/{lesson} reveals solution line {line!r} of {gid}"
    for gid, cell in solution_cells(release).items():
        assert "raise NotImplementedError" in source(cell), f"{gid}: release cell has no stub"


@pytest.mark.parametrize("lesson", lessons())
def test_release_keeps_every_graded_cell_and_its_points(lesson):
    def graded(nb):
        return {meta(c)["grade_id"]: meta(c).get("points") for c in nb["cells"] if meta(c).get("grade")}

    release, solution = load_notebook(release_notebook(lesson)), load_notebook(solution_notebook(lesson))
    assert graded(release) == graded(solution)
    assert graded_test_cells(solution), f"{lesson} has no autograded test cell"


@pytest.mark.slow
def test_releases_are_up_to_date(tmp_path):
    generate(releases=tmp_path)
    for lesson in lessons():
        fresh, committed = tmp_path / lesson, RELEASES / lesson
        fresh_files = sorted(p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file())
        committed_files = sorted(p.relative_to(committed) for p in committed.rglob("*") if p.is_file())
        assert fresh_files == committed_files, f"notebooks/{lesson} has other files; {REGENERATE}"
        for rel in fresh_files:
            if rel.suffix == ".ipynb":
                same = json.loads((fresh / rel).read_text()) == json.loads((committed / rel).read_text())
            else:
                same = filecmp.cmp(fresh / rel, committed / rel, shallow=False)
            assert same, f"notebooks/{lesson}/{rel} is stale (solutions/ changed since); {REGENERATE}"


def test_solutions_folder_holds_only_lessons():
    stray = [p.name for p in SOLUTIONS.iterdir() if p.name not in lessons() and not p.name.startswith(".")]
    assert not stray, f"solutions/ has entries that are not lessons: {stray}"
