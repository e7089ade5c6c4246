"""`nbgrader <args>` for one grading job, as a process of its own: its own session (killed with
everything it started at the wall limit), an address-space limit (a flood of output cannot take
the machine), its output captured.

Importing nbgrader takes about 3 s, as long as grading lesson 00 itself. So the process is
forked from a server that has imported it once (multiprocessing's forkserver, started on first
use, single-threaded however many grading threads ask), and a job pays only for its own work.
A process that may not have children of its own (a daemonic Dask worker, under a nanny)
starts a fresh interpreter instead: the same command, a few seconds slower.
"""

import multiprocessing
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

PRELOAD = ["nbgrader.apps", "autograder.grading_execute", "autograder.nbgrader_process"]
OUTPUT_LIMIT = 200_000  # characters of nbgrader's output kept (its end)

_context = None
_lock = threading.Lock()


def run(args: list[str], cwd: Path, env: dict, memory_mb: int, timeout: float) -> subprocess.CompletedProcess:
    """Run nbgrader; returncode is -SIGKILL and stderr ends with "WALL LIMIT" when it ran past
    `timeout` seconds and was killed."""
    full_env = {**os.environ, **env,
                "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
    memory = max(memory_mb, 3072) * 2**20
    if multiprocessing.current_process().daemon:
        return _fresh_interpreter(args, cwd, full_env, memory, timeout)
    with tempfile.TemporaryDirectory(prefix="lg-nbgrader-") as tmp:
        log = Path(tmp) / "output.txt"
        proc = _server().Process(target=_child, args=(args, str(cwd), full_env, memory, str(log)))
        proc.start()
        proc.join(timeout)
        timed_out = proc.exitcode is None
        if timed_out:
            _kill_group(proc.pid)
            proc.join()
        text = _tail(log)
    return subprocess.CompletedProcess(["nbgrader", *args], proc.exitcode, "",
                                       text + ("\nWALL LIMIT" if timed_out else ""))


def _server():
    global _context
    with _lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(PRELOAD)
            _context = context
        return _context


def _child(args: list[str], cwd: str, env: dict, memory: int, log: str) -> None:
    """In the forked process: a session of its own, output to the log, the job's environment."""
    os.setsid()
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    tempfile.tempdir = None  # TMPDIR changed: forget the server's choice
    from nbgrader.apps.nbgraderapp import NbGraderApp

    NbGraderApp.launch_instance(argv=args)


def _kill_group(pid: int) -> None:
    for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            kill()
        except (ProcessLookupError, PermissionError):
            pass


def _tail(log: Path) -> str:
    if not log.is_file():
        return ""
    with open(log, "rb") as f:
        f.seek(max(0, log.stat().st_size - 4 * OUTPUT_LIMIT))
        return f.read().decode("utf-8", "replace")[-OUTPUT_LIMIT:]


def _fresh_interpreter(args, cwd, env, memory, timeout) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "nbgrader", *args]
    if shutil.which("prlimit"):
        cmd = ["prlimit", f"--as={memory}", *cmd]
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, errors="replace", start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc.pid)
        out, _ = proc.communicate()
        out += "\nWALL LIMIT"
    return subprocess.CompletedProcess(cmd, proc.returncode, "", out[-OUTPUT_LIMIT:])
