"""The jail gives nothing of the host: no uid of root's, nothing of the host's disk writable, every
writable place a size-capped, nosuid tmpfs of the jail's own, /etc/shadow unreadable when grading
as root. Checked twice: with a plain Python in the jail (fast), and from inside a graded
submission's kernel, the way a student would look (one job)."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from autograder import grade, sandbox
from autograder.collect import collect
from autograder.course import CourseFolder
from autograder.grade import grade_all

from test_grading import LESSON, solution_code
from test_grading_batch import notebook

LIMITS = sandbox.Limits(tmp_mb=32, scratch_mb=16, shm_mb=8)  # small caps: cheap to fill
jailed = pytest.mark.skipif(not sandbox.bwrap_works()[0], reason="bubblewrap cannot run here")

# What the jailed process sees of itself: its writable mounts, its uid outside, /etc/shadow; and
# what it leaves: a setuid copy of a program in every writable place, and a file filling it.
LOOK = r'''
import json, os, shutil
def outer_uid():
    inner = os.getuid()
    for line in open("/proc/self/uid_map"):
        start, outside, count = map(int, line.split())
        if start <= inner < start + count:
            return outside + inner - start
writable = []
for line in open("/proc/self/mountinfo"):
    left, right = line.split(" - ")
    fields, (fstype, _, options) = left.split(), right.split()[:3]
    # (device nodes bound over /dev/null & co. are not folders: nothing can be left in them)
    if "rw" in fields[5].split(",") and fstype not in ("proc", "devpts") and os.path.isdir(fields[4]):
        writable.append({"path": fields[4], "type": fstype, "flags": fields[5].split(","),
                         "options": options.split(",")})
try:
    open("/etc/shadow").read()
    shadow = "readable"
except OSError:
    shadow = "unreadable"
for mount in writable:
    try:
        planted = os.path.join(mount["path"], "planted-setuid")
        shutil.copy("/usr/bin/id", planted)
        os.chmod(planted, 0o4755)
        with open(os.path.join(mount["path"], "planted-fill"), "wb") as f:
            for _ in range(40):  # past every cap of the jail's tmpfs (LIMITS), below the file-size limit
                f.write(b"x" * 2**20)
    except OSError as e:
        mount["stopped"] = e.strerror
sockets = os.path.dirname(json.load(open("/run/connection.json"))["ip"]) if os.path.exists("/run/connection.json") else None
print("LOOK " + json.dumps({"uid": outer_uid(), "shadow": shadow, "writable": writable,
                            "sockets_writable": bool(sockets) and os.access(sockets, os.W_OK)}))
'''


def assert_nothing_of_the_host(seen: dict, limits: sandbox.Limits) -> None:
    assert seen["uid"] != 0, "the jail's uid is root outside"
    if os.geteuid() == 0:
        assert seen["shadow"] == "unreadable"
    caps = 0
    for mount in seen["writable"]:
        where = mount["path"]
        assert mount["type"] == "tmpfs", f"{where}: a {mount['type']} of the host is writable in the jail"
        assert {"nosuid", "nodev"} <= set(mount["flags"]), where
        size = [o for o in mount["options"] if o.startswith("size=")]
        assert size, f"{where}: a writable tmpfs without a size limit"
        caps += int(size[0][5:].rstrip("k")) * 1024
        assert "stopped" in mount, f"{where}: filled past 40 MB"
    assert caps <= (limits.tmp_mb + limits.scratch_mb + limits.shm_mb + 1) * 2**20


@jailed
def test_a_process_in_the_jail_reaches_nothing_of_the_host(tmp_path):
    out = subprocess.run(sandbox.jail(LIMITS) + [sys.executable, "-c", LOOK], capture_output=True,
                         text=True, timeout=120, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert_nothing_of_the_host(json.loads(out.stdout.split("LOOK ", 1)[1]), LIMITS)
    assert not list(Path("/tmp").glob("*/planted-*")) and not list(tmp_path.rglob("planted-*"))


@jailed
@pytest.mark.slow
def test_a_graded_kernel_leaves_nothing_on_the_host(tmp_path):
    """Through nbgrader, the kernel's own sockets folder included (before: a host folder, written
    by the kernel, where a setuid-root copy of a shell could be left for a local account)."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    nb = nbformat.reads(notebook(solution_code()).decode(), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(LOOK))
    (inbox / f"prober_{LESSON}.ipynb").write_text(nbformat.writes(nb))
    course = grade.prepare(tmp_path / "course", [LESSON])
    collect(inbox, course, [LESSON])
    start = time.time()
    [job] = grade_all(course, [LESSON], LIMITS, students=["prober"])
    assert job.status == "graded" and job.score == 3, job.problems  # it costs the student nothing
    graded = nbformat.read(CourseFolder(course).autograded("prober", LESSON), as_version=4)
    text = "".join(o.get("text", "") for c in graded.cells if c.cell_type == "code" for o in c.outputs)
    assert "LOOK " in text, text[-2000:]
    seen = json.loads(text.split("LOOK ", 1)[1].splitlines()[0])
    assert_nothing_of_the_host(seen, LIMITS)
    if os.geteuid() == 0:  # its socket folder was locked once the sockets were bound
        assert not seen["sockets_writable"]
    left = [p for folder in (Path("/tmp"), course) for p in folder.rglob("planted-*")
            if p.lstat().st_mtime >= start]
    assert not left
