"""Points held for review, and the instructor's release of them.

A submission whose code the static scan finds suspicious has its tests' points held: the
grader's score (its verdict) stays in the gradebook's auto score, and a manual score of 0 makes
the official score. After reading the code, an
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

from . import gradebook, record
from .course import CourseFolder


def _digest(course: Path, student: str, lesson: str) -> str | None:
    path = CourseFolder(course).submission(student, lesson)
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def _load(course: Path) -> dict:
    path = CourseFolder(course).released_holds
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


def undo(course: Path, student: str, lesson: str) -> None:
    """Before re-grading: remove the manual zeros an earlier run set, so grading is idempotent."""
    old = record.find(course, student, lesson)
    if old is not None and old.held:
        gradebook.set_manual_scores(course, student, lesson, {grade_id: None for grade_id in old.held})


def release(course: Path, student: str, lesson: str) -> record.Record:
    """Give a held submission its points: clear the manual zeros, remember the reviewed bytes,
    and update the grading record. Returns the updated record; raises LookupError if there is
    nothing to release."""
    course = Path(course)
    rec = record.find(course, student, lesson)
    if rec is None:
        raise LookupError(f"no grading record for {student} / {lesson} in {course} (grade it first)")
    if not rec.held:
        raise LookupError(f"{student} / {lesson} has no points held (official score "
                          f"{rec.score:g} / {rec.max_score:g})")
    undo(course, student, lesson)
    entries = _load(course)
    entries[f"{lesson}/{student}"] = {"sha256": _digest(course, student, lesson), "by": getpass.getuser(),
                                      "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                                      "tests": rec.held}
    CourseFolder(course).released_holds.write_text(json.dumps(entries, indent=1))

    with gradebook.opened(course) as gb:
        submission = gb.find_submission(lesson, student)
        rec.score = submission.score
        points = {g.name: g.score for nb in submission.notebooks for g in nb.grades}
    for test in rec.tests:
        test["points"] = points.get(test["grade_id"], test["points"])
        if test["grade_id"] in rec.held and test["points"] >= test["max_points"] > 0:
            test["status"] = "passed"
    rec.flags.append(f"hold released by {entries[f'{lesson}/{student}']['by']} after review "
                     f"({', '.join(rec.held)})")
    rec.held, rec.hold_released = [], True
    rec.score_note = "hold released by an instructor after review"
    rec.save(course)
    return rec
