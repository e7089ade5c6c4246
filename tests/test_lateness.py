"""Submission times from what the LMS says; file times only when asked, and then in the right zone."""

import datetime as dt
import zipfile
import zoneinfo

from autograder.collect import read_timestamps, scan

LESSONS = ["00_setup", "01_attention"]
UTC = dt.timezone.utc
DEADLINE = dt.datetime(2026, 11, 20, 23, 0, tzinfo=UTC)


def make_zip(path, entries):
    with zipfile.ZipFile(path, "w") as z:
        for name, when in entries:
            z.writestr(zipfile.ZipInfo(name, date_time=when), b"{}")
    return path


def late(found):
    return {s.student: s.late for s in found.submissions}


def test_zip_times_are_local_times_in_the_zone_given(tmp_path):
    # 23:30 in Berlin is 22:30 UTC: half an hour before a 23:00 UTC deadline
    zpath = make_zip(tmp_path / "s.zip", [("ada_00_setup.ipynb", (2026, 11, 20, 23, 30, 0)),
                                          ("bo_00_setup.ipynb", (2026, 11, 21, 0, 30, 0))])
    found, _ = scan(zpath, LESSONS, deadline=DEADLINE, times_from="files", zone=zoneinfo.ZoneInfo("Europe/Berlin"))
    assert late(found) == {"ada": False, "bo": True}
    assert any("local time in Europe/Berlin" in p for p in found.problems)


def test_file_times_are_not_used_unless_asked(tmp_path):
    zpath = make_zip(tmp_path / "s.zip", [("ada_00_setup.ipynb", (2026, 12, 6, 12, 0, 0)),
                                          ("doejane_4711_90210_00_setup.ipynb", (2026, 12, 6, 12, 0, 0))])
    found, _ = scan(zpath, LESSONS, deadline=DEADLINE)
    assert late(found) == {"ada": False, "doejane_4711": False}
    assert all(s.timestamp is None for s in found.submissions)
    # Canvas marks late files, so its unmarked ones are on time; a plain name says nothing
    assert any("1 submission(s) of 00_setup have no submission time" in p for p in found.problems)


def test_canvas_late_marker_and_a_timestamps_file(tmp_path):
    times = tmp_path / "times.csv"
    times.write_text("file,submitted_at\nada_00_setup.ipynb,2026-11-20T23:59:00\n"
                     "bo_00_setup.ipynb,2026-11-20T22:00:00+00:00\n")
    zpath = make_zip(tmp_path / "s.zip", [("ada_00_setup.ipynb", (2026, 11, 1, 0, 0, 0)),
                                          ("bo_00_setup.ipynb", (2026, 12, 6, 0, 0, 0)),
                                          ("doejane_LATE_4711_90211_00_setup.ipynb", (2026, 11, 1, 0, 0, 0))])
    found, _ = scan(zpath, LESSONS, deadline=DEADLINE, timestamps=read_timestamps(times))
    assert late(found) == {"ada": True, "bo": False, "doejane_4711": True}
    assert next(s for s in found.submissions if s.student == "ada").timestamp == "2026-11-20T23:59:00+00:00"


def test_a_batch_where_everyone_is_late_is_warned_about(tmp_path):
    zpath = make_zip(tmp_path / "s.zip", [(f"{s}_00_setup.ipynb", (2026, 11, 25, 10, 0, 0)) for s in ("a", "b", "c")])
    found, _ = scan(zpath, LESSONS, deadline=DEADLINE, times_from="files", zone=UTC)
    assert all(late(found).values())
    assert any(p.startswith("WARNING: all 3 submissions of 00_setup look late") for p in found.problems)
