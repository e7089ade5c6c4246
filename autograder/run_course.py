"""The main job: release, execute every solution notebook, autograde the solutions, report.

This is what `bash scripts/course.sh` runs. It proves the whole path an instructor relies on:
the releases are rebuilt from solutions/, every lesson runs top to bottom, and nbgrader gives
every solution full marks.
"""

import shutil
import time
from pathlib import Path

from . import gradebook
from .course import REPO, lessons, make_course_dir, nbgrader, solution_notebook
from .execute import execute
from .release import generate

STUDENT = "solutions"  # the submission made of the solution notebooks


def run(selected: list[str] | None = None, mode: str = "fast", build: Path = REPO / "build") -> int:
    selected = selected or lessons()
    course = build / "course"
    shutil.rmtree(course, ignore_errors=True)  # a fresh gradebook each run
    make_course_dir(course)
    rows = []

    start = time.perf_counter()
    generate(selected, course_dir=course)
    print(f"released {len(selected)} lesson(s) to notebooks/ in {time.perf_counter() - start:.0f} s")

    for lesson in selected:
        print(f"[{lesson}] executing the solution in {mode} mode ...", flush=True)
        run_ = execute(solution_notebook(lesson), mode=mode,
                       save_to=build / "executed" / f"{lesson}.ipynb")
        if run_.error:
            print(f"[{lesson}] FAILED while executing:\n{run_.error[-2000:]}")
        submission = course / "submitted" / STUDENT / lesson
        submission.mkdir(parents=True, exist_ok=True)
        shutil.copy(solution_notebook(lesson), submission / f"{lesson}.ipynb")
        print(f"[{lesson}] autograding ...", flush=True)
        t0 = time.perf_counter()
        proc = nbgrader("autograde", lesson, "--force", course_dir=course, check=False)
        grade_s = time.perf_counter() - t0
        score, max_score = gradebook.scores(course, lesson).get(STUDENT, (0.0, None))
        rows.append((lesson, run_.seconds, grade_s, score, max_score,
                     run_.error is None and proc.returncode == 0))
        if proc.returncode != 0:
            print(f"[{lesson}] nbgrader autograde failed:\n{(proc.stdout + proc.stderr)[-2000:]}")

    print(report(rows, mode))
    full_marks = all(ok and max_s is not None and score == max_s for _, _, _, score, max_s, ok in rows)
    return 0 if full_marks else 1


def report(rows, mode: str) -> str:
    lines = [f"\nCourse report ({mode} mode)",
             f"{'lesson':<28}{'points':>12}{'run (s)':>10}{'grade (s)':>11}  status",
             "-" * 70]
    for lesson, run_s, grade_s, score, max_s, ok in rows:
        points = f"{score:g} / {max_s:g}" if max_s is not None else "no grade"
        status = "ok" if ok and score == max_s else ("NOT FULL MARKS" if ok else "FAILED")
        lines.append(f"{lesson:<28}{points:>12}{run_s:>10.1f}{grade_s:>11.1f}  {status}")
    total = sum(r[1] + r[2] for r in rows)
    earned = sum(r[3] for r in rows)
    possible = sum(r[4] or 0 for r in rows)
    lines += ["-" * 70, f"{'total':<28}{f'{earned:g} / {possible:g}':>12}{total:>21.1f}"]
    return "\n".join(lines)
