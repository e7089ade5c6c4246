"""Where the course's notebooks are, and scratch nbgrader course folders that point at them."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"
RELEASES = REPO / "notebooks"
CONFIG = REPO / "nbgrader_config.py"


def lessons() -> list[str]:
    """Lesson folders in solutions/, in order: 00_setup, 01_attention, ..."""
    return sorted(p.name for p in SOLUTIONS.iterdir()
                  if p.is_dir() and (p / f"{p.name}.ipynb").is_file())


def solution_notebook(lesson: str) -> Path:
    return SOLUTIONS / lesson / f"{lesson}.ipynb"


def release_notebook(lesson: str, releases: Path = RELEASES) -> Path:
    return releases / lesson / f"{lesson}.ipynb"


def make_course_dir(root: Path, releases: Path = RELEASES, source: Path = SOLUTIONS) -> Path:
    """An nbgrader course folder at `root` using this repo's config, `source` (solutions/) as its
    source and `releases` as its release folder. Its gradebook, submissions and feedback stay in
    `root`."""
    root = Path(root).resolve()
    root.mkdir(parents=True, exist_ok=True)
    (root / "nbgrader_config.py").write_text(
        "c = get_config()  # noqa: F821\n"
        f"load_subconfig({str(CONFIG)!r})  # noqa: F821\n"
        f"c.CourseDirectory.root = {str(root)!r}\n"
        f"c.CourseDirectory.source_directory = {str(Path(source).resolve())!r}\n"
        f"c.CourseDirectory.release_directory = {str(Path(releases).resolve())!r}\n"
    )
    return root


def nbgrader(*args: str, course_dir: Path, check: bool = True, env: dict | None = None,
             timeout: float | None = None) -> subprocess.CompletedProcess:
    """Run `nbgrader <args>` in course_dir with this interpreter; output captured.

    nbgrader starts `alembic` as a subprocess when it creates a gradebook, so the interpreter's
    bin/ folder goes first on PATH.
    """
    bin_dir = str(Path(sys.executable).parent)
    full_env = {**os.environ, **(env or {}), "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course_dir, env=full_env,
                          capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed (exit {proc.returncode}):\n"
                           + (proc.stdout + proc.stderr)[-4000:])
    return proc


class CourseFolder:
    """The layout of an nbgrader course folder as grading uses it; the one place that knows it.

        submitted/<student>/<lesson>/<lesson>.ipynb    what was collected
        autograded/<student>/<lesson>/<lesson>.ipynb   what nbgrader executed and scored
        grading/<lesson>/<student>.json                our record of the grading (autograder.record)
        reference/<lesson>.json                        the solution's values (autograder.reference)
        feedback/<student>/<lesson>/<lesson>.html      what the student gets back
        reports/                                       the instructor's report, grades.csv, plots
        gradebook.db                                   nbgrader's gradebook (autograder.gradebook)
        holds_released.json                            holds an instructor released (autograder.holds)
    """

    def __init__(self, root: Path):
        self.root = Path(root)

    def submission(self, student: str, lesson: str) -> Path:
        return self.root / "submitted" / student / lesson / f"{lesson}.ipynb"

    def submitted_students(self, lesson: str) -> list[str]:
        return [p.name for p in sorted((self.root / "submitted").glob("*")) if (p / lesson).is_dir()]

    def autograded(self, student: str, lesson: str) -> Path:
        return self.root / "autograded" / student / lesson / f"{lesson}.ipynb"

    def record(self, student: str, lesson: str) -> Path:
        return self.root / "grading" / lesson / f"{student}.json"

    def records(self) -> list[Path]:
        return sorted((self.root / "grading").glob("*/*.json"))

    @property
    def references(self) -> Path:
        return self.root / "reference"

    def feedback(self, student: str, lesson: str) -> Path:
        return self.root / "feedback" / student / lesson / f"{lesson}.html"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def gradebook_url(self) -> str:
        return f"sqlite:///{self.root / 'gradebook.db'}"

    @property
    def released_holds(self) -> Path:
        return self.root / "holds_released.json"
