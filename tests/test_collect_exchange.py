"""Collecting from nbgrader's exchange trusts nothing it does not own: a folder is read only when it
and its files belong to the student's own account, never through a link; a folder dated before the
deadline but written after is late; an impostor's folder under another student's name is refused
and reported. Real accounts (useradd), as on the course's JupyterHub machine."""

import datetime as dt
import os
import shutil
import subprocess

import pytest

from autograder.collect import collect, scan as scan_files

LESSON = "00_setup"
STUDENT, IMPOSTOR = "lgx-ada", "lgx-mallory"
DEADLINE = dt.datetime(2026, 11, 21, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def accounts():
    if os.geteuid() != 0 or shutil.which("useradd") is None:
        pytest.skip("needs root with useradd: the exchange's folders belong to the students' accounts")
    for user in (STUDENT, IMPOSTOR):
        subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", user], capture_output=True)
    yield
    for user in (STUDENT, IMPOSTOR):
        subprocess.run(["userdel", user], capture_output=True)


def submit(inbound, owner, when, tag, files):
    """A folder as `nbgrader submit` run by `owner` leaves it: named for STUDENT, owned by `owner`."""
    folder = inbound / f"{STUDENT}+{LESSON}+{when} UTC+{tag}"
    folder.mkdir(parents=True)
    for name, content in files.items():
        if isinstance(content, str):
            (folder / name).write_text(content)
        else:
            (folder / name).symlink_to(content[0])
        os.lchown(folder / name, *owner_ids(owner))
    os.chown(folder, *owner_ids(owner))
    return folder


def owner_ids(user):
    import pwd
    entry = pwd.getpwnam(user)
    return entry.pw_uid, entry.pw_gid


def collected(tmp_path, inbound):
    course = tmp_path / "course"
    found = collect(inbound, course, [LESSON], deadline=DEADLINE)
    by = {s.student: s for s in found.submissions}
    notebook = course / "submitted" / STUDENT / LESSON / f"{LESSON}.ipynb"
    return by.get(STUDENT), (notebook.read_text() if notebook.exists() else None), " ".join(found.problems), course


def test_an_impostors_later_folder_under_a_students_name_is_refused(tmp_path, accounts):
    inbound = tmp_path / "inbound"
    submit(inbound, STUDENT, "2026-11-20 10:00:00.000000", "a1", {f"{LESSON}.ipynb": '"ada"',
                                                                  "submission_secret.txt": "ada-secret"})
    submit(inbound, IMPOSTOR, "2026-11-20 23:00:00.000000", "m1", {f"{LESSON}.ipynb": '"mallory"',
                                                                   "submission_secret.txt": "mallory"})
    sub, content, problems, course = collected(tmp_path, inbound)
    assert content == '"ada"' and sub.source.split("/")[0].endswith("+a1")
    assert "+m1" in problems and f"belongs to {IMPOSTOR}, not to {STUDENT}" in problems
    assert (course / "submitted" / STUDENT / LESSON / "submission_secret.txt").read_text() == "ada-secret"


def test_links_in_an_exchange_folder_are_not_followed(tmp_path, accounts):
    other = tmp_path / "elsewhere" / f"{LESSON}.ipynb"  # another student's notebook, the solution...
    other.parent.mkdir()
    other.write_text('"the solution"')
    inbound = tmp_path / "inbound"
    submit(inbound, STUDENT, "2026-11-20 10:00:00.000000", "a1", {f"{LESSON}.ipynb": (other,)})
    # and a whole folder that is a link to someone else's
    (inbound / f"{STUDENT}+{LESSON}+2026-11-20 11:00:00.000000 UTC+a2").symlink_to(other.parent)
    sub, content, problems, _ = collected(tmp_path, inbound)
    assert sub is None and content is None
    assert "+a1" in problems and "+a2" in problems and "link" in problems


def test_a_folder_dated_before_the_deadline_but_written_after_is_late(tmp_path, accounts):
    inbound = tmp_path / "inbound"
    # named for 20 November, written now (after the 21 November deadline); mtime set back too
    folder = submit(inbound, STUDENT, "2026-11-20 10:00:00.000000", "a1", {f"{LESSON}.ipynb": '"ada"'})
    old = DEADLINE.timestamp() - 86400
    os.utime(folder / f"{LESSON}.ipynb", (old, old))
    sub, content, problems, _ = collected(tmp_path, inbound)
    assert content == '"ada"'
    assert sub.late and any("written" in n and "after the time its exchange folder gives" in n for n in sub.notes)


def test_an_honest_exchange_folder_is_collected_on_time(tmp_path, accounts):
    inbound = tmp_path / "inbound"
    now = dt.datetime.now(dt.timezone.utc)
    submit(inbound, STUDENT, now.strftime("%Y-%m-%d %H:%M:%S.%f"), "a1", {f"{LESSON}.ipynb": '"ada"'})
    found, _ = scan_files(inbound, [LESSON], deadline=now + dt.timedelta(hours=1))
    [sub] = found.submissions
    assert sub.student == STUDENT and not sub.late and not found.problems, (sub.notes, found.problems)
