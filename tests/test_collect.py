"""Collecting submissions (no grading): what is accepted, and everything else reported."""

import datetime as dt
import zipfile

import pytest

from autograder.collect import collect, load as load_collection, scan as scan_files


def test_collect_reports_everything(tmp_path):
    zpath = tmp_path / "lms.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        def put(name, when):
            z.writestr(zipfile.ZipInfo(name, date_time=when), b"{}")
        put("alice_00_setup.ipynb", (2026, 11, 20, 10, 0, 0))
        put("bob_20261120T090000_00_setup.ipynb", (2026, 11, 20, 9, 0, 0))
        put("bob_20261120T110000_00_setup.ipynb", (2026, 11, 20, 11, 0, 0))
        put("carol_00_setup-Copy1.ipynb", (2026, 11, 22, 10, 0, 0))
        put("dave_homework.ipynb", (2026, 11, 20, 10, 0, 0))
        put("README.txt", (2026, 11, 20, 10, 0, 0))
    deadline = dt.datetime(2026, 11, 21, tzinfo=dt.timezone.utc)
    # the zip's own times, read as UTC: asked for (by default only the LMS's times count)
    found, _ = scan_files(zpath, ["00_setup", "01_attention"], deadline=deadline, times_from="files",
                          zone=dt.timezone.utc)
    by = {s.student: s for s in found.submissions}
    assert set(by) == {"alice", "bob", "carol"}
    assert "duplicate" in " ".join(by["bob"].notes) and by["bob"].source.endswith("T110000_00_setup.ipynb")
    assert by["carol"].late and any("graded as 00_setup.ipynb" in n for n in by["carol"].notes)
    problems = " ".join(found.problems)
    assert "dave_homework.ipynb" in problems and "README.txt" in problems and "older duplicate" in problems
    course = tmp_path / "course"
    collect(zpath, course, ["00_setup", "01_attention"], deadline=deadline, times_from="files", zone=dt.timezone.utc)
    assert (course / "submitted" / "carol" / "00_setup" / "00_setup.ipynb").exists()
    assert len(load_collection(course).submissions) == 3


def test_collect_from_the_exchange(tmp_path):
    folder = tmp_path / "inbound" / "erin+00_setup+2026-11-20 10:00:00.000000 UTC+abc"
    folder.mkdir(parents=True)
    (folder / "00_setup.ipynb").write_text("{}")
    found, _ = scan_files(tmp_path / "inbound", ["00_setup"])
    assert [(s.student, s.lesson) for s in found.submissions] == [("erin", "00_setup")]



LESSONS = ["00_setup", "01_attention", "02_multihead_attention"]


def scan_names(tmp_path, names, lessons=LESSONS, **kw):
    folder = tmp_path / "inbox"
    folder.mkdir(exist_ok=True)
    for name in names:
        (folder / name).write_text("{}")
    found, _ = scan_files(folder, lessons, **kw)
    return {s.source: (s.student, s.lesson) for s in found.submissions}, found.problems


def test_ids_with_underscores_are_two_students_not_one(tmp_path):
    got, problems = scan_names(tmp_path, ["jane_doe_00_setup.ipynb", "jane_smith_00_setup.ipynb"])
    assert got == {"jane_doe_00_setup.ipynb": ("jane_doe", "00_setup"),
                   "jane_smith_00_setup.ipynb": ("jane_smith", "00_setup")}
    assert problems == []


