"""Colab readiness of the releases: an "Open in Colab" badge and a setup cell that installs the
course package on Colab only. Both are written at release time from the one setting
[tool.llmcourse] repository/branch in pyproject.toml, so publishing the course under another
address is: change that setting, run `make release`.

Solutions carry a `<!-- colab-badge -->` line in their first markdown cell and a locked setup
cell (grade_id "setup"); ColabCells fills both in while nbgrader generates the release.
"""

import tomllib
from pathlib import Path

from nbgrader.preprocessors import NbGraderPreprocessor

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
BADGE_MARK = "<!-- colab-badge -->"
SETUP_ID = "setup"

SETUP = '''# Setup: run this cell first. On Google Colab it installs the course package (about a
# minute); anywhere else it changes nothing.
import sys
if "google.colab" in sys.modules:
    %pip install -q "llmcourse @ git+{repository}@{branch}"
from llmcourse.notebook import start_lesson
lesson = start_lesson("{lesson}")'''


def publishing(pyproject: Path = PYPROJECT) -> tuple[str, str]:
    """(repository URL, branch) from pyproject.toml."""
    settings = tomllib.loads(pyproject.read_text())["tool"]["llmcourse"]
    return settings["repository"].rstrip("/"), settings.get("branch", "main")


def badge(lesson: str, repository: str, branch: str) -> str:
    path = repository.removeprefix("https://github.com/")
    url = f"https://colab.research.google.com/github/{path}/blob/{branch}/notebooks/{lesson}/{lesson}.ipynb"
    return f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({url})"


def setup_source(lesson: str, repository: str, branch: str) -> str:
    return SETUP.format(lesson=lesson, repository=repository, branch=branch)


class ColabCells(NbGraderPreprocessor):
    """Fill in the badge and the setup cell of a notebook being released."""

    def preprocess(self, nb, resources):
        lesson = resources["nbgrader"]["assignment"]
        repository, branch = publishing()
        markdown = [c for c in nb.cells if c.cell_type == "markdown"]
        setup = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == SETUP_ID]
        stamped = markdown and badge(lesson, repository, branch) in markdown[0].source
        if not markdown or not (BADGE_MARK in markdown[0].source or stamped) or len(setup) != 1:
            raise ValueError(f"{lesson}: every lesson starts with a markdown cell holding the line "
                             f"{BADGE_MARK} and has one setup cell (grade_id {SETUP_ID!r}); see README")
        markdown[0].source = markdown[0].source.replace(BADGE_MARK, badge(lesson, repository, branch))
        setup[0].source = setup_source(lesson, repository, branch)
        return nb, resources
