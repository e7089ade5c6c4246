"""How long grading takes: N copies of the solutions graded as a class, with 1 worker and with
one worker per core, through the same jailed path as `grade`. A benchmark, never a test.

    python -m autograder bench-grading --students 30 --lessons 00_setup
"""

import os
import shutil
import tempfile
import time
from pathlib import Path

from .course import CourseFolder, solution_notebook
from .grade import grade_all, prepare


def class_of(course: Path, lessons: list[str], students: int) -> None:
    for i in range(students):
        for lesson in lessons:
            notebook = CourseFolder(course).submission(f"student{i:03d}", lesson)
            notebook.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(solution_notebook(lesson), notebook)


def run(lessons: list[str], students: int, worker_counts: list[int]) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        course = prepare(Path(tmp) / "course", lessons)
        class_of(course, lessons, students)
        for workers in worker_counts:
            start = time.perf_counter()
            jobs = grade_all(course, lessons, workers=workers)
            seconds = time.perf_counter() - start
            full = sum(j.score == j.max_score and j.max_score > 0 for j in jobs)
            rows.append(dict(workers=workers, submissions=len(jobs), seconds=round(seconds, 1),
                             per_submission_s=round(seconds / max(len(jobs), 1), 2), full_marks=full))
            print(f"{students} student(s) x {len(lessons)} lesson(s), {workers} worker(s): {seconds:.1f} s "
                  f"({seconds / max(len(jobs), 1):.2f} s per notebook; {full}/{len(jobs)} full marks)",
                  flush=True)
    if len(rows) > 1:
        print(f"speed-up with {rows[-1]['workers']} workers: {rows[0]['seconds'] / rows[-1]['seconds']:.2f}x")
    return rows


def default_workers() -> list[int]:
    cores = os.cpu_count() or 1
    return [1, cores] if cores > 1 else [1]
