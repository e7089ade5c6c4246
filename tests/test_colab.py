"""Every release opens on Colab: a badge built from the one repository setting, and a setup cell
that installs the course on Colab and does nothing elsewhere."""

import nbformat
import pytest

from conftest import load_notebook
from nbcells import meta, source

from autograder import colab
from autograder.course import lessons, release_notebook
from autograder.execute import execute


@pytest.mark.parametrize("lesson", lessons())
def test_release_starts_with_badge_and_setup_cell(lesson):
    repository, branch = colab.publishing()
    cells = load_notebook(release_notebook(lesson))["cells"]
    assert cells[0]["cell_type"] == "markdown"
    assert colab.badge(lesson, repository, branch) in source(cells[0])
    assert f"/blob/{branch}/notebooks/{lesson}/{lesson}.ipynb" in source(cells[0])
    setup = [c for c in cells if meta(c).get("grade_id") == colab.SETUP_ID]
    assert len(setup) == 1 and source(setup[0]) == colab.setup_source(lesson, repository, branch)
    assert meta(setup[0]).get("locked"), "the setup cell is read-only for students"


def test_the_address_comes_from_the_setting(monkeypatch):
    monkeypatch.setattr(colab, "publishing", lambda: ("https://github.com/someone/fork", "spring-2027"))
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell(f"# Title\n\n{colab.BADGE_MARK}\n"),
        nbformat.v4.new_code_cell("old", metadata={"nbgrader": {"grade_id": "setup"}}),
    ])
    nb, _ = colab.ColabCells().preprocess(nb, {"nbgrader": {"assignment": "07_new"}})
    assert "github/someone/fork/blob/spring-2027/notebooks/07_new/07_new.ipynb" in nb.cells[0].source
    assert 'git+https://github.com/someone/fork@spring-2027"' in nb.cells[1].source
    assert 'start_lesson("07_new")' in nb.cells[1].source


def test_a_lesson_without_badge_line_is_refused():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# No badge")])
    with pytest.raises(ValueError, match="colab-badge"):
        colab.ColabCells().preprocess(nb, {"nbgrader": {"assignment": "07_new"}})


FAKE_PIP = """
import sys, types
from IPython.core.magic import register_line_magic
pip_calls = []
def pip(line):
    pip_calls.append(line)
register_line_magic(pip)
"""


def run_setup_cell(tmp_path, on_colab: bool):
    lesson = lessons()[0]
    cells = load_notebook(release_notebook(lesson))["cells"]
    setup = next(c for c in cells if meta(c).get("grade_id") == colab.SETUP_ID)
    prelude = FAKE_PIP + ('sys.modules["google.colab"] = types.ModuleType("google.colab")' if on_colab else "")
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(prelude),
        nbformat.v4.new_code_cell(source(setup)),
        nbformat.v4.new_code_cell("print('PIP', pip_calls); print('LESSON', lesson.name, lesson.device)"),
    ])
    run = execute(tmp_path / "probe.ipynb", notebook=nb, timeout=120)
    assert run.error is None, run.error
    return "".join(o.get("text", "") for o in run.notebook.cells[2].outputs)


@pytest.mark.slow
def test_setup_cell_is_a_no_op_outside_colab(tmp_path):
    out = run_setup_cell(tmp_path, on_colab=False)
    assert "PIP []" in out and f"LESSON {lessons()[0]} cpu" in out


@pytest.mark.slow
def test_setup_cell_installs_the_course_on_colab(tmp_path):
    repository, branch = colab.publishing()
    out = run_setup_cell(tmp_path, on_colab=True)
    assert f"llmcourse @ git+{repository}@{branch}" in out and "install" in out
    assert f"LESSON {lessons()[0]}" in out
