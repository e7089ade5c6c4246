"""Honest students whose editors damaged their notebooks (tests/damaged.py), graded through the CLI
in one batch with undamaged controls first and last: every one scores full marks, under its
own name, with nothing held.

Regressions (issue 29): a copied answer or test cell (duplicate grade ids), metadata stripped by an
editor or a Colab round trip, an answer cell turned Markdown, a deleted and retyped answer: each
scored 0 for the whole notebook ("nbgrader could not finish grading: KeyError"); a Canvas name
ending in `01_Attention.ipynb` was not collected.
"""

import csv
import json
import zipfile

import pytest

from autograder.__main__ import main

import damaged

# (student id, LMS file name, lesson, damages); graded in this order: controls first and last
BATCH = [("a_control", "a_control_00_setup.ipynb", "00_setup", ())]
BATCH += [(f"d_{name}", f"d_{name}_00_setup.ipynb", "00_setup", (name,))
          for name in damaged.DAMAGES if name != "swapped"]
BATCH += [
    ("a_control", "a_control_01_attention.ipynb", "01_attention", ()),
    ("bcopies_4711", "bcopies_4711_90001_01_Attention.ipynb", "01_attention",  # Canvas, lesson capitalised
     ("swapped", "copied_answer_above", "copied_tests", "scratch")),
    ("c_colab", "c_colab_01_attention.ipynb", "01_attention", ("markdown_answer", "colab")),
    ("b_stripped", "b_stripped_02_multihead_attention.ipynb", "02_multihead_attention",
     ("copied_answer_below", "markdown_answer", "metadata_stripped")),
    ("c_swapped", "c_swapped_02_Multihead_Attention.ipynb", "02_multihead_attention",
     ("swapped", "retyped", "copied_tests")),
    ("z_control", "z_control_02_multihead_attention.ipynb", "02_multihead_attention", ()),
    ("z_control", "z_control_00_setup.ipynb", "00_setup", ()),
]
LESSONS = ["00_setup", "01_attention", "02_multihead_attention"]


def build(root):
    zpath = root / "lms-export.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        for _, name, lesson, damages in BATCH:
            z.writestr(name, damaged.damaged(lesson, *damages))
    return zpath


def grade(root) -> tuple:
    course = root / "course"
    assert main(["collect", str(build(root)), "--course", str(course), "--lessons", *LESSONS]) == 0
    main(["grade", "--allow-unjailed", "--course", str(course), "--lessons", *LESSONS, "--workers", "2",
          "--cell-timeout", "120"])
    rows = {(r["student"], r["lesson"]): r for r in csv.DictReader(open(course / "reports" / "grades.csv",
                                                                        encoding="utf-8"))}
    return course, rows


def table(rows) -> str:
    """The before/after table of the issue's closing note."""
    lines = ["| student | lesson | damage | score | status | problems |", "|---|---|---|---|---|---|"]
    for student, _, lesson, damages in BATCH:
        r = rows.get((student, lesson))
        what = ", ".join(damages) or "control"
        if r is None:
            lines.append(f"| {student} | {lesson} | {what} | not collected | | |")
        else:
            lines.append(f"| {student} | {lesson} | {what} | {r['score']}/{r['max_score']} | {r['status']} "
                         f"| {r['problems'][:120]} |")
    return "\n".join(lines)


@pytest.fixture(scope="session")
def graded_damaged(tmp_path_factory):
    course, rows = grade(tmp_path_factory.mktemp("damaged"))
    print("\n" + table(rows))
    return course, rows


pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("damaged")]


def test_every_damaged_notebook_is_collected_under_its_name(graded_damaged):
    _, rows = graded_damaged
    assert sorted(rows) == sorted({(s, lesson) for s, _, lesson, _ in BATCH})


@pytest.mark.parametrize("student, lesson", sorted({(s, lesson) for s, _, lesson, _ in BATCH}))
def test_honest_answers_score_full_marks_whatever_the_damage(graded_damaged, student, lesson):
    _, rows = graded_damaged
    r = rows[student, lesson]
    assert r["status"] == "graded" and float(r["score"]) == float(r["max_score"]) > 0, r
    assert r["held_tests"] == "", r


def test_copies_are_flagged_naming_the_cell_graded(graded_damaged):
    course, _ = graded_damaged
    record = json.loads((course / "grading" / "00_setup" / "d_copied_answer_above.json").read_text())
    assert any("softmax" in f and "copies" in f and "graded the last" in f for f in record["flags"]), record


def test_nothing_is_said_to_be_restored_when_only_metadata_was_lost(graded_damaged):
    """Issue 29: a notebook without nbgrader metadata was flagged as if its cells had been deleted
    and "restored from the source", though nothing ran."""
    course, _ = graded_damaged
    for student in ("d_metadata_stripped", "d_colab"):
        record = json.loads((course / "grading" / "00_setup" / f"{student}.json").read_text())
        assert record["flags"] == [] and "no nbgrader metadata" in record["problems"][0], record
