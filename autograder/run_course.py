"""The main job and the course benchmark: release, execute every solution notebook, autograde
the solutions, report.

`bash scripts/course.sh` runs it in fast mode. It proves the whole path an instructor relies on
(the releases are rebuilt from solutions/, every lesson runs top to bottom, nbgrader gives every
solution full marks) and measures it: seconds and peak memory per lesson, each lesson's key
results (what it recorded with llmcourse.results), and the time to autograde. With --json the
same table is written as JSON (docs/benchmarks.md shows how the published numbers were made).
"""

import datetime
import json
import os
import platform
import shutil
import time
from pathlib import Path

from . import gradebook
from .course import REPO, lessons, make_course_dir, nbgrader, solution_notebook
from .execute import execute
from .release import generate

STUDENT = "solutions"  # the submission made of the solution notebooks


def run(selected: list[str] | None = None, mode: str = "fast", build: Path = REPO / "build",
        json_path: Path | None = None) -> int:
    from llmcourse import results

    selected = selected or lessons()
    course = build / "course"
    shutil.rmtree(course, ignore_errors=True)  # a fresh gradebook each run
    make_course_dir(course)
    rows = []

    start = time.perf_counter()
    generate(selected, course_dir=course)
    release_s = time.perf_counter() - start
    print(f"released {len(selected)} lesson(s) to notebooks/ in {release_s:.0f} s")

    for lesson in selected:
        print(f"[{lesson}] executing the solution in {mode} mode ...", flush=True)
        results.clear(lesson)
        executed = execute(solution_notebook(lesson), mode=mode, measure_memory=True,
                           save_to=build / "executed" / f"{lesson}.ipynb")
        if executed.error:
            print(f"[{lesson}] FAILED while executing:\n{executed.error[-2000:]}")
        submission = course / "submitted" / STUDENT / lesson
        submission.mkdir(parents=True, exist_ok=True)
        shutil.copy(solution_notebook(lesson), submission / f"{lesson}.ipynb")
        print(f"[{lesson}] autograding ...", flush=True)
        t0 = time.perf_counter()
        proc = nbgrader("autograde", lesson, "--force", course_dir=course, check=False)
        grade_s = time.perf_counter() - t0
        if proc.returncode != 0:
            print(f"[{lesson}] nbgrader autograde failed:\n{(proc.stdout + proc.stderr)[-2000:]}")
        score, max_score = gradebook.scores(course, lesson).get(STUDENT, (0.0, None))
        rows.append(dict(lesson=lesson, run_s=round(executed.seconds, 1), grade_s=round(grade_s, 1),
                         score=score, max_score=max_score, **executed.peak,
                         ok=executed.error is None and proc.returncode == 0,
                         results=results.load(lesson)))

    print(report(rows, mode))
    if json_path:
        json_path = Path(json_path)
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps({"mode": mode, "machine": machine(), "release_s": round(release_s, 1),
                                         "lessons": rows}, indent=1))
        print(f"wrote {json_path}")
    full_marks = all(r["ok"] and r["max_score"] is not None and r["score"] == r["max_score"] for r in rows)
    return 0 if full_marks else 1


def machine() -> dict:
    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {"date": datetime.date.today().isoformat(), "cpu_cores": os.cpu_count(),
            "platform": platform.platform(), "python": platform.python_version(),
            "torch": torch.__version__, "gpu": gpu}


def _key_results(values: dict) -> str:
    return ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items())


def report(rows: list[dict], mode: str) -> str:
    lines = [f"\nCourse report ({mode} mode)",
             f"{'lesson':<26}{'points':>10}{'run (s)':>9}{'grade (s)':>10}{'peak MB':>9}  status  key results",
             "-" * 100]
    for r in rows:
        points = f"{r['score']:g} / {r['max_score']:g}" if r["max_score"] is not None else "no grade"
        status = "ok" if r["ok"] and r["score"] == r["max_score"] else ("PARTIAL" if r["ok"] else "FAILED")
        peak = f"{r['peak_rss_mb']:.0f}" if "peak_rss_mb" in r else "?"
        lines.append(f"{r['lesson']:<26}{points:>10}{r['run_s']:>9.1f}{r['grade_s']:>10.1f}{peak:>9}"
                     f"  {status:<6}  {_key_results(r['results'])}")
    earned = sum(r["score"] for r in rows)
    possible = sum(r["max_score"] or 0 for r in rows)
    lines += ["-" * 100,
              f"{'total':<26}{f'{earned:g} / {possible:g}':>10}{sum(r['run_s'] for r in rows):>9.1f}"
              f"{sum(r['grade_s'] for r in rows):>10.1f}"]
    return "\n".join(lines)
