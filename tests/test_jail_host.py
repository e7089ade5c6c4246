"""The jail gives nothing of the host: no uid of root's, nothing of the host's disk writable, every
writable place a size-capped, nosuid tmpfs of the jail's own, /etc/shadow unreadable when grading
as root. Checked twice, the way a student would look: with a plain Python in the jail, and
from inside a kernel started through the grading kernel spec (a few seconds, no nbgrader)."""

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from autograder import sandbox

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
connection = "/run/connection.json"  # (where the launcher puts it; a kernel of the old jail has none)
sockets = os.path.dirname(json.load(open(connection))["ip"]) if os.path.exists(connection) else None
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
def test_a_kernel_in_the_jail_leaves_nothing_on_the_host(tmp_path, monkeypatch):
    """The kernel as nbgrader starts it (the kernel spec, ZeroMQ over Unix sockets), its own
    sockets folder included: before, a host folder the kernel wrote, where a setuid-root copy of a
    shell could be left for a local account to run."""
    from jupyter_client.manager import KernelManager

    sandbox.install_kernel(tmp_path / "jupyter")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("LLMCOURSE_SANDBOX_LIMITS", json.dumps(dataclasses.asdict(LIMITS)))
    sockets = Path(tempfile.mkdtemp(prefix="lg-", dir="/tmp"))  # as grading_job makes it
    manager = KernelManager(kernel_name=sandbox.KERNEL_NAME, transport="ipc", ip=f"{sockets}/kernel/k")
    start = time.time()
    manager.start_kernel()
    try:
        client = manager.client()
        client.start_channels()
        client.wait_for_ready(timeout=120)
        printed = []
        reply = client.execute_interactive(LOOK, timeout=120, output_hook=lambda m: printed.append(
            m["content"].get("text", "")))
        assert reply["content"]["status"] == "ok", reply["content"]
        client.stop_channels()
    finally:
        manager.shutdown_kernel(now=True)
        shutil.rmtree(sockets, ignore_errors=True)
    text = "".join(printed)
    seen = json.loads(text.split("LOOK ", 1)[1].splitlines()[0])
    assert_nothing_of_the_host(seen, LIMITS)
    if os.geteuid() == 0:  # its socket folder was locked once the sockets were bound
        assert not seen["sockets_writable"]
    assert not [p for p in Path("/tmp").glob("*/planted-*") if p.lstat().st_mtime >= start]
