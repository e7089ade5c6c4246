"""The class summary: grades export (CSV), a plot, and a Markdown report for the instructor.

Reads the grading records in <course>/grading/ (whose scores were read from the gradebook) and
<course>/collection.json; writes <course>/reports/{grades.csv, tests.csv, scores.png, report.md},
the similarity pages (similarity.py) and, on request, the grades an LMS imports (lms.py).
"""

import csv
from collections import Counter, defaultdict
from dataclasses import asdict
from pathlib import Path

from . import gradebook, lms, record, sandbox, similarity
from .collect import load as load_collection
from .course import CourseFolder
from .grading_job import GRADER_ERROR


def records(course: Path) -> list[dict]:
    return [asdict(r) for r in record.load_all(course)]


def export_csv(course: Path, rows: list[dict], out: Path) -> None:
    late = {(s.student, s.lesson) for s in load_collection(course).submissions if s.late}
    with open(out / "grades.csv", "w", newline="", encoding="utf-8", errors="backslashreplace") as f:
        w = csv.writer(f)
        w.writerow(["student", "lesson", "score", "max_score", "raw_score", "status", "late", "flagged",
                    "held_tests", "score_note", "problems"])
        for r in rows:  # score is the official one (after holds); raw_score is nbgrader's
            w.writerow([lms.spreadsheet_safe(r["student"]), r["lesson"], r["score"], r["max_score"], r.get("raw_score", r["score"]),
                        r["status"], (r["student"], r["lesson"]) in late, bool(r["flags"]),
                        " ".join(r.get("held", [])), r.get("score_note", ""), " | ".join(r["problems"])])
    with open(out / "tests.csv", "w", newline="", encoding="utf-8", errors="backslashreplace") as f:
        w = csv.writer(f)
        w.writerow(["student", "lesson", "test", "points", "max_points", "status"])
        for r in rows:
            for t in r["tests"]:
                w.writerow([lms.spreadsheet_safe(r["student"]), r["lesson"], t["grade_id"], t["points"], t["max_points"],
                            t["status"]])


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lessons = sorted({r["lesson"] for r in rows})
    tests = defaultdict(Counter)  # test -> {status: students}
    for r in rows:
        for t in r["tests"]:
            tests[f"{r['lesson']}/{t['grade_id']}"][t["status"]] += 1
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    left.hist([[r["score"] / r["max_score"] * 100 if r["max_score"] else 0 for r in rows if r["lesson"] == lesson]
               for lesson in lessons], bins=[0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100.01], label=lessons)
    left.set(title="Score distribution per lesson", xlabel="score (% of the lesson's points)", ylabel="students")
    left.legend(fontsize=8)
    names = sorted(tests)
    left_edge = [0] * len(names)
    for status, color in (("passed", "tab:green"), ("failed", "tab:red"), ("not run", "tab:gray")):
        counts = [tests[n][status] for n in names]
        right.barh(names, counts, left=left_edge, color=color, label=status)
        left_edge = [a + b for a, b in zip(left_edge, counts)]
    right.set(title="Results per exercise test", xlabel="students")
    right.legend(fontsize=8)
    right.invert_yaxis()
    right.tick_params(axis="y", labelsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def export_lms(course: Path, kind: str, export: Path | None = None, roster_file: Path | None = None,
               out: Path | None = None, missing: str = "blank", id_column: str | None = None) -> list[str]:
    """Write the grades file an LMS imports (kind: canvas, moodle, csv) for the lessons graded so
    far; give the gradebook's students the roster's names. Returns what to tell the instructor."""
    course = Path(course)
    rows = records(course)
    if kind in ("canvas", "moodle") and export is None:
        raise lms.RosterError(f"--lms {kind} fills in the gradebook you exported from {kind.title()}: "
                              "give it with --export FILE")
    roster = (lms.read_canvas(export) if kind == "canvas" else
              lms.read_moodle(export, id_column) if kind == "moodle" else
              lms.read_roster(roster_file) if roster_file else
              lms.read_canvas(export) if export else None)
    lessons = sorted({r["lesson"] for r in rows})  # graded so far: lessons not yet handed in count for nothing
    max_points = {lesson: max(r["max_score"] for r in rows if r["lesson"] == lesson) for lesson in lessons}
    out_dir = CourseFolder(course).reports
    out_dir.mkdir(parents=True, exist_ok=True)
    out = Path(out or out_dir / f"{kind}_import.csv")
    if kind == "csv":
        lms.wide_csv(roster, rows, lessons, max_points, out, missing)
    else:
        lms.import_file(roster, lms.match(roster, rows), lessons, max_points, out, missing)
    gradebook.set_names(course, lms.names_for_gradebook(roster, rows))
    lines = [f"wrote {out} ({kind}: {len(lessons)} lesson(s): {', '.join(lessons)})"]
    if roster is not None:
        matched = lms.match(roster, rows)
        handed_in = {p.key for p in matched.names.values()}
        lines.append(f"roster: {len(roster.people)} student(s), {len(handed_in)} with a submission, "
                     f"{len(roster.people) - len(handed_in)} without any")
        lines += [f"NOT ON THE ROSTER: {s} (graded, but left out of the import file)" for s in matched.unknown]
        lines += [f"AMBIGUOUS: {s} fits several roster rows (left out of the import file)" for s in matched.ambiguous]
    (out_dir / "lms.txt").write_text("\n".join(lines) + "\n", encoding="utf-8", errors="backslashreplace")
    return lines


def markdown(course: Path, rows: list[dict], similar: list | None = None) -> str:
    lines = ["# Grading report", "", "## Protections on this machine", ""]
    lines += [f"- {name}: **{state}**" for name, state in sandbox.protections().items()]
    lines += ["", "## Scores", "", "![scores](scores.png)", "", "| lesson | submissions | mean | min | max |",
              "|---|---|---|---|---|"]
    for lesson in sorted({r["lesson"] for r in rows}):
        got = [r for r in rows if r["lesson"] == lesson]
        scores = [r["score"] for r in got]
        lines.append(f"| {lesson} | {len(got)} | {sum(scores) / len(scores):.2f} / {got[0]['max_score']:g} "
                     f"| {min(scores):g} | {max(scores):g} |")
    statuses = Counter(r["status"] for r in rows)
    lines += ["", "Submissions by status: " + ", ".join(f"{status} {n}" for status, n in sorted(statuses.items()))]
    if statuses[GRADER_ERROR]:
        lines += [f"**{statuses[GRADER_ERROR]} submission(s) could not be graded because the grader failed** "
                  f"(status `{GRADER_ERROR}`, not the students' doing): grade them again with `--students`."]
    failed = Counter()
    example = {}
    for r in rows:
        for t in r["tests"]:
            if t["status"] != "passed":
                key = f"{r['lesson']}/{t['grade_id']}"
                failed[key] += 1
                lines_ = [ln.strip() for ln in t["message"].splitlines() if ln.strip().startswith(("✗", "-", "not run"))]
                example.setdefault(key, Counter())[(lines_ or [t["message"][:120]])[0]] += 1
    lines += ["", "## Most failed tests", ""]
    for key, count in failed.most_common(10):
        common = "; ".join(f"{m} ({n}×)" for m, n in example[key].most_common(3))
        lines.append(f"- **{key}**: failed by {count} — {common}")
    lines += ["", "## Submissions that errored", ""]
    lines += [f"- {r['student']} / {r['lesson']}: {r['status']}: {' | '.join(r['problems'])}"
              for r in rows if r["status"] != "graded" or r["problems"]] or ["- none"]
    crashed = Counter(err.split(":")[0] for r in rows for err in r.get("cell_errors", []))
    if crashed:
        lines += ["", "Errors raised by students' own cells: "
                  + ", ".join(f"{what} ({n}×)" for what, n in crashed.most_common(8))]
    lines += ["", "## Official score vs nbgrader's raw score", "",
              "The official score (gradebook, grades.csv) is nbgrader's raw score minus points held "
              "for review; release a hold after reading the flagged code.", ""]
    differ = [r for r in rows if r.get("score_note")]
    lines += ["| student | lesson | raw | official | why |", "|---|---|---|---|---|"] if differ else ["- none"]
    lines += [f"| {_cell(r['student'])} | {r['lesson']} | {r.get('raw_score', r['score']):g} | {r['score']:g} "
              f"| {_cell(r['score_note'])} |" for r in differ]
    lines += ["", "## Flagged for manual review", ""]
    for r in rows:
        for flag in r["flags"]:
            lines.append(f"- {r['student']} / {r['lesson']}: `{flag}`")
    if not any(r["flags"] for r in rows):
        lines.append("- none")
    if similar is not None:
        lines += ["", "## Similar answers (for review, never penalised)", ""]
        lines += similarity.markdown(similar) if all(isinstance(p, similarity.Pair) for p in similar) \
            else [f"- {_cell(p)}" for p in similar]
    lms_notes = CourseFolder(course).reports / "lms.txt"
    if lms_notes.is_file():
        lines += ["", "## Grades for the LMS", ""] + [f"- {_cell(line)}" for line in lms_notes.read_text().splitlines()]
    collection = load_collection(course)
    lines += ["", "## Collection", ""]
    lines += [f"- {s.student} / {s.lesson}: {'; '.join(s.notes)}" for s in collection.submissions if s.notes]
    lines += [f"- {p}" for p in collection.problems] or ["- nothing unusual"]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def write(course: Path, similarity_threshold: float = similarity.THRESHOLD) -> Path:
    course = Path(course)
    out = CourseFolder(course).reports
    out.mkdir(exist_ok=True)
    rows = records(course)
    export_csv(course, rows, out)
    if rows:
        plot(rows, out / "scores.png")
    try:  # a review aid: it must never cost the instructor the report
        similar = similarity.write(course, out / "similarity", similarity_threshold)
    except Exception as e:
        similar = [f"the comparison failed ({type(e).__name__}: {str(e)[:200]})"]
    (out / "report.md").write_text(markdown(course, rows, similar), encoding="utf-8", errors="backslashreplace")
    return out
