"""The grading record of one submission: what happened, what each test said, what is held.

Written to <course>/grading/<lesson>/<student>.json by grading; feedback, the class report and
`release-hold` read it back with `load`. Every submission gets one, whatever happened to it.
"""

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from .course import CourseFolder


@dataclass
class Record:
    student: str
    lesson: str
    status: str = "graded"   # graded | error (nbgrader could not finish) | malformed | missing | timeout
    score: float = 0.0       # the official score (after holds): the gradebook's
    max_score: float = 0.0
    tests: list[dict] = field(default_factory=list)  # {grade_id, title, points, max_points, status, message}, in notebook order
    problems: list[str] = field(default_factory=list)  # what went wrong while grading, in words
    cell_errors: list[str] = field(default_factory=list)  # errors the student's own cells raised
    flags: list[str] = field(default_factory=list)     # for manual review
    hold: bool = False       # suspicious code: points held (manual score 0) until reviewed
    held: list[str] = field(default_factory=list)      # grade ids given a manual score of 0 by us
    raw_score: float = 0.0   # what nbgrader's tests gave, before holds
    score_note: str = ""     # why score and raw_score differ, in words
    hold_released: bool = False  # an instructor reviewed this exact submission and released it
    seconds: float = 0.0

    def save(self, course: Path) -> Path:
        path = CourseFolder(course).record(self.student, self.lesson)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=1))
        return path


def load(path: Path) -> Record:
    data = json.loads(Path(path).read_text())
    return Record(**{f.name: data[f.name] for f in fields(Record) if f.name in data})


def load_all(course: Path) -> list[Record]:
    return [load(p) for p in CourseFolder(course).records()]


def find(course: Path, student: str, lesson: str) -> Record | None:
    path = CourseFolder(course).record(student, lesson)
    return load(path) if path.is_file() else None
