"""The reference (autograder/reference.py): the solution's own values, from a trusted run, cached;
a solution that fails its own tests refuses to be one."""

import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from autograder import reference

TEST = """from llmcourse.checks import exercise
with exercise("double") as check:
    check.close(double(torch.tensor([1.0, 2.0])), [2.0, 4.0], what="visible")
    ### BEGIN HIDDEN TESTS
    g = torch.Generator().manual_seed(0)
    check.matches_solution(double(torch.randn(3, generator=g)), what="hidden")
    ### END HIDDEN TESTS
"""


def lesson_notebook(tmp_path, monkeypatch, body: str):
    monkeypatch.delenv(reference.SHARED_ENV, raising=False)  # only this test's folders
    nb = new_notebook(cells=[
        new_code_cell("import torch\ndef double(x):\n" + body,
                      metadata={"nbgrader": {"solution": True, "grade": False, "grade_id": "double"}}),
        new_code_cell(TEST, metadata={"nbgrader": {"grade": True, "solution": False, "grade_id": "test_double",
                                                   "points": 2, "locked": True}})])
    path = tmp_path / "lesson.ipynb"
    nbformat.write(nb, path)
    monkeypatch.setattr(reference, "solution_notebook", lambda lesson: path)
    return path


@pytest.mark.slow
def test_the_reference_holds_every_check_and_where_hidden_ones_begin(tmp_path, monkeypatch):
    lesson_notebook(tmp_path, monkeypatch, "    return 2 * x\n")
    made = reference.load("demo", tmp_path / "cache")
    cell = made["cells"]["test_double"]
    assert cell["points"] == 2.0 and cell["hidden_from"] == 4
    visible, hidden = cell["record"]["checks"]
    assert visible["expected"]["values"] == [2.0, 4.0] and visible["line"] < 4 < hidden["line"]
    assert len(hidden["expected"]["values"]) == 3  # the solution's own values, kept only here
    assert reference.load("demo", tmp_path / "cache") == made  # cached under the same key


@pytest.mark.slow
def test_a_solution_that_fails_its_own_tests_is_refused(tmp_path, monkeypatch):
    lesson_notebook(tmp_path, monkeypatch, "    return 3 * x\n")
    with pytest.raises(reference.ReferenceFailed, match="the solution fails test_double"):
        reference.load("demo", tmp_path / "cache")


@pytest.mark.slow
def test_course_folders_share_one_reference_run(tmp_path, monkeypatch):
    lesson_notebook(tmp_path, monkeypatch, "    return 2 * x\n")
    monkeypatch.setenv(reference.SHARED_ENV, str(tmp_path / "shared"))
    made = reference.load("demo", tmp_path / "section-a")
    assert (tmp_path / "shared" / "demo.json").is_file()

    def no_second_run(*args):
        raise AssertionError("the shared reference was not reused")

    monkeypatch.setattr(reference, "make", no_second_run)
    assert reference.load("demo", tmp_path / "section-b") == made
    assert (tmp_path / "section-b" / "demo.json").is_file()  # the course folder keeps its own copy


@pytest.mark.slow
def test_a_stale_shared_reference_is_remade(tmp_path, monkeypatch):
    path = lesson_notebook(tmp_path, monkeypatch, "    return 2 * x\n")
    monkeypatch.setenv(reference.SHARED_ENV, str(tmp_path / "shared"))
    reference.load("demo", tmp_path / "section-a")
    path.write_text(path.read_text().replace("2 * x", "x + x"))  # the solution changed: a new key
    remade = reference.load("demo", tmp_path / "section-b")
    assert remade["key"] == reference.key("demo")
    assert json.loads((tmp_path / "shared" / "demo.json").read_text())["key"] == remade["key"]


@pytest.mark.slow
@pytest.mark.parametrize("content", ["", '{"lesson": "demo", "key": ', "[1, 2]", "{}", "\udcff"])
def test_an_unusable_shared_reference_is_remade_not_fatal(tmp_path, monkeypatch, content):
    lesson_notebook(tmp_path, monkeypatch, "    return 2 * x\n")
    monkeypatch.setenv(reference.SHARED_ENV, str(tmp_path / "shared"))
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "demo.json").write_text(content, errors="surrogateescape")
    made = reference.load("demo", tmp_path / "course")
    assert made["key"] == reference.key("demo") and "test_double" in made["cells"]
    assert json.loads((tmp_path / "shared" / "demo.json").read_text()) == made  # replaced by a good one


@pytest.mark.slow
def test_a_copy_filed_under_another_lessons_name_is_not_used(tmp_path, monkeypatch):
    lesson_notebook(tmp_path, monkeypatch, "    return 2 * x\n")
    made = reference.load("demo", tmp_path / "course")
    other = dict(made, lesson="other")
    (tmp_path / "course" / "demo.json").write_text(json.dumps(other))
    assert reference.load("demo", tmp_path / "course")["lesson"] == "demo"
