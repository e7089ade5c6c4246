"""`nbgrader <args>` for one grading job, as a process of its own: its own session (killed with
everything it started at the wall limit), an address-space limit (a flood of output cannot take
the machine), its output captured in a file.

Importing nbgrader takes about 3 s, as long as grading lesson 00 itself. So jobs are forked
from a small server that has imported it once (`python -m autograder.nbgrader_process`,
started on first use and kept for the life of the grading process): a job pays only for its own
work. The server is single-threaded, so forking it is safe however many grading threads (or a
Dask worker's threads) ask; it is an ordinary subprocess, so a daemonic Dask worker may use it.
It is not multiprocessing's forkserver, which runs the caller's main script again in every
child (an instructor's unguarded script would grade its class again in each job).

The same server reads each submission before it is graded (autograder/preflight_process.py:
rebuilding it on the release, the static scan), in a child of its own under that step's budget, so
that step does not pay for importing its modules either (about 0.8 s a job).

Protocol, one JSON object a line: the grader sends {"id", "args", "cwd", "env", "memory", "log"}
(or {"id", "preflight": input file, "memory", "log"}); the server answers {"id", "pid"} when the
job started and {"id", "exit"} when it ended (exit as subprocess reports it: negative for a signal).
"""

import itertools
import json
import os
import resource
import select
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

OUTPUT_LIMIT = 200_000  # characters of nbgrader's output kept (its end)


