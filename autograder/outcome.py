"""What each test said: scores from the gradebook, messages from the graded notebook.

The gradebook is the source of truth for points, checked against the test cells' outputs in
<course>/autograded/:
- a test cell scores all or nothing: values it showed (which nbgrader would take as partial
  credit) were removed before nbgrader scored it (autograder/grading_execute.py);
- a test cell that scored points without llmcourse.checks printing its "all N checks passed"
  line did not really run its checks (the kernel was tampered with): its grade gets a manual
  score of 0 in the gradebook and the submission is flagged;
- messages are reduced to the lines the checks print (autograder/messages.py), so feedback
  never carries a hidden test, whatever student code printed.
"""

import re
from pathlib import Path

import nbformat

from . import files, gradebook, holds, messages
from .course import CourseFolder

MARKER = re.compile(r"all \d+ checks passed")
MESSAGE_LIMIT = 1500


def _cell_text(cell) -> tuple[str, tuple[str, str] | None]:
    """(what a code cell printed to stdout, its first error as (name, value))."""
    printed, error = [], None
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream" and out.get("name") != "stderr":
            printed.append(str(out.get("text", "")))
        elif out.get("output_type") == "error" and error is None:
            error = (str(out.get("ename", "")), str(out.get("evalue", "")))
    return "".join(printed), error


def read(course: Path, job) -> None:
    """Fill job.score, job.max_score and job.tests from the gradebook and the graded notebook."""
    lesson, student = job.lesson, job.student
    graded_path = CourseFolder(course).autograded(student, lesson)
    cells = {}
    if graded_path.exists():
        try:
            nb = nbformat.reads(files.read_bytes(graded_path).decode("utf-8", "replace"), as_version=4)
            cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
        except Exception as e:
            job.problems.append(f"the graded notebook could not be read back ({e})")
    vocab = messages.vocabulary(lesson)
    if graded_path.exists() and cells:
        for index, cell in enumerate(nb.cells):
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "code" and not meta.get("grade"):
                error = _cell_text(cell)[1]
                if error:
                    name = meta.get("grade_id") or str(index)
                    job.cell_errors.append(f"cell {name} raised {messages.error_text(vocab, *error)}")
    tampered = False
    with gradebook.opened(course) as gb:
        submission = gb.find_submission(lesson, student)
        for notebook in submission.notebooks:
            for grade in sorted(notebook.grades, key=lambda g: g.name):
                cell = cells.get(grade.name)
                printed, error = _cell_text(cell) if cell is not None else ("", None)
                ran = cell is not None and cell.get("execution_count") is not None
                if error and "test environment was modified" in error[1]:
                    tampered = True
                earned = (grade.auto_score or 0) > 0 and grade.manual_score is None
                job.raw_score += grade.auto_score or 0
                if job.hold_released:
                    pass  # an instructor reviewed this submission: its points stand
                elif earned and not MARKER.search(printed) and "exercise(" in (cell.source if cell is not None else ""):
                    _hold(gb, grade, job, f"{grade.name}: scored without its checks printing a result "
                                          "(kernel tampered with?); set to 0 for manual review")
                elif earned and job.hold:
                    _hold(gb, grade, job, f"{grade.name}: points held (manual score 0) because of the "
                                          "flagged code; review it in formgrader")
                points = grade.score
                if not ran:
                    status, message = "not run", _why_not_run(job)
                else:
                    passed = points >= grade.max_score and grade.max_score > 0 and grade.manual_score is None
                    status = "passed" if passed else "failed"
                    message = messages.feedback_text(vocab, grade.name, printed)
                    if error and not passed:
                        message += "\n" + messages.error_text(vocab, *error)
                message = message.strip()
                if len(message) > MESSAGE_LIMIT:
                    message = message[:MESSAGE_LIMIT] + "\n[... output truncated]"
                job.tests.append({"grade_id": grade.name, "points": points, "max_points": grade.max_score,
                                  "status": status, "message": message})
        gb.db.refresh(submission)
        job.score, job.max_score = submission.score, submission.max_score
    job.score_note = holds.explain(job)
    if tampered:
        job.flags.append("llmcourse.checks detected replaced test helpers (see the failed tests)")


def _hold(gb, grade, job, why: str):
    grade.manual_score = 0.0
    gb.db.commit()
    job.held.append(grade.name)
    job.flags.append(why)


def _why_not_run(job) -> str:
    if job.problems:
        return "not run: " + job.problems[-1]
    return "not run: the notebook stopped before this test (kernel died or timed out)"
