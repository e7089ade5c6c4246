"""Grades back into the LMS, and lateness an instructor can trust, through the instructor's commands.

One course is collected from a Canvas-named zip with `python -m autograder collect` (a deadline,
a late policy), given gradebook rows and records as grading leaves them (no grading is run: what
is tested is what happens around it), then reported with `report --lms ...`.
"""

import csv
import datetime as dt
import zipfile

import pytest

from autograder import gradebook, lateness, lms
from autograder.__main__ import main
from autograder.course import CourseFolder
from autograder.record import Record, load_all

LESSON = "00_setup"
pytestmark = pytest.mark.xdist_group("lms")  # one worker collects the course once
CANVAS_EXPORT = """Student,ID,SIS User ID,SIS Login ID,Section,Quiz 1 (99),00_setup (4711)
    Points Possible,,,,,5,3
"Doe, Jane",101,S101,jdoe,A,4,
"Smith, Jo",102,S102,jsmith,A,5,
"Lee, Kim",103,S103,klee,B,3,
"""


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lms")
    zpath = tmp / "submissions.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        # zip times are "now"-ish: read as times they would make everyone late (the symptom)
        for name in ("doejane_101_5001_00_setup.ipynb", "smithjo_LATE_102_5002_00_setup.ipynb",
                     "strangerx_999_5003_00_setup.ipynb"):
            z.writestr(zipfile.ZipInfo(name, date_time=(2026, 12, 6, 12, 0, 0)), b"{}")
    course = tmp / "course"
    assert main(["collect", str(zpath), "--course", str(course), "--lessons", LESSON,
                 "--deadline", "2026-11-21T00:00", "--late-policy", "per-day:10"]) == 0
    for student, points in (("doejane_101", 3.0), ("smithjo_102", 3.0), ("strangerx_999", 1.0)):
        score, max_score, _ = gradebook.store(course, student, LESSON, {"test_softmax_small": 1.0,
                                                                         "test_softmax_stable": points - 1}, [])
        Record(student, LESSON, score=score, max_score=max_score, raw_score=score).save(course)
    export = tmp / "canvas.csv"
    export.write_text(CANVAS_EXPORT)
    return course, export


def test_collect_trusts_the_lms_not_the_zip_times(course):
    course, _ = course
    from autograder.collect import load
    late = {s.student: s.late for s in load(course).submissions}
    assert late == {"doejane_101": False, "smithjo_102": True, "strangerx_999": False}


def test_only_collected_lessons_reach_the_gradebook_with_their_due_date(course):
    course, _ = course
    with gradebook.opened(course) as gb:
        assignments = {a.name: a.duedate for a in gb.assignments}
    assert assignments == {LESSON: dt.datetime(2026, 11, 21)}  # nbgrader keeps UTC without a zone


def test_the_late_policy_is_in_the_official_score_and_the_gradebook(course):
    course, _ = course
    assert main(["report", "--course", str(course)]) == 0
    records = {r.student: r for r in load_all(course)}
    # smithjo: marked late by Canvas, no time: one day at 10 % of 3 points
    assert records["smithjo_102"].score == pytest.approx(2.7) and "10 % per day" in records["smithjo_102"].score_note
    assert records["doejane_101"].score == 3.0
    with gradebook.opened(course) as gb:
        assert gb.find_submission(LESSON, "smithjo_102").late_submission_penalty == pytest.approx(0.3)
    grades = {r["student"]: r for r in csv.DictReader(open(CourseFolder(course).reports / "grades.csv"))}
    assert float(grades["smithjo_102"]["score"]) == pytest.approx(2.7)
    again = course.parent / "one_late.zip"  # collecting one student again keeps the lesson's policy
    with zipfile.ZipFile(again, "w") as z:
        z.writestr("smithjo_LATE_102_5004_00_setup.ipynb", b"{}")
    assert main(["collect", str(again), "--course", str(course), "--lessons", LESSON]) == 0
    assert lateness.load(course)[LESSON] == {"policy": "per-day:10", "deadline": "2026-11-21T00:00:00+00:00"}
    assert main(["feedback", "--course", str(course)]) == 0  # applying it again changes nothing
    page = CourseFolder(course).feedback("smithjo_102", LESSON).read_text()
    assert "2.7 / 3" in page and page.count("late penalty: late 1 day(s): -0.3 point(s)") == 1


