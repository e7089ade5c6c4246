"""A class graded as an instructor grades one: every lesson, submissions made from the release the
way students make them (tests/classroom.py), named the way each LMS exports them, collected from
one zip and graded through the CLI. The official scores in grades.csv (after holds) are checked,
not nbgrader's raw ones.

Regressions this guards: correct lesson-05 work held at 0 by a scan rule that took `model.eval()`
for `eval(`; `jane_doe` and `jane_smith` collected as one student `jane`; an answer written in
another hand scoring less than full marks.
"""

import csv
import zipfile

import nbformat
import pytest

from autograder import gradebook
from autograder.__main__ import main
from autograder.course import lessons, release_notebook

import classroom

# (student id the grader should use, file name the LMS gives the lesson's notebook, answer style)
STUDENTS = [
    ("jane_doe", "jane_doe_{lesson}.ipynb", "typed"),
    ("jane_smith", "jane_smith_{lesson}.ipynb", "blank"),
    ("doejane_4711", "doejane_4711_9{n}001_{lesson}.ipynb", "rewritten"),  # Canvas
    ("José Núñez", "José Núñez_88_assignsubmission_file_{lesson}.ipynb", "typed"),  # Moodle
    ("s_2024_001", "Lesson{n}_s_2024_001_attempt_2026-11-20-10-00-00_{lesson}.ipynb", "wrong"),  # Blackboard
]
EXECUTED = {"00_setup", "01_attention"}  # cheap enough to run as the student did before saving


# session, not module: xdist may run this module's tests apart, and a module fixture would then
# grade the whole class again (seen in CI: two 375 s setups). The group keeps them on one worker.
@pytest.fixture(scope="session")
def graded_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    zpath = root / "lms-export.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        for n, lesson in enumerate(lessons()):
            for student, pattern, style in STUDENTS:
                nb = classroom.submission(lesson, style)
                if lesson in EXECUTED and style == "typed":
                    nb = classroom.executed(nb, release_notebook(lesson))
                z.writestr(pattern.format(lesson=lesson, n=n), classroom.jupyterlab_bytes(nb))
        z.writestr("homework.ipynb", b"{}")  # whose? refused, by name
    course = root / "course"
    assert main(["collect", str(zpath), "--course", str(course)]) == 0
    assert main(["grade", "--allow-unjailed", "--course", str(course), "--workers", "2", "--cell-timeout", "120"]) == 0
    rows = list(csv.DictReader(open(course / "reports" / "grades.csv", encoding="utf-8")))
    return course, rows


pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("class")]


def test_every_submission_is_graded_under_its_own_name(graded_class):
    course, rows = graded_class
    assert sorted((r["student"], r["lesson"]) for r in rows) == sorted(
        (s, lesson) for s, _, _ in STUDENTS for lesson in lessons())
    problems = (course / "reports" / "report.md").read_text(encoding="utf-8")
    assert "homework.ipynb: not collected: cannot tell the student from the lesson" in problems


def test_correct_answers_score_full_marks_however_written(graded_class):
    course, rows = graded_class
    for r in rows:
        if r["student"] in ("jane_doe", "doejane_4711", "José Núñez"):
            detail = gradebook.cell_scores(course, r["lesson"], r["student"])
            assert float(r["score"]) == float(r["max_score"]) > 0, (
                f"{r['student']} / {r['lesson']}: official {r['score']} of {r['max_score']} "
                f"(raw {r['raw_score']}; {r['score_note']}; {r['problems']}); cells {detail}")
            assert r["held_tests"] == "" and float(r["raw_score"]) == float(r["score"])


def test_blank_and_wrong_answers_lose_points_and_nothing_else(graded_class):
    course, rows = graded_class
    for r in rows:
        if r["student"] == "jane_smith":
            assert float(r["score"]) == 0, r
        if r["student"] == "s_2024_001":
            assert float(r["score"]) < float(r["max_score"]), f"{r['lesson']}: the mutant scored full marks"
            assert float(r["score"]) == float(r["raw_score"]) and r["held_tests"] == "", (
                f"{r['lesson']}: an honest wrong answer was held: {r['score_note']}")
        assert r["status"] == "graded", r


def test_the_gradebook_agrees_with_grades_csv(graded_class):
    course, rows = graded_class
    for lesson in lessons():
        book = gradebook.scores(course, lesson)
        for r in rows:
            if r["lesson"] == lesson:
                assert book[r["student"]][0] == float(r["score"]), (r["student"], lesson)


def test_rewritten_answers_really_differ_from_the_solutions():
    for lesson in lessons():
        typed = classroom.submission(lesson, "typed")
        other = classroom.submission(lesson, "rewritten")
        changed = [a.source != b.source for a, b in zip(typed.cells, other.cells)
                   if a.metadata.get("nbgrader", {}).get("solution")]
        assert changed and all(changed), lesson
    assert nbformat.reads(classroom.jupyterlab_bytes(other).decode(), as_version=4).nbformat_minor == 5


def test_feedback_names_every_check(graded_class):
    """Feedback is the grader's verdict, one line a check (autograder/verdict.py): a passed test
    lists every check as passed, and a wrong answer's failed checks are named."""
    import json

    course, rows = graded_class
    for r in rows:
        record = json.loads((course / "grading" / r["lesson"] / f"{r['student']}.json").read_text())
        for test in record["tests"]:
            where = f"{r['student']} / {r['lesson']} / {test['grade_id']}"
            if test["status"] == "passed":  # (a failed hidden check's explanation is never shown)
                lines = test["message"].splitlines()
                assert "✗" not in test["message"] and lines[-1] == f"  all {len(lines) - 2} checks passed", \
                    f"{where}:\n{test['message']}"
        if r["student"] == "s_2024_001":
            failed = [t for t in record["tests"] if t["status"] == "failed"]
            assert any("✗" in t["message"] for t in failed), f"{r['lesson']}: no failed check named"
