"""Per-student HTML feedback: the score, what happened to the submission, and for each test, in
the notebook's order under its exercise's name (as `exercise("...")` names it in the test cell),
its result and message. Built from the grading record, whose test messages are the grader's verdict
in a fixed vocabulary (autograder/verdict.py), never from the test cells' source or the
submission's outputs, so hidden tests stay hidden and nothing the student's code showed (HTML,
scripts) is on the page. Every piece of text is escaped. Points held for review show as pending."""

import html
import shutil
from dataclasses import asdict
from pathlib import Path

from . import record
from .collect import load as load_collection
from .course import CourseFolder

STYLE = """body{font-family:sans-serif;max-width:52em;margin:2em auto;color:#222}
.passed{color:#1a7f37}.failed,.notrun{color:#b42318}pre{background:#f6f8fa;padding:.6em;white-space:pre-wrap}
.note{background:#fff4e5;padding:.5em}.held{color:#9a6700}"""


def render(record: dict, notes: list[str]) -> str:
    e = html.escape
    rows = []
    for t in record["tests"]:
        css = {"passed": "passed", "failed": "failed", "held": "held"}.get(t["status"], "notrun")
        if t["status"] == "held":
            result = f"{t['max_points']:g} point{'s' * (t['max_points'] != 1)} pending review"
        else:
            result = f"{e(t['status'])} ({t['points']:g} / {t['max_points']:g})"
        title = t.get("title") or t["grade_id"]  # records written before titles: the grade id
        lines = (t["message"] or "").splitlines()
        if lines and lines[0] == f"{title}:":  # the verdict's first line names the exercise: the heading does
            lines = lines[1:]
        body = "\n".join(lines) or "(no output)"
        rows.append(f"<h3 class='{css}'>{e(title)}: {result} <small>({e(t['grade_id'])})</small></h3>"
                    f"<pre>{e(body)}</pre>")
    problems = "".join(f"<p class='note'>{e(p)}</p>" for p in notes + record["problems"])
    pending = sum(t["max_points"] for t in record["tests"] if t["status"] == "held")
    if pending:
        problems = (f"<p class='note held'>{pending:g} point{'s' * (pending != 1)} pending review: an "
                    "instructor reads part of your code before they count.</p>") + problems
    if record.get("cell_errors"):
        problems += "<p>Errors in your cells:</p><pre>" + e("\n".join(record["cell_errors"])) + "</pre>"
    return (f"<!doctype html><html><head><meta charset='utf-8'>"
            f"<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'\">"
            f"<title>{e(record['lesson'])}: feedback for "
            f"{e(record['student'])}</title><style>{STYLE}</style></head><body>"
            f"<h1>{e(record['lesson'])}: {record['score']:g} / {record['max_score']:g}</h1>"
            f"<p>Student: {e(record['student'])}. Status: {e(record['status'])}.</p>{problems}"
            + ("".join(rows) or "<p>No test ran.</p>") + "</body></html>")


def write_all(course: Path) -> list[Path]:
    """course/feedback/<student>/<lesson>/<lesson>.html for every grading record."""
    course = Path(course)
    notes = {(s.student, s.lesson): s.notes for s in load_collection(course).submissions}
    written = []
    for rec in record.load_all(course):
        target = CourseFolder(course).feedback(rec.student, rec.lesson)
        target.parent.mkdir(parents=True, exist_ok=True)
        page = render(asdict(rec), notes.get((rec.student, rec.lesson), []))
        target.write_text(page, encoding="utf-8", errors="backslashreplace")  # any bytes a student sent
        for name in ("timestamp.txt", "submission_secret.txt"):  # what `nbgrader release_feedback` reads
            kept = CourseFolder(course).submission(rec.student, rec.lesson).parent / name
            if kept.is_file() and not kept.is_symlink():
                shutil.copyfile(kept, target.parent / name)
        written.append(target)
    return written
