"""The grading jail, probed directly (fast: a plain Python in the jail, no kernel)."""

import subprocess
import sys

import pytest

from autograder import sandbox
from autograder.course import REPO, SOLUTIONS

PROBE = r'''
import os, socket, sys
def fails(fn):
    try:
        fn()
    except (OSError, MemoryError):
        return True
    return False
print("solutions hidden", not os.path.exists(sys.argv[1]))
print("repo root hidden", not os.path.exists(sys.argv[2] + "/README.md"))
print("env read-only", fails(lambda: open(sys.argv[2] + "/llmcourse/x.py", "w")))
print("root read-only", fails(lambda: open("/planted", "w")))
print("no network", fails(lambda: socket.create_connection(("127.0.0.1", int(sys.argv[3])), timeout=2)))
print("scratch writable", not fails(lambda: open("scratch.txt", "w").write("ok")))
print("scratch capped", fails(lambda: open("big", "wb").write(b"x" * (300 * 2**20))))
print("no capabilities", open("/proc/self/status").read().split("CapEff:")[1].split()[0].strip("0") == "")
print("not root", os.getuid() != 0)
print("cannot remount", os.system("mount -o remount,bind,rw /usr 2>/dev/null") != 0)
print("tmp writable", not fails(lambda: open("/tmp/t.txt", "w").write("ok")))
print("memory limited", fails(lambda: bytearray(16 * 2**30)))
'''


def test_protections_say_when_bubblewrap_is_missing(monkeypatch):
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    states = sandbox.protections()
    assert any(state.startswith("OFF") and "bubblewrap" in state for state in states.values())


@pytest.mark.skipif(not sandbox.bwrap_works()[0], reason="bubblewrap cannot run here")
def test_jail_hides_the_course_and_the_network(tmp_path):
    import socket
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    args = sandbox.jail(sandbox.Limits()) + [
        sys.executable, "-c", PROBE, str(SOLUTIONS), str(REPO), str(server.getsockname()[1])]
    out = subprocess.run(args, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    server.close()
    assert out.returncode == 0, out.stderr
    lines = dict(line.rsplit(" ", 1) for line in out.stdout.splitlines())
    assert all(value == "True" for value in lines.values()), out.stdout
    assert len(lines) == 12
    assert not (tmp_path / "scratch.txt").exists()  # the scratch folder is the jail's own, not the caller's
