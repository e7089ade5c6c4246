"""Read scores back from nbgrader's gradebook (the source of truth for grades)."""

from pathlib import Path


def scores(course_dir: Path, lesson: str) -> dict[str, tuple[float, float]]:
    """{student: (score, max_score)} for every submission of `lesson` in course_dir's gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(f"sqlite:///{Path(course_dir) / 'gradebook.db'}") as gb:
        try:
            submissions = gb.assignment_submissions(lesson)
        except MissingEntry:
            return {}
        return {s.student_id: (s.score, s.max_score) for s in submissions}


def cell_scores(course_dir: Path, lesson: str, student: str) -> dict[str, tuple[float, float]]:
    """{grade_id: (score, max_score)} for one student's submission of `lesson`."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{Path(course_dir) / 'gradebook.db'}") as gb:
        submission = gb.find_submission(lesson, student)
        return {grade.name: (grade.score, grade.max_score)
                for nb in submission.notebooks for grade in nb.grades}
