"""A grading job's processes share one memory limit (autograder/cgroups.py), tested without a
notebook or a cell deadline, so that a slow machine only makes it slower."""

import os
import subprocess
import sys

import pytest

from autograder import cgroups

pytestmark = pytest.mark.skipif(cgroups.available() != "on", reason="no writable cgroup hierarchy here")

FORKS = """import os, sys, time
from autograder import cgroups
cgroups.join(sys.argv[1])
kids = []
for _ in range(3):
    pid = os.fork()
    if pid == 0:
        block = bytearray(300 * 2**20)
        block[::4096] = b"x" * len(block[::4096])  # really use the memory
        time.sleep(3)  # alive together with its siblings
        os._exit(0)
    kids.append(pid)
statuses = [os.waitpid(pid, 0)[1] for pid in kids]
print(sum(s == 0 for s in statuses), sum(os.WIFSIGNALED(s) for s in statuses))
"""


def test_forked_children_cannot_add_up_past_the_jobs_limit():
    folders = cgroups.create(memory_mb=600, processes=32)
    assert folders
    try:
        run = subprocess.run([sys.executable, "-c", FORKS, os.pathsep.join(map(str, folders))],
                             capture_output=True, text=True, timeout=300,
                             cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        assert run.returncode == 0, run.stderr[-2000:]
        kept, killed = map(int, run.stdout.split())
        # 3 x 300 MB fit under per-process limits; one 600 MB job holds at most one of them
        assert killed >= 1 and kept * 300 < 600, f"kept {kept}, killed {killed} under a 600 MB job"
    finally:
        cgroups.remove(folders)


def test_a_jobs_process_count_is_bounded():
    folders = cgroups.create(memory_mb=600, processes=8)
    try:
        code = ("import os, sys\nfrom autograder import cgroups\ncgroups.join(sys.argv[1])\nn = 0\n"
                "try:\n    for _ in range(50):\n        if os.fork() == 0:\n            import time; time.sleep(5); os._exit(0)\n"
                "        n += 1\nexcept OSError:\n    pass\nprint(n)")
        run = subprocess.run([sys.executable, "-c", code, os.pathsep.join(map(str, folders))],
                             capture_output=True, text=True, timeout=120,
                             cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        assert run.returncode == 0, run.stderr[-2000:]
        assert int(run.stdout.split()[-1]) < 8
    finally:
        cgroups.remove(folders)
