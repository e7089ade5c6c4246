"""The student distribution (`python -m autograder publish`): only what students need, no answer
in any form, and it installs into a fresh environment and runs lesson 00 from there."""

import os
import shutil
import subprocess
import sys
import sysconfig
import time
import tomllib
from pathlib import Path

import nbformat
import pytest

from conftest import REPO, load_notebook
from nbcells import HIDDEN, SOLUTION, meta, source, strip_hidden

from autograder import colab, publish
from autograder.course import RELEASES, lessons, release_notebook, solution_notebook

STUDENT_FILES = {".gitignore", "README.md", "distribution.toml", "llmcourse", "notebooks", "pyproject.toml"}
INSTRUCTOR_ONLY = ("nbgrader", "jupyterhub", "dask", "distributed", "playwright", "pytest", "scikit-learn")


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    return publish.publish(tmp_path_factory.mktemp("dist") / "course", releases=RELEASES)


def files(tree):
    return sorted(p for p in tree.rglob("*") if p.is_file())


def test_tree_holds_the_student_course_and_nothing_else(tree):
    assert {p.name for p in tree.iterdir()} == STUDENT_FILES
    assert sorted(p.name for p in (tree / "notebooks").iterdir()) == lessons()
    parts = {part for p in files(tree) for part in p.relative_to(tree).parts}
    assert not parts & {"solutions", "autograder", "tests", "mutants", "scripts", "deploy", "__pycache__"}
    package = sorted(p.name for p in (tree / "llmcourse").iterdir())
    assert package == sorted(p.name for p in (REPO / "llmcourse").glob("*.py"))
    for lesson in lessons():
        assert load_notebook(tree / "notebooks" / lesson / f"{lesson}.ipynb") == load_notebook(release_notebook(lesson))


def test_tree_gives_no_answer_away(tree):
    text = {p: p.read_text(encoding="utf-8") for p in files(tree)}
    cells = {p: "\n".join(source(c) for c in load_notebook(p)["cells"]) for p in text if p.suffix == ".ipynb"}
    for p, t in text.items():
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
            assert marker not in t, f"{p} holds {marker!r}"
    assert not [p for p, t in cells.items() if "matches_solution" in t], "a hidden check reached a release"
    # what the course shows: the solutions less their solution and hidden-test blocks
    shown = "\n".join(SOLUTION.sub("", strip_hidden(source(c))) for lesson in lessons()
                      for c in load_notebook(solution_notebook(lesson))["cells"])
    secrets = 0
    for lesson in lessons():
        for cell in load_notebook(solution_notebook(lesson))["cells"]:
            for body in SOLUTION.findall(source(cell)) + HIDDEN.findall(source(cell)):
                for line in (line.strip() for line in body.splitlines()):
                    if len(line) < 25 or line in shown or "### " in line:
                        continue
                    secrets += 1
                    for p, t in text.items():
                        in_package = (tree / "llmcourse") in p.parents
                        if in_package and line in publish.SHARED_WITH_PACKAGE:
                            continue  # reviewed: the package's reference models (autograder/publish.py)
                        assert line not in cells.get(p, t), f"{p.relative_to(tree)} reveals {lesson}'s {line!r}"
    assert secrets > 100, "the scan found almost no solution lines: is it reading the solutions?"


def test_a_leaking_release_is_not_published(tmp_path):
    releases = tmp_path / "releases"
    shutil.copytree(RELEASES, releases)
    line = sorted(publish.secret_lines("00_setup"))[0]
    nb = nbformat.read(releases / "00_setup" / "00_setup.ipynb", as_version=4)
    nb.cells[-1].source += f"\n{line}\n"  # as if nbgrader had left a solution line in
    nbformat.write(nb, releases / "00_setup" / "00_setup.ipynb")
    with pytest.raises(publish.PublishRefused, match="00_setup"):
        publish.publish(tmp_path / "dist", releases=releases)
    assert not (tmp_path / "dist").exists()


