"""`python -m autograder release` refuses a release that would grade wrongly, naming the cell."""

import shutil

import nbformat
import pytest

from autograder import validate
from autograder.course import release_notebook, solution_notebook

LESSON = "00_setup"


@pytest.mark.slow
def test_current_lesson_validates():
    assert validate.check([LESSON]) == []


@pytest.mark.slow
def test_wrong_solution_and_passing_release_are_refused(tmp_path, monkeypatch):
    solution = nbformat.read(solution_notebook(LESSON), as_version=4)
    release = nbformat.read(release_notebook(LESSON), as_version=4)
    for nb, new in ((solution, "import torch\ndef softmax(x):\n    return x\n"),
                    (release, next(c.source for c in solution.cells
                                   if c.metadata.get("nbgrader", {}).get("grade_id") == "softmax"))):
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == "softmax":
                cell.source = new
    (tmp_path / "solutions" / LESSON).mkdir(parents=True)
    (tmp_path / "release" / LESSON).mkdir(parents=True)
    nbformat.write(solution, tmp_path / "solutions" / LESSON / f"{LESSON}.ipynb")
    nbformat.write(release, tmp_path / "release" / LESSON / f"{LESSON}.ipynb")
    monkeypatch.setattr(validate, "solution_notebook", lambda lesson: tmp_path / "solutions" / lesson / f"{lesson}.ipynb")
    found = validate.problems(LESSON, releases=tmp_path / "release")
    text = "\n".join(found)
    assert "the solution fails test_softmax_small" in text
    assert "the untouched release PASSES test_softmax_small" in text
