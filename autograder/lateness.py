"""Late submissions: each lesson's deadline and late policy, and the penalty in the official score.

`collect --deadline ... --late-policy ...` stores them in <course>/deadlines.json and writes the
deadline into nbgrader's gradebook as the lesson's due date. Policies:

- `none` (default): late work is flagged, never penalised;
- `nbgrader`: nbgrader's own late penalty (its LateSubmissionPlugin's "zero"): a late submission
  scores 0;
- `per-day:P`: P % of the lesson's points off per started day late, never below 0. A submission
  the LMS marked late without a time (Canvas) counts as one day late, and the note says so.

The penalty is written where nbgrader keeps it (the submission's late penalty, which formgrader and
`nbgrader export` show) and taken off the official score in the record, grades.csv, the LMS
export and the feedback page; `apply` recomputes it from the gradebook, so it can run any number
of times (after grading, after release-hold, with a changed policy).
"""

import datetime as dt
import json
import math
import re
from dataclasses import asdict
from pathlib import Path

from . import gradebook, holds, record
from .collect import MANIFEST, load as load_collection

FILE = "deadlines.json"
NOTE = "late penalty: "
PER_DAY = re.compile(r"per-day:(\d+(?:\.\d+)?)")


def check_policy(text: str) -> str:
    if text in ("none", "nbgrader") or ((m := PER_DAY.fullmatch(text)) and 0 < float(m[1]) <= 100):
        return text
    raise ValueError(f"late policy {text!r}: use none, nbgrader (a late submission scores 0) or "
                     "per-day:P (P % of the points off per started day late, 0 < P <= 100)")


def save(course: Path, lessons: list[str], deadline: dt.datetime | None, policy: str | None) -> None:
    """Set these lessons' deadline and policy; what is not given stays as an earlier collect set it
    (collecting one late student again changes nothing else)."""
    if deadline is None and policy is None:
        return
    path = Path(course) / FILE
    known = load(course)
    for lesson in lessons:
        entry = known.setdefault(lesson, {"policy": "none"})
        if deadline is not None:
            entry["deadline"] = deadline.isoformat()
            gradebook.set_duedate(course, lesson, deadline.astimezone(dt.timezone.utc).replace(tzinfo=None))
        if policy is not None:
            entry["policy"] = check_policy(policy)
    path.write_text(json.dumps(known, indent=1))


def load(course: Path) -> dict:
    path = Path(course) / FILE
    return json.loads(path.read_text()) if path.is_file() else {}


def penalty(policy: str, score: float, max_score: float, late: bool,
            seconds_late: float | None) -> tuple[float, str]:
    """(points off, why) for one submission."""
    if not late or policy == "none":
        return 0.0, ""
    if policy == "nbgrader":
        return score, "late: scores 0 (late policy: nbgrader's penalty)"
    percent = float(PER_DAY.fullmatch(policy)[1])
    days = max(1, math.ceil(seconds_late / 86400)) if seconds_late else 1
    off = min(score, round(max_score * percent / 100 * days, 6))
    known = "" if seconds_late else " (marked late by the LMS, no time: counted as 1 day)"
    return off, f"late {days} day(s): -{off:g} point(s) (late policy: {percent:g} % per day){known}"


def apply(course: Path) -> int:
    """Put each lesson's late policy into the gradebook and the records; returns how many
    submissions lost points."""
    course = Path(course)
    rules = load(course)
    if not rules:
        return 0
    collection = load_collection(course)
    collected = {(s.student, s.lesson): s for s in collection.submissions}
    penalised = 0
    for rec in record.load_all(course):
        rule = rules.get(rec.lesson)
        sub = collected.get((rec.student, rec.lesson))
        if rule is None or sub is None or rec.status in ("missing", "refused"):
            continue
        seconds = None
        if rule.get("deadline") and sub.timestamp:
            seconds = (dt.datetime.fromisoformat(sub.timestamp) - dt.datetime.fromisoformat(rule["deadline"])).total_seconds()
        try:
            before = gradebook.scores(course, rec.lesson)[rec.student][0]
        except KeyError:
            continue
        off, why = penalty(rule.get("policy", "none"), before, rec.max_score, sub.late, seconds)
        gradebook.set_late_penalty(course, rec.student, rec.lesson, off)
        rec.score = before
        rec.score_note = holds.explain(rec)
        rec.score = max(0.0, before - off)
        sub.notes = [n for n in sub.notes if not n.startswith(NOTE)]  # the feedback page shows these
        if off:
            rec.score_note = "; ".join(n for n in (rec.score_note, why) if n)
            sub.notes.append(f"{NOTE}{why}")
            penalised += 1
        rec.save(course)
    (course / MANIFEST).write_text(json.dumps(asdict(collection), indent=1))
    return penalised
