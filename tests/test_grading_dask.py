"""Grading on a Dask cluster: a scheduler and two workers as separate processes on loopback grade
a small class; one worker is killed in the middle of the batch, and every grade still equals a
local run's. Also: a worker that cannot jail student code refuses the job unless the instructor
allowed it, and a worker running another version of the course refuses it too."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder import grade, grading_job, gradebook
from autograder.collect import collect
from autograder.grade import grade_all

from test_grading import LESSON, WRONG, solution_code
from test_browser import free_port
from test_grading_batch import NAIVE, notebook

pytest.importorskip("distributed")
pytestmark = pytest.mark.slow

CLASS = {"ada": solution_code(), "bo": None, "cy": NAIVE, "di": WRONG}  # and zz, a broken file


def a_class(root: Path) -> Path:
    inbox = root / "inbox"
    inbox.mkdir(parents=True)
    for student, answer in CLASS.items():
        (inbox / f"{student}_{LESSON}.ipynb").write_bytes(notebook(answer))
    (inbox / f"zz_{LESSON}.ipynb").write_bytes(b"{not json")  # a broken one goes through too
    course = grade.prepare(root / "course", [LESSON])
    collect(inbox, course, [LESSON])
    return course


def summary(course: Path, records) -> dict:
    """What a student gets: the gradebook's score, the record's status and each test's points."""
    scores = gradebook.scores(course, LESSON)
    return {r.student: (scores[r.student], r.status, sorted((t["grade_id"], t["points"]) for t in r.tests))
            for r in records}


@pytest.fixture
def cluster(tmp_path):
    """`dask scheduler` and two `dask worker` processes (no nanny: killing one kills the worker)."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               OMP_NUM_THREADS="1")
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    logs = tmp_path / "logs"
    logs.mkdir()
    procs = [subprocess.Popen([*dask, "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                              env=env, stdout=open(logs / "scheduler.log", "w"), stderr=subprocess.STDOUT)]
    for name in ("w1", "w2"):
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1", "--no-nanny",
             "--name", name, "--no-dashboard", "--local-directory", str(tmp_path / name)],
            env=env, cwd=tmp_path, stdout=open(logs / f"{name}.log", "w"), stderr=subprocess.STDOUT))
    from distributed import Client
    try:
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
        yield address, {p.pid: p for p in procs[1:]}
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def test_a_worker_killed_mid_batch_loses_no_grade(tmp_path, cluster, monkeypatch):
    address, processes = cluster
    local_course = a_class(tmp_path / "local")
    local = summary(local_course, grade_all(local_course, [LESSON], allow_unjailed=True, workers=2))
    assert local["ada"][0] == (3, 3) and local["bo"][0] == (0, 3) and local["zz"][1] == "malformed"

    killed = {}

    def kill_one_worker_mid_batch(jobs, lessons, scheduler, threads):
        from distributed import Client

        for job, outcome in grade.workers.run_all(jobs, lessons, scheduler, threads):
            if not killed:
                # the worker that just finished takes the next job (one thread each, the batch is
                # longer than the cluster): once the scheduler shows it busy, kill it in that job
                pid = int(outcome.worker.rsplit(":", 1)[1])
                with Client(scheduler, timeout="30s") as spy:
                    name = processes[pid].args[processes[pid].args.index("--name") + 1]
                    address = next(a for a, w in spy.scheduler_info()["workers"].items() if w["name"] == name)
                    deadline = time.monotonic() + 60
                    while not spy.processing().get(address) and time.monotonic() < deadline:
                        time.sleep(0.1)
                    busy = list(spy.processing().get(address, []))
                time.sleep(1)  # into the job: nbgrader is running it
                os.kill(pid, signal.SIGKILL)
                processes[pid].wait(timeout=30)
                killed[pid] = busy
            yield job, outcome

    monkeypatch.setattr(grade, "workers_run", kill_one_worker_mid_batch)
    course = a_class(tmp_path / "dask")
    records = grade_all(course, [LESSON], scheduler=address, allow_unjailed=True)
    (pid, busy), = killed.items()
    assert processes[pid].returncode == -signal.SIGKILL and busy, "the worker was not killed in a job"
    assert summary(course, records) == local  # every grade, none lost, none counted twice
    assert len(gradebook.scores(course, LESSON)) == len(CLASS) + 1
    for r in records:
        assert (course / "grading" / LESSON / f"{r.student}.json").is_file()
        assert r.status not in ("error", "grader error"), r.problems  # a lost job is a grader error


def test_a_worker_without_the_jail_refuses_unless_allowed(tmp_path, monkeypatch):
    course = a_class(tmp_path)
    # (and a timestamp.txt that is not a time, as a hand-copied folder may have, costs nothing)
    (course / "submitted" / "ada" / LESSON / "timestamp.txt").write_text("yesterday-ish")
    monkeypatch.setattr(grading_job, "_JAIL", [(False, "bubblewrap is not installed (pretend)")])
    [refused] = grade_all(course, [LESSON], students=["ada"])
    assert refused.status == "refused" and refused.score == 0 and refused.max_score == 3
    assert "bubblewrap is not installed (pretend)" in refused.problems[-1] and "--allow-unjailed" in refused.problems[-1]
    assert gradebook.scores(course, LESSON)["ada"] == (0, 3)  # a row all the same
    [allowed] = grade_all(course, [LESSON], students=["ada"], allow_unjailed=True)
    assert allowed.status == "graded" and allowed.score == 3
    assert gradebook.scores(course, LESSON)["ada"] == (3, 3)
    assert any("WITHOUT the jail" in flag for flag in allowed.flags)


def test_a_worker_running_another_version_of_the_course_refuses(tmp_path, monkeypatch):
    course = a_class(tmp_path)
    monkeypatch.setattr(grading_job, "_course_key", lambda lesson: "another-commit")
    [job] = grade_all(course, [LESSON], students=["ada"], allow_unjailed=True)
    assert job.status == "refused" and "another version of the course" in job.problems[-1]
    assert gradebook.scores(course, LESSON)["ada"] == (0, 3)
