"""The student distribution: the course as students get it, without its answers.

`python -m autograder publish DIR` writes into DIR the releases (notebooks/, generated afresh from
solutions/), the package the notebooks import (llmcourse/, which holds no answers), a student
README (autograder/student_readme.md), a pyproject.toml with the students' dependencies only, and
distribution.toml (version, tag, where it was built from). Nothing else is copied: the tree is
made from a list of what belongs in it, never by deleting what does not, so solutions/, the hidden
tests, autograder/ and tests/ cannot come along. The tree is checked before it replaces DIR's
contents: a solution line or a hidden test in it refuses the whole publication.

Publish into a clone of the student repository ([tool.llmcourse] student_repository), commit and
tag it with the printed tag: the Colab badges and setup cells (autograder/colab.py) point there.
"""

import functools
import json
import re
import shutil
import string
import subprocess
import tempfile
import tomllib
from pathlib import Path

from .colab import PYPROJECT, settings
from .course import REPO, lessons, solution_notebook
from .release import generate

MARKER = "distribution.toml"  # also how llmcourse.paths recognises a course folder
PACKAGE = REPO / "llmcourse"
README = Path(__file__).with_name("student_readme.md")
# nbgrader's markers and the call only hidden checks make: none may reach a student.
FORBIDDEN = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
HIDDEN_ONLY = "matches_solution("
_SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)^[ \t]*### END SOLUTION", re.S | re.M)
_HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)^[ \t]*### END HIDDEN TESTS", re.S | re.M)
SECRET_LINE = 25  # a line of a solution or hidden test this long and not in a release is a leak
# Lines the package shares with solutions, reviewed one by one: llmcourse/models.py is the
# reference encoder and decoder that lessons 04-07 train (module docstring), sentiment.py the
# classifier lessons 06-07 load; the rest is generic. Any other shared line refuses publication.
# (That models.Encoder can stand in for lesson 04's BERT assembly is a known weakness of the
# course's design, not of this list.)
SHARED_WITH_PACKAGE = (
    "x = self.norm1(x + self.drop(a))",  # 03 encoder block; models.Block
    "nn.LayerNorm(cfg.d_model, eps=cfg.ln_eps))",  # 04 BERT/GPT assembly; models.Encoder, Decoder
    "self.drop = nn.Dropout(cfg.dropout)",
    "self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))",
    "self.token = nn.Embedding(cfg.vocab_size, cfg.d_model)",
    "self.segment = nn.Embedding(cfg.n_segments, cfg.d_model)",
    "self.position = nn.Embedding(cfg.max_len, cfg.d_model)",
    "self.transform = nn.Sequential(nn.Linear(cfg.d_model, cfg.d_model), nn.GELU(approximate=cfg.gelu),",
    "h, weights = block(h, allowed, need_weights=output_attentions)",
    "attentions.append(weights)",
    "self.final_norm = nn.LayerNorm(cfg.d_model, eps=cfg.ln_eps)",
    "self.bias = nn.Parameter(torch.zeros(cfg.vocab_size))",
    'if self.pooling == "cls":',  # 05 classifier head; sentiment.SentimentClassifier
    "mask = attention_mask.unsqueeze(-1).to(hidden.dtype)",
    'if pooling not in ("cls", "mean"):',
    """raise ValueError(f"pooling must be 'cls' or 'mean', got {pooling!r}")""",
    "for i in range(n_layers):",  # generic
    "if attention_mask is not None:",
    'line_search_fn="strong_wolfe")',  # 08 temperature scaling's optimizer; sentiment.linear_probe (05's probe)
)


class PublishRefused(Exception):
    """The distribution would leak an answer, or DIR is not ours to replace."""


def publish(dest: Path, releases: Path | None = None, pyproject: Path = PYPROJECT) -> Path:
    """Write the student distribution into dest (created, or an earlier distribution whose files
    are replaced; its .git is kept). releases: a folder of releases to ship as they are (the
    tests pass notebooks/); by default they are generated afresh from solutions/."""
    dest = Path(dest)
    if dest.exists() and not dest.is_dir():
        raise PublishRefused(f"{dest} is a file; give a folder for the student distribution")
    if dest.exists() and any(p.name != ".git" for p in dest.iterdir()) and not (dest / MARKER).is_file():
        raise PublishRefused(f"{dest} is not empty and holds no {MARKER}: it is not an earlier student "
                             "distribution, so nothing in it is replaced. Give a new or empty folder, or a "
                             "clone of the student repository.")
    found = settings(pyproject)
    with tempfile.TemporaryDirectory(prefix="llmcourse-publish-") as tmp:
        tree = Path(tmp) / "tree"
        if releases is None:
            releases = generate(releases=Path(tmp) / "release")[0].parent
        _write(tree, Path(releases), found, tomllib.loads(Path(pyproject).read_text()))
        leaks = leaks_in(tree)
        if leaks:
            raise PublishRefused("not published, the tree would give answers away:\n"
                                 + "\n".join(f"  - {leak}" for leak in leaks[:20])
                                 + (f"\n  ... and {len(leaks) - 20} more" if len(leaks) > 20 else ""))
        dest.mkdir(parents=True, exist_ok=True)
        for old in dest.iterdir():
            if old.name != ".git":
                shutil.rmtree(old) if old.is_dir() and not old.is_symlink() else old.unlink()
        for new in tree.iterdir():
            shutil.move(new, dest / new.name)
    return dest


