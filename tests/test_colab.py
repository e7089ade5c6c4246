"""Every release opens on Colab: a badge built from the student distribution's settings, and a
setup cell that installs the course on Colab (keeping artifacts on Google Drive if the student
wants) and does nothing elsewhere."""

import os
import sys
import types

import nbformat
import pytest

from conftest import load_notebook
from nbcells import meta, source

from autograder import colab
from autograder.course import lessons, release_notebook
from autograder.execute import execute
from llmcourse import paths


@pytest.mark.parametrize("lesson", lessons())
def test_release_starts_with_badge_and_setup_cell(lesson):
    repository, tag = colab.publishing()
    cells = load_notebook(release_notebook(lesson))["cells"]
    assert cells[0]["cell_type"] == "markdown"
    assert colab.badge(lesson, repository, tag) in source(cells[0])
    assert f"/blob/{tag}/notebooks/{lesson}/{lesson}.ipynb" in source(cells[0])
    setup = [c for c in cells if meta(c).get("grade_id") == colab.SETUP_ID]
    assert len(setup) == 1 and source(setup[0]) == colab.setup_source(lesson, repository, tag)
    assert meta(setup[0]).get("locked"), "the setup cell is read-only for students"


def test_the_address_is_the_student_distribution_at_its_version_tag(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "llmcourse"\nversion = "2.3.0"\n'
        '[tool.llmcourse]\nstudent_repository = "https://github.com/someone/course-students/"\n')
    assert colab.publishing(tmp_path / "pyproject.toml") == ("https://github.com/someone/course-students", "v2.3.0")
    (tmp_path / "pyproject.toml").write_text('[project]\nversion = "2.3.0"\n')
    with pytest.raises(ValueError, match="student_repository"):
        colab.publishing(tmp_path / "pyproject.toml")


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


# Colab's Drive, faked: mount() makes the folder Colab would and remembers where.
FAKE_COLAB = """
import os, pathlib
from llmcourse import paths
os.environ.pop("LLMCOURSE_ARTIFACTS", None)
colab = types.ModuleType("google.colab")
colab.drive = types.SimpleNamespace(mounted=[])
def mount(where):
    (pathlib.Path(where) / "MyDrive").mkdir(parents=True)
    colab.drive.mounted.append(where)
colab.drive.mount = mount
sys.modules["google.colab"] = colab
paths.DRIVE = pathlib.Path({drive!r})
"""


def run_setup_cell(tmp_path, on_colab: bool, keep_on_drive: str = "None",
                   after: str = "print('PIP', pip_calls); print('LESSON', lesson.name, lesson.device)"):
    lesson = lessons()[0]
    cells = load_notebook(release_notebook(lesson))["cells"]
    setup = source(next(c for c in cells if meta(c).get("grade_id") == colab.SETUP_ID))
    assert "KEEP_ON_DRIVE = None\n" in setup
    setup = setup.replace("KEEP_ON_DRIVE = None\n", f"KEEP_ON_DRIVE = {keep_on_drive}\n")  # the student's choice
    prelude = FAKE_PIP + (FAKE_COLAB.format(drive=str(tmp_path / "drive")) if on_colab else "")
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(prelude),
        nbformat.v4.new_code_cell(setup),
        nbformat.v4.new_code_cell(after),
    ])
    run = execute(tmp_path / "probe.ipynb", notebook=nb, timeout=120)
    assert run.error is None, run.error
    return "".join(o.get("text", "") for c in run.notebook.cells[1:] for o in c.outputs)


@pytest.mark.slow
def test_setup_cell_is_a_no_op_outside_colab(tmp_path):
    out = run_setup_cell(tmp_path, on_colab=False)
    assert "PIP []" in out and f"LESSON {lessons()[0]} cpu" in out


@pytest.mark.slow
def test_setup_cell_installs_the_course_on_colab(tmp_path):
    repository, tag = colab.publishing()
    out = run_setup_cell(tmp_path, on_colab=True)
    assert f"llmcourse @ git+{repository}@{tag}" in out and "install" in out
    assert f"LESSON {lessons()[0]}" in out
    # asked about Drive with no one to answer (a kernel without stdin): nothing mounted, and it says so
    assert "Google Drive" in out and "on this Colab runtime only" in out and not (tmp_path / "drive").exists()


@pytest.mark.slow
def test_setup_cell_keeps_artifacts_on_drive_when_the_student_opts_in(tmp_path):
    out = run_setup_cell(tmp_path, on_colab=True, keep_on_drive="True", after=(
        "from llmcourse import results\n"
        "results.record('00_setup', probe=1.5)\n"
        "print('MOUNTED', colab.drive.mounted, 'ARTIFACTS', os.environ['LLMCOURSE_ARTIFACTS'])"))
    folder = tmp_path / "drive" / "MyDrive" / "llmcourse-artifacts"
    assert f"MOUNTED [{str(tmp_path / 'drive')!r}] ARTIFACTS {folder}\n" in out
    assert f"go to {folder} on your Google Drive" in out
    assert (folder / "results" / "00_setup.json").read_text().count("1.5") == 1  # a lesson's artifact landed there


def fake_colab(monkeypatch, tmp_path) -> list:
    mounted = []
    colab_module = types.ModuleType("google.colab")
    colab_module.drive = types.SimpleNamespace(mount=lambda where: mounted.append(where))
    monkeypatch.setitem(sys.modules, "google.colab", colab_module)
    monkeypatch.setattr(paths, "DRIVE", tmp_path / "drive")
    monkeypatch.delenv("LLMCOURSE_ARTIFACTS", raising=False)
    return mounted


@pytest.mark.parametrize("answer, kept", [("y", True), ("Yes ", True), ("", False), ("n", False)])
def test_the_drive_question_is_answered_by_the_student(monkeypatch, tmp_path, capsys, answer, kept):
    mounted = fake_colab(monkeypatch, tmp_path)
    monkeypatch.setattr("builtins.input", lambda prompt: answer)
    folder = paths.keep_artifacts_on_drive(None)
    assert (folder is not None) == kept and bool(mounted) == kept
    assert (os.environ.get("LLMCOURSE_ARTIFACTS") == str(tmp_path / "drive" / "MyDrive" / "llmcourse-artifacts")) == kept
    assert "Google Drive" in capsys.readouterr().out


def test_a_chosen_artifacts_folder_is_kept_without_asking(monkeypatch, tmp_path, capsys):
    mounted = fake_colab(monkeypatch, tmp_path)
    monkeypatch.setenv("LLMCOURSE_ARTIFACTS", str(tmp_path / "mine"))
    monkeypatch.setattr("builtins.input", lambda prompt: pytest.fail("asked although the folder was chosen"))
    assert paths.keep_artifacts_on_drive(None) is None and not mounted
    assert str(tmp_path / "mine") in capsys.readouterr().out