@pytest.mark.parametrize("name, student, lesson", [
    # Canvas: name_userid_submissionid_file (resubmissions get -1, late ones a marker)
    ("doejane_4711_90210_00_setup.ipynb", "doejane_4711", "00_setup"),
    ("doejane_LATE_4711_90211_01_attention-1.ipynb", "doejane_4711", "01_attention"),
    ("müllerjürgen_12_34_02_multihead_attention.ipynb", "müllerjürgen_12", "02_multihead_attention"),
    # Moodle: Full Name_participantid_assignsubmission_file_file
    ("Jane Doe_4711_assignsubmission_file_00_setup.ipynb", "Jane Doe", "00_setup"),
    ("José María Núñez_88_assignsubmission_file_01_attention (1).ipynb", "José María Núñez", "01_attention"),
    ("Ann_Marie O'Neil_9_assignsubmission_file_00_setup.ipynb", "Ann_Marie O'Neil", "00_setup"),
    # Blackboard: Assignment_user_attempt_date_file
    ("Lesson0_jane_doe_attempt_2026-11-20-10-00-00_00_setup.ipynb", "jane_doe", "00_setup"),
    ("Week 1_s1234567_attempt_2026-11-20-10-00-00_01_attention.ipynb", "s1234567", "01_attention"),
    # plain and nbgrader's: student[_timestamp]_lesson, the lesson read from the end
    ("jane_doe_2_00_setup.ipynb", "jane_doe_2", "00_setup"),
    ("jane_doe_20261120T101500_00_setup.ipynb", "jane_doe", "00_setup"),
    ("Zoë van der Berg_01_attention-Copy1.ipynb", "Zoë van der Berg", "01_attention"),
    ("2024001_02_multihead_attention.ipynb", "2024001", "02_multihead_attention"),
    # the lesson's name in another case (issue 29: Canvas names ending in 01_Attention.ipynb)
    ("doejane_4711_90210_01_Attention.ipynb", "doejane_4711", "01_attention"),
    ("jane_doe_00_Setup.ipynb", "jane_doe", "00_setup"),
    ("Jane Doe_4711_assignsubmission_file_02_MultiHead_Attention (1).ipynb", "Jane Doe", "02_multihead_attention"),
    ("Lesson1_jd_attempt_2026-11-20-10-00-00_my 01_ATTENTION work.ipynb", "jd", "01_attention"),
])
def test_lms_file_names(tmp_path, name, student, lesson):
    got, problems = scan_names(tmp_path, [name])
    assert got == {name: (student, lesson)}, problems


def test_blackboard_and_canvas_times_and_late_markers(tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "Lesson0_jane_doe_attempt_2026-11-22-10-00-00_00_setup.ipynb").write_text("{}")
    (folder / "doejane_LATE_4711_90211_01_attention.ipynb").write_text("{}")
    found, _ = scan_files(folder, LESSONS, deadline=dt.datetime(2026, 11, 21, tzinfo=dt.timezone.utc))
    by = {s.lesson: s for s in found.submissions}
    assert by["00_setup"].timestamp.startswith("2026-11-22T10:00:00") and by["00_setup"].late
    assert "Canvas marked it late" in by["01_attention"].notes


@pytest.mark.parametrize("name, why", [
    ("homework.ipynb", "cannot tell the student from the lesson"),
    ("00_setup.ipynb", "cannot tell the student from the lesson"),
    ("jane_doe_final.ipynb", "cannot tell the student from the lesson"),
    ("doejane_4711_90210_homework.ipynb", "is not a notebook of"),
    ("jane_doe_00_setup.txt", "not a notebook"),
    ("***_00_setup.ipynb", "no student id"),
])
def test_names_that_need_a_guess_are_refused_by_name(tmp_path, name, why):
    got, problems = scan_names(tmp_path, [name])
    assert got == {} and len(problems) == 1
    assert problems[0].startswith(f"{name}: not collected") and why in problems[0], problems


def test_an_lms_name_with_a_renamed_notebook_is_kept_when_one_lesson_is_collected(tmp_path):
    got, _ = scan_names(tmp_path, ["doejane_4711_90210_my homework.ipynb"], lessons=["00_setup"])
    assert got == {"doejane_4711_90210_my homework.ipynb": ("doejane_4711", "00_setup")}


def test_two_people_with_one_name_stay_two(tmp_path):
    got, problems = scan_names(tmp_path, ["Jane Doe_11_assignsubmission_file_00_setup.ipynb",
                                          "Jane Doe_12_assignsubmission_file_00_setup.ipynb"])
    assert sorted(got.values()) == [("Jane Doe_11", "00_setup"), ("Jane Doe_12", "00_setup")]
    assert any("2 different students are named 'Jane Doe'" in p for p in problems)


def test_characters_a_folder_cannot_hold_are_replaced_and_said(tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "a*b [x]_00_setup.ipynb").write_text("{}")
    found, _ = scan_files(folder, LESSONS)
    [sub] = found.submissions
    assert sub.student == "a-b -x" and any("written as" in n for n in sub.notes)


def test_pattern_replaces_the_shapes(tmp_path):
    got, problems = scan_names(tmp_path, ["hw-00_setup--id=jd_42.ipynb", "jane_doe_00_setup.ipynb"],
                               pattern=r"hw-(?P<file_id>.+?)--id=(?P<student_id>.+)\.ipynb")
    assert got == {"hw-00_setup--id=jd_42.ipynb": ("jd_42", "00_setup")}
    assert problems == ["jane_doe_00_setup.ipynb: not collected: the file name does not match --pattern"]