def _write(tree: Path, releases: Path, found: dict, project: dict) -> None:
    junk = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
    for lesson in lessons():
        if not (releases / lesson / f"{lesson}.ipynb").is_file():
            raise PublishRefused(f"no release of {lesson} in {releases}; run `python -m autograder release`")
        shutil.copytree(releases / lesson, tree / "notebooks" / lesson, ignore=junk)
    shutil.copytree(PACKAGE, tree / "llmcourse", ignore=junk)
    rows = "\n".join(f"| {lesson} | [notebooks/{lesson}/{lesson}.ipynb](notebooks/{lesson}/{lesson}.ipynb) |"
                     for lesson in lessons())
    (tree / "README.md").write_text(string.Template(README.read_text()).substitute(
        version=found["version"], tag=found["tag"], repository=found["student_repository"], lessons=rows))
    (tree / "pyproject.toml").write_text(student_pyproject(project, found["student_repository"]))
    commit = _commit()
    (tree / MARKER).write_text(
        "# The student distribution of the course, written by `python -m autograder publish`.\n"
        f"version = {_toml(found['version'])}\ntag = {_toml(found['tag'])}\n"
        f"repository = {_toml(found['student_repository'])}\n"
        + (f"built_from = {_toml(commit)}\n" if commit else ""))
    (tree / ".gitignore").write_text(".venv/\n__pycache__/\n.ipynb_checkpoints/\nartifacts/\ndata/\n")


def student_pyproject(project: dict, repository: str) -> str:
    """The students' pyproject.toml: the package and what the notebooks import, and JupyterLab
    as the `lab` extra (Colab has its own); none of the instructor's extras."""
    meta = project["project"]
    lab = [d for d in meta.get("optional-dependencies", {}).get("course", []) if d.startswith("jupyterlab")]
    deps = "".join(f"    {_toml(d)},\n" for d in meta["dependencies"])
    return ("[build-system]\nrequires = [\"setuptools>=68\"]\nbuild-backend = \"setuptools.build_meta\"\n\n"
            f"[project]\nname = {_toml(meta['name'])}\nversion = {_toml(meta['version'])}\n"
            f"description = {_toml(meta['description'])}\nreadme = \"README.md\"\n"
            f"requires-python = {_toml(meta['requires-python'])}\ndependencies = [\n{deps}]\n\n"
            "[project.optional-dependencies]\n# working locally: `pip install -e \".[lab]\"`\n"
            f"lab = [{', '.join(_toml(d) for d in lab or ['jupyterlab>=4.0'])}]\n\n"
            f"[project.urls]\nHomepage = {_toml(repository)}\n\n"
            "[tool.setuptools.packages.find]\ninclude = [\"llmcourse*\"]\n")


def _toml(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid TOML basic string


def _commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def _cells(notebook: Path) -> list[str]:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in cells]


def secret_lines(lesson: str) -> set[str]:
    """Lines of the lesson's solutions and hidden tests long enough to identify them, less those
    the course shows students anyway (a signature kept in the stub, code a later lesson gives)."""
    cells = _cells(solution_notebook(lesson))
    lines = {line.strip() for src in cells for body in _SOLUTION.findall(src) + _HIDDEN.findall(src)
             for line in body.splitlines() if len(line.strip()) >= SECRET_LINE}
    return {line for line in lines if line not in _public_text()}


@functools.cache
def _public_text() -> str:
    """All the solutions' cells with their solution and hidden-test blocks cut out: what the
    course shows, taken from the sources rather than from the releases being checked."""
    return "\n".join(_HIDDEN.sub("", _SOLUTION.sub("", src)) for lesson in lessons()
                     for src in _cells(solution_notebook(lesson)))


def leaks_in(tree: Path) -> list[str]:
    """Every way the tree gives an answer away: nbgrader's markers anywhere, a hidden check's
    call in a notebook, or a long line of a solution or hidden test anywhere."""
    texts = {p: p.read_text(encoding="utf-8", errors="replace") for p in sorted(tree.rglob("*")) if p.is_file()}
    found = [f"{p.relative_to(tree)} holds {m!r}" for p, t in texts.items() for m in FORBIDDEN if m in t]
    found += [f"{p.relative_to(tree)} calls {HIDDEN_ONLY}" for p, t in texts.items()
              if p.suffix == ".ipynb" and HIDDEN_ONLY in t]
    shown = {p: "\n".join(_cells(p)) for p in texts if p.suffix == ".ipynb"}  # cell text, unescaped
    package = tree / "llmcourse"
    for lesson in lessons():
        for line in secret_lines(lesson):
            found += [f"{p.relative_to(tree)} holds {lesson}'s line {line!r}" for p, t in texts.items()
                      if line in shown.get(p, t) and not (line in SHARED_WITH_PACKAGE and package in p.parents)]
    return found