def run(args: list[str], cwd: Path, env: dict, memory_mb: int, timeout: float) -> subprocess.CompletedProcess:
    """Run nbgrader; returncode is -SIGKILL and stderr ends with "WALL LIMIT" when it ran past
    `timeout` seconds and was killed."""
    full_env = {**os.environ, **env,
                "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
    with tempfile.TemporaryDirectory(prefix="lg-nbgrader-") as tmp:
        log = Path(tmp) / "output.txt"
        job, timed_out = _run(dict(args=args, cwd=str(cwd), env=full_env, log=str(log),
                                   memory=max(memory_mb, 3072) * 2**20), timeout)
        text = _tail(log)
    if job.exit is None:
        text += "\nthe grading server stopped while this job ran"
    return subprocess.CompletedProcess(["nbgrader", *args], job.exit if job.exit is not None else 1, "",
                                       text + ("\nWALL LIMIT" if timed_out else ""))


def preflight(payload: bytes, memory_mb: int, timeout: float) -> tuple[int | None, bytes, bool]:
    """autograder/preflight_process.py's reading of one submission, in a child of the server:
    (exit status or None if the server was gone, what it wrote, whether it ran past `timeout`)."""
    with tempfile.TemporaryDirectory(prefix="lg-preflight-") as tmp:
        given, log = Path(tmp) / "input", Path(tmp) / "output"
        given.write_bytes(payload)
        job, timed_out = _run(dict(preflight=str(given), log=str(log), memory=memory_mb * 2**20), timeout)
        return job.exit, (log.read_bytes() if log.is_file() else b""), timed_out


def _run(request: dict, timeout: float) -> tuple["_Job", bool]:
    """Start a job on the server and wait for its end; past `timeout` its session is killed."""
    job = _server().start(request)
    timed_out = not job.ended.wait(timeout)
    if timed_out or job.exit is None:  # past the wall limit, or the server is gone
        _kill_group(job.pid)
        job.ended.wait()
    return job, timed_out


class _Job:
    def __init__(self):
        self.pid, self.exit = None, None
        self.started, self.ended = threading.Event(), threading.Event()


class _Server:
    """The grader's side: one server process, a thread reading its answers."""

    def __init__(self):
        # its own session: a Ctrl-C meant for the grader does not orphan the jobs it runs
        self.proc = subprocess.Popen([sys.executable, "-m", "autograder.nbgrader_process"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
                                     start_new_session=True)
        self.jobs: dict[int, _Job] = {}
        self.ids = itertools.count()
        self.lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self._read, daemon=True).start()

    def alive(self) -> bool:
        return not self.closed and self.proc.poll() is None

    def start(self, request: dict) -> _Job:
        job = _Job()
        with self.lock:
            if self.closed:
                job.started.set()
                job.ended.set()
                return job
            request["id"] = next(self.ids)
            self.jobs[request["id"]] = job
            try:
                self.proc.stdin.write(json.dumps(request) + "\n")
                self.proc.stdin.flush()
            except OSError:  # the server died; the reader releases every waiting job
                pass
        job.started.wait()
        return job

    def _read(self):
        try:
            for line in self.proc.stdout:
                message = json.loads(line)
                with self.lock:
                    job = self.jobs[message["id"]]
                    if "exit" in message:
                        del self.jobs[message["id"]]
                if "pid" in message:
                    job.pid = message["pid"]
                    job.started.set()
                else:
                    job.exit = message["exit"]
                    job.ended.set()
        finally:  # the server is gone (or spoke nonsense): nobody waits forever
            with self.lock:
                self.closed = True
                for job in self.jobs.values():
                    job.started.set()
                    job.ended.set()
                self.jobs.clear()


_server_instance = None
_server_lock = threading.Lock()


def _server() -> _Server:
    global _server_instance
    with _server_lock:
        if _server_instance is None or not _server_instance.alive():
            _server_instance = _Server()
        return _server_instance


def _kill_group(pid: int | None) -> None:
    if pid is None:
        return
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _tail(log: Path) -> str:
    if not log.is_file():
        return ""
    with open(log, "rb") as f:
        f.seek(max(0, log.stat().st_size - 4 * OUTPUT_LIMIT))
        return f.read().decode("utf-8", "replace")[-OUTPUT_LIMIT:]


# ---- the server ------------------------------------------------------------------------------

def serve() -> None:
    """Read requests on stdin, fork a child for each, report its pid and its end on stdout."""
    import nbgrader.apps  # noqa: F401  (the point of the server: imported once)

    import autograder.grading_execute  # noqa: F401
    import autograder.preflight_process  # noqa: F401
    import autograder.rebuild  # noqa: F401
    import autograder.scan  # noqa: F401

    running: dict[int, int] = {}  # pid -> request id
    stdin, pending, open_input = sys.stdin.fileno(), b"", True
    while open_input or running:
        ready, _, _ = select.select([stdin] if open_input else [], [], [], 0.05)
        if ready:  # read the fd itself: a buffered reader could hide a request from select
            chunk = os.read(stdin, 1 << 16)
            open_input = bool(chunk)
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                request = json.loads(line)
                pid = os.fork()
                if pid == 0:
                    _child(request)  # never returns
                running[pid] = request["id"]
                _answer(id=request["id"], pid=pid)
        while running:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            _answer(id=running.pop(pid), exit=os.waitstatus_to_exitcode(status))
        if not open_input:  # the grader is gone: so are its jobs, wall limits and all
            for pid in running:
                _kill_group(pid)


def _answer(**message) -> None:
    try:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()
    except BrokenPipeError:  # the grader is gone; its jobs were killed
        pass


def _child(request: dict) -> None:
    """In the forked process: a session of its own, output to the log, the job's environment,
    then nbgrader (its exit status is nbgrader's), or the reading of one submission."""
    code = 1
    try:
        os.setsid()
        if "preflight" in request:  # stdout is the server's answers: nothing of the child's may reach it
            from autograder import preflight_process

            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            # the budget comes on top of what the server already holds (its imports)
            with open("/proc/self/statm") as f:
                held = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
            resource.setrlimit(resource.RLIMIT_AS, (held + request["memory"], held + request["memory"]))
            code, out = preflight_process.work(Path(request["preflight"]))
            Path(request["log"]).write_bytes(out)
            return
        fd = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        resource.setrlimit(resource.RLIMIT_AS, (request["memory"], request["memory"]))
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        tempfile.tempdir = None  # TMPDIR changed: forget the server's choice
        from nbgrader.apps.nbgraderapp import NbGraderApp

        NbGraderApp.launch_instance(argv=request["args"])
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:
        import traceback
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(code)


if __name__ == "__main__":
    serve()
