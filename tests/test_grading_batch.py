"""The instructor's workflow end to end through the CLI: an LMS zip of mixed submissions is
collected and graded in parallel; every student gets a grade, a CSV row and a feedback page."""

import csv
import time
import zipfile

import nbformat
import pytest

from autograder import gradebook
from autograder.__main__ import main
from autograder.course import release_notebook

from test_grading import LESSON, WRONG, solution_code

NAIVE = "import torch\ndef softmax(x):\n    return x.exp() / x.exp().sum(dim=-1, keepdim=True)\n"


def notebook(softmax: str | None) -> bytes:
    nb = nbformat.read(release_notebook(LESSON), as_version=4)
    for cell in nb.cells:
        if softmax and cell.metadata.get("nbgrader", {}).get("grade_id") == "softmax":
            cell.source = softmax
    return nbformat.writes(nb).encode()


@pytest.mark.slow
def test_zip_batch_end_to_end(tmp_path, capsys):
    good = solution_code()
    entries = [  # (file name in the LMS zip, date, content)
        ("ada_00_setup.ipynb", (2026, 11, 20, 9, 0, 0), notebook(good)),
        ("bo_00_setup.ipynb", (2026, 11, 20, 9, 0, 0), notebook(None)),
        ("cy_00_setup.ipynb", (2026, 11, 20, 9, 0, 0), notebook(NAIVE)),
        ("di_00_setup.ipynb", (2026, 11, 20, 9, 0, 0), b"not a notebook"),
        ("ed_00_setup.ipynb", (2026, 11, 20, 9, 0, 0),
         notebook("import torch\ntorch.allclose = lambda *a, **k: True\n" + WRONG)),
        ("fi_00_setup.ipynb", (2026, 11, 20, 9, 0, 0), notebook(None)),
        ("fi_00_setup (1).ipynb", (2026, 11, 22, 9, 0, 0), notebook(good)),  # later, and late
        ("notes.txt", (2026, 11, 20, 9, 0, 0), b"hello"),
    ]
    zpath = tmp_path / "lms.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        for name, when, data in entries:
            z.writestr(zipfile.ZipInfo(name, date_time=when), data)
    course = tmp_path / "course"
    assert main(["collect", str(zpath), "--course", str(course), "--lessons", LESSON,
                 "--deadline", "2026-11-21T00:00", "--times-from", "files", "--timezone", "UTC"]) == 0
    start = time.perf_counter()
    assert main(["grade", "--allow-unjailed", "--course", str(course), "--lessons", LESSON, "--workers", "2",
                 "--cell-timeout", "20", "--notebook-timeout", "120"]) == 0
    batch_s = time.perf_counter() - start
    start = time.perf_counter()
    assert main(["grade", "--allow-unjailed", "--course", str(course), "--lessons", LESSON, "--students", "ada"]) == 0
    one_s = time.perf_counter() - start
    out = capsys.readouterr().out
    with capsys.disabled():
        print(f"\nbenchmark: one submission of {LESSON} graded in {one_s:.1f} s; "
              f"a batch of 6 in {batch_s:.1f} s with 2 workers")
    assert "NOT COLLECTED notes.txt" in out

    expected = {"ada": 3, "bo": 0, "cy": 1, "di": 0, "ed": 0, "fi": 3}
    assert {s: score for s, (score, _) in gradebook.scores(course, LESSON).items()} == expected
    rows = {r["student"]: r for r in csv.DictReader(open(course / "reports" / "grades.csv"))}
    assert {s: float(r["score"]) for s, r in rows.items()} == expected
    assert rows["di"]["status"] == "malformed" and rows["fi"]["late"] == "True"
    assert rows["ed"]["flagged"] == "True"
    for student in expected:
        assert (course / "feedback" / student / LESSON / f"{LESSON}.html").exists()
    report = (course / "reports" / "report.md").read_text()
    assert "test_softmax_stable" in report and "notes.txt" in report and "late by" in report
    assert (course / "reports" / "scores.png").exists()
