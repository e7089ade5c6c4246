"""Points held for review, and the instructor's release of them.

A submission whose code the static scan finds suspicious (or whose test cells scored without the
checks reporting) has those tests' points held: nbgrader's raw score stays in the gradebook's
auto score, and a manual score of 0 makes the official score. After reading the code, an
instructor releases the hold with one command:

    python -m autograder release-hold STUDENT LESSON [--course DIR]

The release is tied to the exact bytes that were reviewed (a SHA-256 of the submitted notebook,
kept in <course>/holds_released.json): re-grading the same submission keeps the points, a new
submission is scanned and held afresh.
"""

import datetime as dt
import getpass
import hashlib
import json
from pathlib import Path

RELEASED = "holds_released.json"


def _digest(course: Path, student: str, lesson: str) -> str | None:
    path = Path(course) / "submitted" / student / lesson / f"{lesson}.ipynb"
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def _load(course: Path) -> dict:
    path = Path(course) / RELEASED
    return json.loads(path.read_text()) if path.is_file() else {}


def released(course: Path, student: str, lesson: str) -> bool:
    """Has an instructor released the hold on exactly this submission?"""
    entry = _load(course).get(f"{lesson}/{student}")
    return bool(entry) and entry.get("sha256") == _digest(course, student, lesson)


def explain(job) -> str:
    """Why the official score differs from nbgrader's raw one ('' when it does not)."""
    if job.held:
        return (f"{job.raw_score - job.score:g} point(s) held for review ({', '.join(job.held)}): "
                f"read the flagged code, then `python -m autograder release-hold {job.student!r} "
                f"{job.lesson}` to give them")
    if job.hold_released:
        return "hold released by an instructor after review"
    if job.raw_score != job.score:
        return "the gradebook has a manual score (set in formgrader)"
    return ""


def undo(course: Path, record: Path) -> None:
    """Before re-grading: remove the manual zeros an earlier run set, so grading is idempotent."""
    from nbgrader.api import Gradebook, MissingEntry

    if not record.exists():
        return
    old = json.loads(record.read_text())
    if not old.get("held"):
        return
    with Gradebook(f"sqlite:///{Path(course) / 'gradebook.db'}") as gb:
        for grade_id in old["held"]:
            try:
                grade = gb.find_grade(grade_id, old["lesson"], old["lesson"], old["student"])
            except MissingEntry:
                continue
            grade.manual_score = None
        gb.db.commit()


def release(course: Path, student: str, lesson: str) -> dict:
    """Give a held submission its points: clear the manual zeros, remember the reviewed bytes,
    and update the grading record. Returns the updated record; raises LookupError if there is
    nothing to release."""
    course = Path(course)
    path = course / "grading" / lesson / f"{student}.json"
    if not path.is_file():
        raise LookupError(f"no grading record for {student} / {lesson} in {course} (grade it first)")
    record = json.loads(path.read_text())
    if not record.get("held"):
        raise LookupError(f"{student} / {lesson} has no points held (official score "
                          f"{record['score']:g} / {record['max_score']:g})")
    undo(course, path)
    entries = _load(course)
    entries[f"{lesson}/{student}"] = {"sha256": _digest(course, student, lesson), "by": getpass.getuser(),
                                      "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                                      "tests": record["held"]}
    (course / RELEASED).write_text(json.dumps(entries, indent=1))

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        submission = gb.find_submission(lesson, student)
        record["score"] = submission.score
        points = {g.name: g.score for nb in submission.notebooks for g in nb.grades}
    for test in record["tests"]:
        test["points"] = points.get(test["grade_id"], test["points"])
        if test["grade_id"] in record["held"] and test["points"] >= test["max_points"] > 0:
            test["status"] = "passed"
    record["flags"].append(f"hold released by {entries[f'{lesson}/{student}']['by']} after review "
                           f"({', '.join(record['held'])})")
    record["held"], record["hold_released"] = [], True
    record["score_note"] = "hold released by an instructor after review"
    path.write_text(json.dumps(record, indent=1))
    return record
