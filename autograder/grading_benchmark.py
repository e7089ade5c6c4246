"""How long grading takes: N copies of the solutions graded as a class through the same jailed
path as `grade` (with 1 worker and with one per core, in threads here; and through a local Dask
cluster of as many worker processes, which is what Dask itself costs), against plain
`nbgrader autograde` on the same submissions (one process, the ordinary python3 kernel: no jail,
no limits, no scan, no reference, no verdict). A benchmark, never a test.

    python -m autograder bench-grading --students 30 --lessons 00_setup
"""

import os
import shutil
import tempfile
import time
from pathlib import Path

from . import reference
from .course import CourseFolder, nbgrader, solution_notebook
from .grade import grade_all, prepare


def class_of(course: Path, lessons: list[str], students: int) -> None:
    for i in range(students):
        for lesson in lessons:
            notebook = CourseFolder(course).submission(f"student{i:03d}", lesson)
            notebook.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(solution_notebook(lesson), notebook)


def plain_nbgrader(root: Path, lessons: list[str], students: int) -> float:
    """Seconds `nbgrader autograde` takes for the same class, lesson by lesson, as nbgrader alone
    grades (the course's Execute step stays: it only skips heavy cells)."""
    course = prepare(root, lessons)
    class_of(course, lessons, students)
    start = time.perf_counter()
    for lesson in lessons:
        nbgrader("autograde", lesson, "--force", "--Execute.kernel_name=python3", "--Execute.timeout=600",
                 course_dir=course, env={"OMP_NUM_THREADS": "1"})
    return time.perf_counter() - start


def run(lessons: list[str], students: int, worker_counts: list[int], dask: bool = True) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        course = prepare(Path(tmp) / "course", lessons)
        class_of(course, lessons, students)
        start = time.perf_counter()
        for lesson in lessons:
            reference.load(lesson, CourseFolder(course).references)
        print(f"reference runs (once per lesson, then cached): {time.perf_counter() - start:.1f} s", flush=True)
        runs = [(workers, None) for workers in worker_counts]
        if dask:
            runs.append((max(worker_counts), "local-cluster"))
        for workers, scheduler in runs:
            start = time.perf_counter()
            jobs = grade_all(course, lessons, workers=workers, scheduler=scheduler, allow_unjailed=True)
            seconds = time.perf_counter() - start
            full = sum(j.score == j.max_score and j.max_score > 0 for j in jobs)
            where = f"{workers} Dask worker(s)" if scheduler else f"{workers} worker(s)"
            rows.append(dict(workers=where, submissions=len(jobs), seconds=round(seconds, 1),
                             per_submission_s=round(seconds / max(len(jobs), 1), 2),
                             per_minute=round(60 * len(jobs) / seconds, 1), full_marks=full))
            print(f"{students} student(s) x {len(lessons)} lesson(s), {where}: {seconds:.1f} s "
                  f"({seconds / max(len(jobs), 1):.2f} s per notebook, {60 * len(jobs) / seconds:.1f} per minute; "
                  f"{full}/{len(jobs)} full marks)", flush=True)
        if dask:
            same = rows[worker_counts.index(max(worker_counts))]
            print(f"Dask overhead with {max(worker_counts)} workers: "
                  f"{100 * (rows[-1]['seconds'] / same['seconds'] - 1):+.1f} % of the threads' time", flush=True)
        plain = plain_nbgrader(Path(tmp) / "plain", lessons, students)
        one = next((r for r in rows if r["workers"] == "1 worker(s)"), rows[0])
        print(f"plain nbgrader autograde, same {len(lessons) * students} notebooks: {plain:.1f} s; "
              f"the course's grading with {one['workers']} costs {one['seconds'] / plain:.2f}x that",
              flush=True)
        rows.append(dict(workers="plain nbgrader", submissions=len(lessons) * students, seconds=round(plain, 1),
                         per_submission_s=round(plain / max(len(lessons) * students, 1), 2), full_marks=None))
    if len(worker_counts) > 1:
        print(f"speed-up with {rows[len(worker_counts) - 1]['workers']}: "
              f"{rows[0]['seconds'] / rows[len(worker_counts) - 1]['seconds']:.2f}x")
    return rows


def default_workers() -> list[int]:
    cores = os.cpu_count() or 1
    return [1, cores] if cores > 1 else [1]
