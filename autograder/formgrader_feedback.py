"""nbgrader's `generate_feedback` (formgrader's "Generate Feedback" button) writing the course's page.

nbgrader's own feedback is the autograded notebook rendered to HTML: every cell, hidden tests
included. nbgrader_config.py makes `GenerateFeedback` export with `CourseFeedback` instead,
which never reads the notebook: it writes the page `autograder/feedback.py` makes from the
grading record (the verdict, with the gradebook's current score, so manual grades given in
formgrader count), or refuses with a message when the submission has no record.
"""

from dataclasses import asdict
from pathlib import Path

from nbconvert.exporters import Exporter
from nbconvert.exporters.exporter import FilenameExtension

from . import feedback, gradebook, record
from .collect import load as load_collection


class NoVerdict(LookupError):
    """A submission this course has not graded: there is no page to give, and nbgrader's would
    show the hidden tests."""


def page(course: Path, student: str, lesson: str) -> str:
    """The feedback page of one submission, from its grading record and the gradebook's score."""
    course = Path(course)
    rec = record.find(course, student, lesson)
    if rec is None:
        raise NoVerdict(
            f"no grading record for {student} / {lesson} in {course / 'grading'}: this course writes "
            "feedback from its verdict, never from the notebook (which holds the hidden tests). "
            f"Grade it first: python -m autograder grade --course {course} --lessons {lesson} "
            f"--students '{student}'")
    current = gradebook.scores(course, lesson).get(student)
    if current is not None:  # manual grades given in formgrader after grading
        rec.score, rec.max_score = current
    notes = next((s.notes for s in load_collection(course).submissions
                  if (s.student, s.lesson) == (student, lesson)), [])
    return feedback.render(asdict(rec), notes)


class CourseFeedback(Exporter):
    """An nbconvert exporter for nbgrader's GenerateFeedback: the course's page, not the notebook."""

    output_mimetype = "text/html"
    file_extension = FilenameExtension(".html")

    def from_filename(self, filename, resources=None, **kw):
        return self._page(resources)  # the notebook is never parsed: nothing of it can leak

    def from_file(self, file_stream, resources=None, **kw):
        return self._page(resources)

    def from_notebook_node(self, nb, resources=None, **kw):
        return self._page(resources)

    def _page(self, resources):
        resources = self._init_resources(resources)
        about = resources.get("nbgrader") or {}
        if not about.get("student") or not about.get("assignment"):
            raise NoVerdict("the course's feedback needs nbgrader's student and assignment: "
                            "run it as `nbgrader generate_feedback LESSON`, not nbconvert")
        coursedir = getattr(self.parent, "coursedir", None)
        course = Path(coursedir.root) if coursedir is not None else Path.cwd()
        return page(course, about["student"], about["assignment"]), resources