def test_canvas_export_round_trips_into_an_import_file(course, capsys):
    course, export = course
    out = course / "canvas_import.csv"
    assert main(["report", "--course", str(course), "--lms", "canvas", "--export", str(export),
                 "--out", str(out)]) == 0
    said = capsys.readouterr().out
    rows = list(csv.reader(open(out)))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "00_setup (4711)"]
    assert rows[1][0].strip() == "Points Possible" and rows[1][-1] == "3"
    by_id = {r[1]: r for r in rows[2:]}
    assert by_id["101"] == ["Doe, Jane", "101", "S101", "jdoe", "A", "3"]
    assert by_id["102"][-1] == "2.7"      # the late penalty is in the official score
    assert by_id["103"][-1] == ""         # enrolled, nothing handed in: missing, not 0
    assert "NOT ON THE ROSTER: strangerx_999" in said and "3 student(s), 2 with a submission, 1 without any" in said
    assert "strangerx_999" in (CourseFolder(course).reports / "report.md").read_text()
    with gradebook.opened(course) as gb:  # formgrader lists names, not "None, None"
        jane = gb.find_student("doejane_101")
        assert (jane.first_name, jane.last_name, jane.email) == ("Jane", "Doe", "jdoe")


def test_wide_csv_with_a_roster(course, tmp_path):
    course, _ = course
    roster = tmp_path / "roster.csv"
    roster.write_text("student,first_name,last_name\ndoejane_101,Jane,Doe\nnobody_5,No,Body\n=cmd_7,=1+1,x\n")
    out = tmp_path / "wide.csv"
    assert main(["report", "--course", str(course), "--lms", "csv", "--roster", str(roster), "--out", str(out)]) == 0
    rows = {r["student"]: r for r in csv.DictReader(open(out))}
    assert rows["doejane_101"][LESSON] == "3" and rows["doejane_101"]["max_total"] == "3"
    assert rows["nobody_5"][LESSON] == "missing" and rows["nobody_5"]["total"] == "0"
    assert rows["strangerx_999"]["note"] == "not on the roster"
    assert rows["'=cmd_7"]["first_name"] == "'=1+1"  # a spreadsheet shows it, never runs it
    assert main(["report", "--course", str(course), "--lms", "csv", "--roster", str(roster), "--out", str(out),
                 "--missing", "zero"]) == 0
    assert {r["student"]: r for r in csv.DictReader(open(out))}["nobody_5"][LESSON] == "0"


def test_a_wrong_export_is_refused_with_what_to_do(course, tmp_path, capsys):
    course, _ = course
    wrong = tmp_path / "grades.csv"
    wrong.write_text("name,score\njane,3\n")
    assert main(["report", "--course", str(course), "--lms", "canvas", "--export", str(wrong)]) == 2
    assert "not a Canvas gradebook export" in capsys.readouterr().err


def test_moodle_import_uses_its_identifier_column(tmp_path):
    export = tmp_path / "moodle.csv"
    export.write_text("First name,Last name,ID number,Email address,Assignment: 00_setup (Real)\n"
                      "Jane,Doe,7,jane@example.edu,-\nJo,Smith,8,jo@example.edu,-\n")
    roster = lms.read_moodle(export)
    records = [{"student": "Jane Doe", "lesson": LESSON, "score": 2.0, "max_score": 3.0},
               {"student": "Max Mustermann", "lesson": LESSON, "score": 1.0, "max_score": 3.0}]
    matched = lms.match(roster, records)
    out = lms.import_file(roster, matched, [LESSON], {LESSON: 3.0}, tmp_path / "import.csv")
    assert list(csv.reader(open(out))) == [["Email address", "Assignment: 00_setup (Real)"],
                                           ["jane@example.edu", "2"], ["jo@example.edu", ""]]
    assert matched.unknown == ["Max Mustermann"]


@pytest.mark.parametrize("policy, late, seconds, off", [
    ("none", True, 90_000, 0.0),
    ("nbgrader", True, 90_000, 2.5),
    ("per-day:10", True, 90_000, 2.0),     # 25 h: two started days of 10 % of 10 points
    ("per-day:50", True, 500_000, 2.5),    # never below 0
    ("per-day:10", False, None, 0.0),
])
def test_late_penalties(policy, late, seconds, off):
    assert lateness.penalty(policy, 2.5, 10.0, late, seconds)[0] == pytest.approx(off)


def test_a_late_policy_that_cannot_be_read_is_refused():
    with pytest.raises(ValueError, match="per-day:P"):
        lateness.check_policy("per-week:5")
