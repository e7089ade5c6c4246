"""Autograde every collected submission: make each one a job, run the jobs (here or on a Dask
cluster, autograder/workers.py), and write every result into the course folder from this one
process.

A job (autograder/grading_job.py) carries the submission's bytes, the limits and the lesson's
shared part (its source, release and the reference values, computed once per lesson in a trusted
run: autograder/reference.py) and returns the graded notebook and its record. Only here are the
gradebook, <course>/autograded/ and the records <course>/grading/<lesson>/<student>.json written,
so results merge in one place; writing a result is idempotent, so a job run twice (a worker lost
mid-job and the job retried) still counts once. Whatever happens (malformed JSON, a kernel that
dies, a timeout, a memory bomb, a worker that vanishes) every submission ends with a row in the
gradebook (0 for what did not pass) and a record saying what happened; feedback and the report
are built from those records.
"""

import os
import shutil
import sys
from dataclasses import fields
from pathlib import Path

from nbgrader.utils import parse_utc
from tqdm.auto import tqdm

from . import files, gradebook, holds, reference, sandbox, workers
from .course import CourseFolder, make_course_dir, release_notebook, solution_notebook
from .grading_job import GRADER_ERROR, Job, Lesson, Result
from .record import Record


def grade_all(course: Path, lessons: list[str], limits: sandbox.Limits = sandbox.Limits(),
              workers: int | None = None, students: list[str] | None = None,
              releases: Path | None = None, scheduler: str | None = None,
              allow_unjailed: bool = False) -> list[Record]:
    """Grade every submitted/<student>/<lesson> (or only `students`), `workers` at a time here,
    or on the Dask cluster whose scheduler is `scheduler` ("local-cluster" starts one here).
    Without bubblewrap a worker refuses jobs unless `allow_unjailed`."""
    course = prepare(course, lessons)
    releases = releases or course / "release"
    folder = CourseFolder(course)
    todo = [(student, lesson) for lesson in lessons for student in folder.submitted_students(lesson)
            if students is None or student in students]
    # The expected side, once per lesson: a trusted run of the solution (ReferenceFailed if it
    # fails its own tests: then nothing can be judged)
    shared = {name: Lesson.make(name, solution_notebook(name).read_bytes(),
                           release_notebook(name, releases).read_bytes(),
                           reference.load(name, folder.references))
              for name in sorted({lesson for _, lesson in todo})}
    jobs = [_job(course, student, lesson, limits, allow_unjailed) for student, lesson in todo]
    graded = {}
    with tqdm(total=len(jobs), desc="grading", unit="notebook", file=sys.stderr,
              disable=not jobs) as bar:
        for job, outcome in workers_run(jobs, shared, scheduler, workers):
            graded[job.student, job.lesson] = _store_safely(course, job, outcome)
            bar.update()
    records = [graded[key] for key in todo]
    refused = [r for r in records if r.status == "refused"]
    if refused:
        print(f"WARNING: {len(refused)} job(s) refused by their worker: {refused[0].problems[-1]}",
              file=sys.stderr, flush=True)
    failed = [r for r in records if r.status == GRADER_ERROR]
    if failed:
        print(f"WARNING: {len(failed)} job(s) failed for a reason of the grader's own (status "
              f"'{GRADER_ERROR}', 0 until graded again with --students): {failed[0].problems[-1]}",
              file=sys.stderr, flush=True)
    return records


workers_run = workers.run_all


def prepare(course: Path, lessons: list[str]) -> Path:
    """An nbgrader course folder whose gradebook knows these lessons (their cells, points and
    test sources), with its own copy of the releases in course/release."""
    from .release import generate

    course = Path(course).resolve()
    missing = [lesson for lesson in lessons if not (course / "release" / lesson).is_dir()]
    if missing:
        generate(missing, releases=course / "release", course_dir=make_course_dir(course))
    return make_course_dir(course, releases=course / "release")


def _job(course: Path, student: str, lesson: str, limits: sandbox.Limits, allow_unjailed: bool) -> Job:
    """What a worker needs to grade one submission, read here (never through a link, never more
    than the size cap)."""
    path = CourseFolder(course).submission(student, lesson)
    notebook, unreadable, timestamp = None, "", None
    try:
        notebook = files.read_bytes(path)
    except files.Unreadable as e:
        unreadable = str(e) if os.path.lexists(path) else ""  # "" : missing
    try:
        timestamp = files.read_bytes(path.parent / "timestamp.txt", limit_mb=1).decode("utf-8", "replace").strip()[:64] or None
        parse_utc(timestamp)  # what the gradebook will do with it
    except Exception:  # unreadable, or not a time (a hand-copied folder): no late penalty from it
        timestamp = None
    return Job(student, lesson, notebook, unreadable, timestamp, limits, allow_unjailed,
               holds.released(course, student, lesson))


def _store_safely(course: Path, job: Job, outcome: Result | BaseException) -> Record:
    """_store, and if writing fails (a locked gradebook, a full disk), still a record and a row."""
    try:
        return _store(course, job, outcome)
    except Exception as e:
        rec = Record(job.student, job.lesson, status=GRADER_ERROR)
        rec.problems.append(f"the result could not be written ({type(e).__name__}: {str(e)[:300]}); "
                            "grade this submission again (--students)")
        try:
            rec.score, rec.max_score, _ = gradebook.store(course, job.student, job.lesson, {}, [], keep=True)
        except Exception:
            pass
        rec.save(course)
        return rec


def _store(course: Path, job: Job, outcome: Result | BaseException) -> Record:
    """Write one job's result into the course: graded notebook, gradebook row, record. A job
    that was refused or lost leaves an earlier grade of the same submission as it was."""
    lost = isinstance(outcome, BaseException)
    if lost:
        rec = Record(job.student, job.lesson, status=GRADER_ERROR)
        rec.problems.append(f"the grading job was lost ({type(outcome).__name__}: {str(outcome)[:300]}); "
                            "grade it again (--students); until then it keeps any earlier grade, or 0")
        outcome = Result({}, {}, None)
    else:
        names = {f.name for f in fields(Record)}
        rec = Record(**{k: v for k, v in outcome.record.items() if k in names})
    ungraded = lost or rec.status == "refused"
    if not ungraded:
        holds.undo(course, job.student, job.lesson)  # the earlier run's manual zeros go, its new ones come
        target = CourseFolder(course).autograded(job.student, job.lesson)
        shutil.rmtree(target.parent, ignore_errors=True)  # a re-run starts clean
        if outcome.autograded is not None:
            target.parent.mkdir(parents=True)
            target.write_bytes(outcome.autograded)
    rec.score, rec.max_score, points = gradebook.store(
        course, job.student, job.lesson, outcome.auto_scores, rec.held, job.timestamp,
        reset=rec.status in ("missing", "malformed"), keep=ungraded)
    for test in rec.tests:  # an instructor's manual score (formgrader) is the official one
        official = points.get(test["grade_id"], test["points"])
        if official < test["points"] and test["status"] == "passed":
            test["status"] = "failed"
        test["points"] = official
    rec.score_note = holds.explain(rec)
    rec.save(course)
    return rec
