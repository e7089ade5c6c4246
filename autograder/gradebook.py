"""nbgrader's gradebook (the source of truth for grades): the one module that opens it."""

import contextlib
import warnings
from pathlib import Path

from .course import CourseFolder


@contextlib.contextmanager
def opened(course: Path):
    """nbgrader's Gradebook for the course folder, SQLAlchemy's autoflush notes silenced."""
    from nbgrader.api import Gradebook

    with Gradebook(CourseFolder(course).gradebook_url) as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield gb


def scores(course: Path, lesson: str) -> dict[str, tuple[float, float]]:
    """{student: (score, max_score)} for every submission of `lesson`."""
    from nbgrader.api import MissingEntry

    with opened(course) as gb:
        try:
            submissions = gb.assignment_submissions(lesson)
        except MissingEntry:
            return {}
        return {s.student_id: (s.score, s.max_score) for s in submissions}


def cell_scores(course: Path, lesson: str, student: str) -> dict[str, tuple[float, float]]:
    """{grade_id: (score, max_score)} for one student's submission of `lesson`."""
    with opened(course) as gb:
        submission = gb.find_submission(lesson, student)
        return {grade.name: (grade.score, grade.max_score)
                for nb in submission.notebooks for grade in nb.grades}


def cell_auto_scores(course: Path, lesson: str, student: str) -> dict[str, tuple[float, float]]:
    """{grade_id: (auto score, max score)} for the cells of one submission that were scored
    automatically (a manually graded cell has no auto score)."""
    with opened(course) as gb:
        submission = gb.find_submission(lesson, student)
        return {grade.name: (grade.auto_score, grade.max_score)
                for nb in submission.notebooks for grade in nb.grades if grade.auto_score is not None}


def store(course: Path, student: str, lesson: str, auto_scores: dict[str, float], held: list[str],
          timestamp: str | None = None, reset: bool = False,
          keep: bool = False) -> tuple[float, float, dict[str, float]]:
    """Write one graded submission into the course's gradebook: each scored cell's auto score
    (cells without one keep theirs) and a manual 0 on held cells. Writing the same result twice
    leaves the same rows, so a job that ran twice (a retry after a lost worker) counts once.
    Manual scores an instructor gave in formgrader stay, unless `reset` (the submission could not
    be read, so nothing of an earlier version stands). `keep`: only make sure a row exists (a job
    that was refused or lost leaves an earlier grade as it was).
    Returns (score, max score, {grade_id: score})."""
    from nbgrader.api import MissingEntry

    with opened(course) as gb:
        if not any(s.id == student for s in gb.students):
            gb.add_student(student)
        if reset:
            try:
                gb.remove_submission(lesson, student)
            except MissingEntry:
                pass
        extra = {"timestamp": timestamp} if timestamp and not keep else {}
        submission = gb.update_or_create_submission(lesson, student, **extra)
        for notebook in [] if keep else submission.notebooks:
            for grade in notebook.grades:
                if grade.name in auto_scores:
                    grade.auto_score = float(auto_scores[grade.name])
                    grade.needs_manual_grade = False  # what nbgrader's autograde says of a scored test
                if grade.name in held:
                    grade.manual_score = 0.0
        gb.db.commit()
        gb.db.refresh(submission)
        return (submission.score, submission.max_score,
                {grade.name: grade.score for nb in submission.notebooks for grade in nb.grades})


def ensure_row(course: Path, student: str, lesson: str, reset: bool = False) -> None:
    """nbgrader records a submission before it executes; when it never got that far (malformed
    notebook) add one, so the gradebook holds a (zero) grade for every submission. `reset`
    replaces the grades of an earlier, readable version of the same submission."""
    from nbgrader.api import MissingEntry

    with opened(course) as gb:
        try:
            gb.find_submission(lesson, student)
            exists = True
        except MissingEntry:
            exists = False
        if exists and not reset:
            return
        if exists:
            gb.remove_submission(lesson, student)
        if not any(s.id == student for s in gb.students):
            gb.add_student(student)
        gb.add_submission(lesson, student)


def set_manual_scores(course: Path, student: str, lesson: str, scores_by_id: dict[str, float | None]) -> None:
    """Set (a number) or clear (None) the manual score of these grade cells, where they exist."""
    from nbgrader.api import MissingEntry

    with opened(course) as gb:
        for grade_id, score in scores_by_id.items():
            try:
                gb.find_grade(grade_id, lesson, lesson, student).manual_score = score
            except MissingEntry:
                continue
        gb.db.commit()


def set_names(course: Path, names: dict[str, tuple[str, str, str]]) -> None:
    """Give the gradebook's students their names and email ({id: (first, last, email)}), so
    formgrader lists people, not "None, None". Only students already in the gradebook."""
    if not names:
        return
    with opened(course) as gb:
        known = {s.id for s in gb.students}
        for student, (first, last, email) in names.items():
            if student in known:
                gb.update_or_create_student(student, first_name=first or None, last_name=last or None,
                                            email=email or None)


def set_duedate(course: Path, lesson: str, duedate) -> None:
    """The lesson's due date (an aware datetime), which nbgrader's lateness reads."""
    with opened(course) as gb:
        gb.update_or_create_assignment(lesson, duedate=duedate)


def set_late_penalty(course: Path, student: str, lesson: str, penalty: float) -> float:
    """Write a submission's late penalty where nbgrader keeps it (its notebooks' late penalty,
    shown by formgrader and `nbgrader export`); returns the gradebook's score before it."""
    with opened(course) as gb:
        submission = gb.find_submission(lesson, student)
        for i, notebook in enumerate(submission.notebooks):  # the lesson is one notebook
            notebook.late_submission_penalty = penalty if i == 0 else 0.0
        gb.db.commit()
        return submission.score
