"""Colab readiness of the releases: an "Open in Colab" badge and a setup cell that, on Colab
only, installs the course package and offers to keep trained models on Google Drive.

Both point at the student distribution (`python -m autograder publish`, autograder/publish.py),
never at this repository, which holds the answers: the repository is [tool.llmcourse]
student_repository in pyproject.toml, the revision its version tag ("v" + [project] version), so a
notebook and the package it installs come from the same published version. Publishing under
another address or version is: change those settings, run `make release`, publish.

Solutions carry a `<!-- colab-badge -->` line in their first markdown cell and a locked setup
cell (grade_id "setup"); ColabCells fills both in while nbgrader generates the release.
"""

import tomllib
from pathlib import Path

from nbgrader.preprocessors import NbGraderPreprocessor

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
BADGE_MARK = "<!-- colab-badge -->"
SETUP_ID = "setup"

# KEEP_ON_DRIVE is read only on Colab (llmcourse.paths.keep_artifacts_on_drive); None asks.
SETUP = '''# Setup: run this cell first. On Google Colab it installs the course package (about a
# minute) and offers to keep your trained models on Google Drive, where later lessons (each on a
# new Colab runtime) find them: KEEP_ON_DRIVE = True or False answers without asking, None asks.
# Anywhere else it changes nothing.
KEEP_ON_DRIVE = None
import sys
if "google.colab" in sys.modules:
    %pip install -q "llmcourse @ git+{repository}@{tag}"
    from llmcourse.paths import keep_artifacts_on_drive
    keep_artifacts_on_drive(KEEP_ON_DRIVE)
from llmcourse.notebook import start_lesson
lesson = start_lesson("{lesson}")'''


def settings(pyproject: Path = PYPROJECT) -> dict:
    """The publishing settings: student_repository, version and tag."""
    config = tomllib.loads(Path(pyproject).read_text())
    course = config.get("tool", {}).get("llmcourse", {})
    if "student_repository" not in course:
        raise ValueError(f"{pyproject}: [tool.llmcourse] needs student_repository, the public address "
                         "of the student distribution (python -m autograder publish)")
    version = config["project"]["version"]
    return {"student_repository": course["student_repository"].rstrip("/"), "version": version,
            "tag": f"v{version}"}


def publishing(pyproject: Path = PYPROJECT) -> tuple[str, str]:
    """(the student distribution's repository URL, its version tag) from pyproject.toml."""
    found = settings(pyproject)
    return found["student_repository"], found["tag"]


def badge(lesson: str, repository: str, tag: str) -> str:
    path = repository.removeprefix("https://github.com/")
    url = f"https://colab.research.google.com/github/{path}/blob/{tag}/notebooks/{lesson}/{lesson}.ipynb"
    return f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({url})"


def setup_source(lesson: str, repository: str, tag: str) -> str:
    return SETUP.format(lesson=lesson, repository=repository, tag=tag)


class ColabCells(NbGraderPreprocessor):
    """Fill in the badge and the setup cell of a notebook being released."""

    def preprocess(self, nb, resources):
        lesson = resources["nbgrader"]["assignment"]
        repository, tag = publishing()
        markdown = [c for c in nb.cells if c.cell_type == "markdown"]
        setup = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == SETUP_ID]
        stamped = markdown and badge(lesson, repository, tag) in markdown[0].source
        if not markdown or not (BADGE_MARK in markdown[0].source or stamped) or len(setup) != 1:
            raise ValueError(f"{lesson}: every lesson starts with a markdown cell holding the line "
                             f"{BADGE_MARK} and has one setup cell (grade_id {SETUP_ID!r}); see README")
        markdown[0].source = markdown[0].source.replace(BADGE_MARK, badge(lesson, repository, tag))
        setup[0].source = setup_source(lesson, repository, tag)
        return nb, resources