def test_only_an_earlier_distribution_is_replaced(tmp_path, tree):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("mine")
    with pytest.raises(publish.PublishRefused, match="not an earlier student distribution"):
        publish.publish(foreign, releases=RELEASES)
    assert (foreign / "thesis.tex").read_text() == "mine"
    again = tmp_path / "clone"
    shutil.copytree(tree, again)
    (again / ".git").mkdir()
    (again / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (again / "stale.txt").write_text("from an older version")
    publish.publish(again, releases=RELEASES)
    assert (again / ".git" / "HEAD").is_file() and not (again / "stale.txt").exists()
    assert {p.name for p in again.iterdir()} == STUDENT_FILES | {".git"}


def test_versioned_with_student_dependencies_only(tree):
    project = tomllib.loads((tree / "pyproject.toml").read_text())
    ours = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    repository, tag = colab.publishing()
    assert project["project"]["version"] == ours["version"] and tag == f"v{ours['version']}"
    assert project["project"]["dependencies"] == ours["dependencies"]
    wanted = project["project"]["dependencies"] + sum(project["project"]["optional-dependencies"].values(), [])
    assert any(d.startswith("jupyterlab") for d in wanted)
    assert not [d for d in wanted if d.split("[")[0].split(">")[0].split("=")[0].strip() in INSTRUCTOR_ONLY]
    assert project["tool"]["setuptools"]["packages"]["find"]["include"] == ["llmcourse*"]
    stamp = tomllib.loads((tree / "distribution.toml").read_text())
    assert (stamp["version"], stamp["tag"], stamp["repository"]) == (ours["version"], tag, repository)
    readme = (tree / "README.md").read_text()
    assert f"--branch {tag} {repository}" in readme and "KEEP_ON_DRIVE" in readme and "$" + "tag" not in readme


RUN_LESSON = """
import sys, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(nb, timeout=300, kernel_name="python3",
               resources={"metadata": {"path": sys.argv[2]}}).execute()
nbformat.write(nb, sys.argv[1])
"""


@pytest.mark.slow
def test_a_fresh_environment_installs_it_and_runs_lesson_00(tree, tmp_path):
    """pip installs the distribution (not this checkout) into a new venv and lesson 00 runs with
    the answer typed in. Offline and quick: the venv sees this venv's packages through a .pth
    file (torch and the rest are not downloaded again) and pip installs only the course
    (--no-deps --no-index --no-build-isolation)."""
    venv, start = tmp_path / "venv", time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    site = subprocess.run([venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    Path(site, "course-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    pip = subprocess.run([venv / "bin" / "python", "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                          "--no-build-isolation", tree], capture_output=True, text=True, timeout=300)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    installed_s = time.perf_counter() - start

    # lesson 00 as a student runs it: the answer typed into the exercise cell; heavy cells (IMDb)
    # are skipped, as grading skips them, since this test is offline and the tree has no data
    lesson = "00_setup"
    answers = {meta(c)["grade_id"]: c for c in load_notebook(solution_notebook(lesson))["cells"] if meta(c).get("solution")}
    work = tree / "notebooks" / lesson
    nb = nbformat.read(work / f"{lesson}.ipynb", as_version=4)
    nb.cells = [c for c in nb.cells if "heavy" not in c.metadata.get("tags", [])]
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = "\n".join(line for line in source(answers[meta(cell)["grade_id"]]).splitlines()
                                    if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line)
    nb.cells.append(nbformat.v4.new_code_cell(
        "import sys, llmcourse, llmcourse.paths\n"
        "print('PYTHON', sys.executable); print('PACKAGE', llmcourse.__file__)\n"
        "print('ROOT', llmcourse.paths.course_root())"))
    answered = tmp_path / f"{lesson}.ipynb"
    nbformat.write(nb, answered)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "LLMCOURSE_ARTIFACTS")}
    run = subprocess.run([venv / "bin" / "python", "-c", RUN_LESSON, answered, work], env=env, cwd=work,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    done = nbformat.read(answered, as_version=4)
    out = "".join(o.get("text", "") for c in done.cells if c.cell_type == "code" for o in c.outputs)
    print(f"venv + pip install of the distribution: {installed_s:.1f} s; lesson 00: "
          f"{time.perf_counter() - start - installed_s:.1f} s")
    assert out.count("✓") >= 3 and "✗" not in out, out[-2000:]
    assert f"PYTHON {venv}/bin/python" in out and f"PACKAGE {site}/llmcourse/__init__.py" in out
    assert f"ROOT {tree}\n" in out  # the distribution is a course folder: artifacts/ and data/ in it
