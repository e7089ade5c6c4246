"""The main job and the course benchmark: release, execute every solution notebook, autograde
the solutions, report.

`bash scripts/course.sh` runs it in fast mode. It proves the whole path an instructor relies on
(the releases are rebuilt from solutions/ into the build folder, never into notebooks/, every
lesson runs top to bottom, nbgrader gives every solution full marks) and measures it: seconds and
peak memory per lesson, each lesson's key results (what it recorded with llmcourse.results), every
claim the lessons' experiments judged from their own numbers (llmcourse.results.claim: shown or not
shown), and the time to autograde. With --json the
same table is written as JSON (docs/benchmarks.md shows how the published numbers were made).
"""

import datetime
import json
import os
import platform
import shutil
import time
from pathlib import Path

from llmcourse import results
from llmcourse.mode import current_mode

from . import sandbox
from .course import REPO, CourseFolder, lessons, make_course_dir, release_notebook, solution_notebook
from .execute import execute
from .grade import grade_all
from .release import generate

STUDENT = "solutions"  # the submission made of the solution notebooks
CELL_TIMEOUT_S = 3600


def run(selected: list[str] | None = None, mode: str | None = None, build: Path = REPO / "build",
        json_path: Path | None = None) -> int:
    mode = mode or current_mode()
    selected = selected or lessons()
    course = build / "course"
    shutil.rmtree(course, ignore_errors=True)  # a fresh gradebook each run
    make_course_dir(course)
    rows = []

    # The releases are built into the course folder, never into notebooks/: running the course
    # must not overwrite anyone's work there (`python -m autograder release` updates notebooks/).
    start = time.perf_counter()
    generate(selected, releases=course / "release", course_dir=course)
    release_s = time.perf_counter() - start
    print(f"built {len(selected)} release(s) in {course / 'release'} in {release_s:.0f} s"
          + stale_note(selected, course / "release"))

    executed_runs = {}
    for lesson in selected:
        print(f"[{lesson}] executing the solution in {mode} mode ...", flush=True)
        results.clear(lesson)
        # The per-cell limit only catches a hung kernel: lesson 05's experiment cells take minutes
        # on an idle 2-core machine, and a busy laptop (or full mode on a small GPU) may be slower.
        executed_runs[lesson] = run_ = execute(solution_notebook(lesson), mode=mode, measure_memory=True,
                                               timeout=CELL_TIMEOUT_S,
                                               save_to=build / "executed" / f"{lesson}.ipynb")
        if run_.error:
            print(f"[{lesson}] FAILED while executing:\n{run_.error[-2000:]}")
        submission = CourseFolder(course).submission(STUDENT, lesson)
        submission.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(solution_notebook(lesson), submission)

    # Grade the solutions as one student's full-course submission, the way an instructor grades
    # a class: in the grader's jail, under its limits, lessons in parallel.
    print(f"autograding the solutions as one submission of {len(selected)} lesson(s) ...", flush=True)
    t0 = time.perf_counter()
    jobs = {job.lesson: job for job in grade_all(course, selected, allow_unjailed=True)}  # our own solutions
    grading_s = time.perf_counter() - t0
    for lesson in selected:
        run_, job = executed_runs[lesson], jobs[lesson]
        if job.status != "graded" or job.problems:
            print(f"[{lesson}] grading: {job.status}; {'; '.join(job.problems)}")
        rows.append(dict(lesson=lesson, run_s=round(run_.seconds, 1), grade_s=job.seconds,
                         score=job.score, max_score=job.max_score or None, **run_.peak,
                         ok=run_.error is None and job.status == "graded", **saved_results(lesson)))

    print(report(rows, mode))
    print(f"one full-course submission autograded in {grading_s:.1f} s (wall clock, "
          f"{os.cpu_count()} workers; sandbox: {'on' if sandbox.bwrap_works()[0] else 'OFF'})")
    if json_path:
        json_path = Path(json_path)
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps({"mode": mode, "machine": machine(), "release_s": round(release_s, 1),
                                         "grade_submission_s": round(grading_s, 1), "lessons": rows}, indent=1))
        print(f"wrote {json_path}")
    full_marks = all(r["ok"] and r["max_score"] is not None and r["score"] == r["max_score"] for r in rows)
    return 0 if full_marks else 1


def stale_note(selected: list[str], built: Path) -> str:
    """Whether notebooks/ holds what was just built, and if not, for which lessons."""
    def read(path):
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None

    stale = [lesson for lesson in selected if read(release_notebook(lesson)) != read(release_notebook(lesson, built))]
    return (f"; notebooks/ differs for {', '.join(stale)} (left as it is: `python -m autograder release` "
            "updates it)") if stale else "; notebooks/ is up to date"


def saved_results(lesson: str) -> dict:
    """{"results": the lesson's recorded numbers, "claims": its claims, in the order it made them}."""
    saved = results.load(lesson)
    claims = saved.pop(results.CLAIMS, {})
    return {"results": saved, "claims": list(claims.values()) if isinstance(claims, dict) else []}


def machine() -> dict:
    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {"date": datetime.date.today().isoformat(), "cpu_cores": os.cpu_count(),
            "platform": platform.platform(), "python": platform.python_version(),
            "torch": torch.__version__, "gpu": gpu}


def report(rows: list[dict], mode: str) -> str:
    lines = [f"\nCourse report ({mode} mode)",
             f"{'lesson':<26}{'points':>10}{'run (s)':>9}{'grade (s)':>10}{'peak MB':>9}  status  key results",
             "-" * 100]
    for r in rows:
        points = f"{r['score']:g} / {r['max_score']:g}" if r["max_score"] is not None else "no grade"
        status = "ok" if r["ok"] and r["score"] == r["max_score"] else ("PARTIAL" if r["ok"] else "FAILED")
        peak = f"{r['peak_rss_mb']:.0f}" if "peak_rss_mb" in r else "?"
        lines.append(f"{r['lesson']:<26}{points:>10}{r['run_s']:>9.1f}{r['grade_s']:>10.1f}{peak:>9}"
                     f"  {status:<6}  {results.formatted(r['results'])}")
    earned = sum(r["score"] for r in rows)
    possible = sum(r["max_score"] or 0 for r in rows)
    lines += ["-" * 100,
              f"{'total':<26}{f'{earned:g} / {possible:g}':>10}{sum(r['run_s'] for r in rows):>9.1f}"
              f"{sum(r['grade_s'] for r in rows):>10.1f}"]
    claims = [(r["lesson"], c) for r in rows for c in r.get("claims", [])]
    shown = sum(c["shown"] for _, c in claims)
    lines += [f"\nClaims ({shown} of {len(claims)} shown)"] + [f"{lesson:<26}{results.claim_line(c)}"
                                                               for lesson, c in claims]
    return "\n".join(lines)
