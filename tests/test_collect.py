"""Collecting submissions (no grading): what is accepted, and everything else reported."""

import datetime as dt
import zipfile

from autograder.collect import collect, load as load_collection, scan as scan_files
from autograder.scan import scan_cells


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
    found, _ = scan_files(zpath, ["00_setup", "01_attention"], deadline=deadline)
    by = {s.student: s for s in found.submissions}
    assert set(by) == {"alice", "bob", "carol"}
    assert "duplicate" in " ".join(by["bob"].notes) and by["bob"].source.endswith("T110000_00_setup.ipynb")
    assert by["carol"].late and any("expected 00_setup.ipynb" in n for n in by["carol"].notes)
    problems = " ".join(found.problems)
    assert "dave_homework.ipynb" in problems and "README.txt" in problems and "older duplicate" in problems
    course = tmp_path / "course"
    collect(zpath, course, ["00_setup", "01_attention"], deadline=deadline)
    assert (course / "submitted" / "carol" / "00_setup" / "00_setup.ipynb").exists()
    assert len(load_collection(course).submissions) == 3


def test_collect_from_the_exchange(tmp_path):
    folder = tmp_path / "inbound" / "erin+00_setup+2026-11-20 10:00:00.000000 UTC+abc"
    folder.mkdir(parents=True)
    (folder / "00_setup.ipynb").write_text("{}")
    found, _ = scan_files(tmp_path / "inbound", ["00_setup"])
    assert [(s.student, s.lesson) for s in found.submissions] == [("erin", "00_setup")]


def test_static_scan_flags_and_holds():
    cells = [{"cell_type": "code", "source": "import sys\nsys.modules['llmcourse.checks'] = None"},
             {"cell_type": "code", "source": "import os\nos._exit(0)"},
             {"cell_type": "code", "source": "x = torch.ones(3)  # an ordinary cell"}]
    flags = scan_cells(cells, set())
    assert [(f.cell, f.hold) for f in flags] == [(0, True), (1, False)]
