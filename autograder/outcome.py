"""What each test earned, judged by the grader (autograder/verdict.py), written to the gradebook.

nbgrader executed the submission and recorded its own reading of the kernel (a test cell that
raised scores 0, one that did not scores its points). That reading trusts the student's process,
so it is replaced: each test cell's points are the grader's verdict on the values its checks
handed over, compared with the reference solution's (autograder/reference.py), and they go into
the gradebook as the cell's auto score. A kernel whose nbgrader reading is a pass while a check it
judges itself failed when compared outside (or whose values were not one per check) claimed more
than its values show: flagged for review. A hidden check the kernel cannot judge
(`matches_solution`) failing is an honest wrong answer, not a claim: not flagged.

Feedback messages are the verdict's lines; nothing the kernel printed reaches them. Points held
for review show as pending, not as failed.
"""

from pathlib import Path

import nbformat

from . import files, gradebook, holds, messages, verdict
from .course import CourseFolder

MESSAGE_LIMIT = 1500
TAMPERED = "test environment was modified"  # what llmcourse.checks raises when helpers were replaced


def _error(cell) -> tuple[str, str] | None:
    """A code cell's first error as (name, value)."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return str(out.get("ename", "")), str(out.get("evalue", ""))
    return None


def read(course: Path, job, checks: dict[str, list[str]], reference: dict) -> None:
    """Judge every test cell of the graded submission, write the points to the gradebook and
    fill job.score, job.raw_score, job.max_score and job.tests."""
    lesson, student = job.lesson, job.student
    graded_path = CourseFolder(course).autograded(student, lesson)
    cells, errors = {}, []
    if graded_path.exists():
        try:
            nb = nbformat.reads(files.read_bytes(graded_path).decode("utf-8", "replace"), as_version=4)
            cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
            for index, cell in enumerate(nb.cells):
                meta = cell.metadata.get("nbgrader", {})
                error = _error(cell) if cell.cell_type == "code" and not meta.get("grade") else None
                if error:
                    errors.append((index, meta.get("grade_id"), error[0]))
        except Exception:
            job.problems.append("the graded notebook could not be read back")
    tampered = False
    with gradebook.opened(course) as gb:
        submission = gb.find_submission(lesson, student)
        known = {c.name for notebook in submission.notebooks for c in [*notebook.grades, *notebook.comments]}
        for index, grade_id, ename in errors:  # a student's cell names no cell: its grade id may be anything
            where = grade_id if grade_id in known else f"cell {index + 1}"
            job.cell_errors.append(f"{where} raised {messages.error_name(ename)}")
        order = {gid: i for i, gid in enumerate(reference["cells"])}  # the solution's order = the release's
        for notebook in submission.notebooks:
            for grade in sorted(notebook.grades, key=lambda g: (order.get(g.name, len(order)), g.name)):
                cell = cells.get(grade.name)
                ran = cell is not None and cell.get("execution_count") is not None
                error = _error(cell) if cell is not None else None
                cell_tampered = bool(error) and TAMPERED in error[1]
                tampered |= cell_tampered
                if ran and grade.name in reference["cells"]:
                    found = verdict.judge_cell(reference, grade.name, checks.get(grade.name, []),
                                               error[0] if error else None)
                else:
                    found = None
                earned = grade.max_score if found and found.passed and not cell_tampered else 0.0
                if (grade.auto_score or 0) > earned and found is not None and found.contradicts_a_pass:
                    job.flags.append(f"{grade.name}: the kernel reported a pass that its values do not "
                                     f"support ({found.problem or 'a check it judged itself failed when compared outside'}); "
                                     "scored by the values, review the cell")
                grade.auto_score = earned
                job.raw_score += earned
                if job.hold_released:
                    pass  # an instructor reviewed this submission: its points stand
                elif earned and job.hold:
                    _hold(grade, job, f"{grade.name}: points held (manual score 0) because of the "
                                      "flagged code; review it in formgrader")
                if found is None:
                    status, message = "not run", _why_not_run(job)
                else:
                    held = grade.name in job.held
                    status = "held" if held else "passed" if earned > 0 and grade.manual_score is None else "failed"
                    message = "\n".join(found.lines)
                    if cell_tampered:
                        message += "\n  ✗ the test environment was modified by code in this notebook"
                if len(message) > MESSAGE_LIMIT:
                    message = message[:MESSAGE_LIMIT] + "\n[... output truncated]"
                points = grade.manual_score if grade.manual_score is not None else earned
                title = reference["cells"].get(grade.name, {}).get("record", {}).get("exercise", "")
                job.tests.append({"grade_id": grade.name, "title": title, "points": points,
                                  "max_points": grade.max_score, "status": status, "message": message.strip()})
        gb.db.commit()
        gb.db.refresh(submission)
        job.score, job.max_score = submission.score, submission.max_score
    job.score_note = holds.explain(job)
    if tampered:
        job.flags.append("llmcourse.checks detected replaced test helpers (see the failed tests)")


def _hold(grade, job, why: str):
    grade.manual_score = 0.0
    job.held.append(grade.name)
    job.flags.append(why)


def _why_not_run(job) -> str:
    if job.problems:
        return "not run: " + job.problems[-1]
    return "not run: the notebook stopped before this test (kernel died or timed out)"
