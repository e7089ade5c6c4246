"""Collect submissions into an nbgrader course folder, reporting everything odd about them.

Sources, as an instructor gets them:
- a zip from an LMS, or a folder, of files named `<student>_<notebook>`, optionally with a
  timestamp: `alice_00_setup.ipynb`, `bob_20261120T101500_00_setup.ipynb` (the shape
  `nbgrader zip_collect` handles; another naming scheme is one --pattern away);
- nbgrader's exchange: folders `<student>+<lesson>+<timestamp>+...` holding the notebook.

Each accepted notebook lands, byte for byte (even when it is not valid JSON), in
`<course>/submitted/<student>/<lesson>/<lesson>.ipynb` with a timestamp.txt. Nothing is dropped
silently: unknown files, wrong notebook names, duplicates (the latest wins) and late submissions
go into `<course>/collection.json`, which grading and the report read.
"""

import datetime as dt
import json
import re
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

DEFAULT_PATTERN = r"(?P<student_id>[A-Za-z0-9.\-]+)_(?:(?P<timestamp>\d{8}T?\d{4,6})_)?(?P<file_id>.+)"
EXCHANGE_DIR = re.compile(r"(?P<student_id>[^+/]+)\+(?P<lesson>[^+/]+)\+(?P<timestamp>[^+/]+)(\+[^/]*)?")
MANIFEST = "collection.json"


@dataclass
class Submission:
    student: str
    lesson: str
    source: str                  # where it came from (zip entry or path)
    timestamp: str | None        # ISO, UTC
    late: bool = False
    notes: list[str] = field(default_factory=list)


@dataclass
class Collection:
    submissions: list[Submission] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # files that were not collected, and why


def _parse_time(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    text = text.strip().replace(" UTC", "")
    for fmt in ("%Y%m%dT%H%M%S", "%Y%m%d%H%M%S", "%Y%m%dT%H%M", "%Y%m%d%H%M"):
        try:
            return dt.datetime.strptime(text, fmt).replace(tzinfo=dt.timezone.utc)
        except ValueError:
            pass
    try:
        t = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


def _candidates(source: Path):
    """(name, timestamp or None, read-bytes function, exchange-match or None) for every file."""
    source = Path(source)
    if source.is_file() and zipfile.is_zipfile(source):
        archive = zipfile.ZipFile(source)
        for info in archive.infolist():
            if info.is_dir():
                continue
            stamp = dt.datetime(*info.date_time, tzinfo=dt.timezone.utc)
            yield info.filename, stamp, (lambda i=info: archive.read(i)), None
        return
    if not source.is_dir():
        raise FileNotFoundError(f"{source}: not a folder or a zip file")
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        relative = path.relative_to(source).as_posix()
        stamp = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc)
        exchange = next((m for part in path.relative_to(source).parts[:-1]
                         if (m := EXCHANGE_DIR.fullmatch(part))), None)
        yield relative, stamp, path.read_bytes, exchange


def _lesson_for(file_name: str, lessons: list[str]) -> tuple[str | None, str | None]:
    """(lesson, note) for a notebook file name: exact, contains a lesson's name, or the only one."""
    if not file_name.endswith(".ipynb"):
        return None, None
    stem = file_name[:-len(".ipynb")]
    if stem in lessons:
        return stem, None
    containing = [lesson for lesson in lessons if lesson in stem]
    if len(containing) == 1:
        return containing[0], f"notebook named {file_name!r}, expected {containing[0]}.ipynb"
    if len(lessons) == 1:
        return lessons[0], f"notebook named {file_name!r}, expected {lessons[0]}.ipynb; graded as {lessons[0]}"
    return None, None


def scan(source: Path, lessons: list[str], pattern: str = DEFAULT_PATTERN,
         deadline: dt.datetime | None = None) -> tuple[Collection, dict]:
    """Decide what each file in `source` is. Returns the collection and {(student, lesson): bytes}."""
    found: dict[tuple[str, str], list[tuple[Submission, bytes]]] = {}
    collection = Collection()
    regex = re.compile(pattern)
    for name, stamp, read, exchange in _candidates(source):
        base = name.rsplit("/", 1)[-1]
        if base.startswith(".") or name.startswith("__MACOSX/") or base == "timestamp.txt":
            if base != "timestamp.txt":
                collection.problems.append(f"{name}: ignored (system file)")
            continue
        if exchange:
            student, file_id = exchange["student_id"], base
            stamp = _parse_time(exchange["timestamp"]) or stamp
        else:
            match = regex.fullmatch(base)
            if not match:
                collection.problems.append(f"{name}: not collected: the file name does not start with "
                                           "a student id (expected <student>_<lesson>.ipynb)")
                continue
            student, file_id = match["student_id"], match["file_id"]
            stamp = _parse_time(match.groupdict().get("timestamp")) or stamp
        lesson, note = _lesson_for(file_id, lessons)
        if lesson is None:
            collection.problems.append(f"{name}: not collected: student {student}, but {file_id!r} "
                                       f"is not a notebook of {', '.join(lessons)}")
            continue
        if exchange and exchange["lesson"] != lesson:
            note = (note or "") + f" (exchange folder says {exchange['lesson']})"
        sub = Submission(student, lesson, name, stamp.isoformat() if stamp else None)
        if note:
            sub.notes.append(note)
        if deadline and stamp and stamp > deadline:
            sub.late = True
            sub.notes.append(f"late by {_duration(stamp - deadline)} (deadline {deadline.isoformat()})")
        found.setdefault((student, lesson), []).append((sub, read()))

    contents = {}
    for key, versions in sorted(found.items()):
        versions.sort(key=lambda v: v[0].timestamp or "")
        sub, data = versions[-1]
        if len(versions) > 1:
            older = ", ".join(v[0].source for v in versions[:-1])
            sub.notes.append(f"duplicate: {len(versions)} submissions, graded the latest ({sub.source}); "
                             f"ignored {older}")
            collection.problems += [f"{v[0].source}: not collected: an older duplicate of {sub.source}"
                                    for v in versions[:-1]]
        collection.submissions.append(sub)
        contents[key] = data
    return collection, contents


def _duration(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 1440} d {minutes % 1440 // 60} h {minutes % 60} min" if minutes >= 1440 \
        else f"{minutes // 60} h {minutes % 60} min"


def collect(source: Path, course: Path, lessons: list[str], pattern: str = DEFAULT_PATTERN,
            deadline: dt.datetime | None = None) -> Collection:
    """Copy the submissions into course/submitted/ and merge what was found into collection.json
    (a later collect of one late student replaces only that student's entries)."""
    collection, contents = scan(source, lessons, pattern, deadline)
    for sub in collection.submissions:
        folder = Path(course) / "submitted" / sub.student / sub.lesson
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{sub.lesson}.ipynb").write_bytes(contents[(sub.student, sub.lesson)])
        if sub.timestamp:
            stamp = dt.datetime.fromisoformat(sub.timestamp).astimezone(dt.timezone.utc)
            (folder / "timestamp.txt").write_text(stamp.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
    old = load(course)
    replaced = {(s.student, s.lesson) for s in collection.submissions}
    merged = Collection(
        [s for s in old.submissions if (s.student, s.lesson) not in replaced] + collection.submissions,
        old.problems + [p for p in collection.problems if p not in old.problems])
    merged.submissions.sort(key=lambda s: (s.lesson, s.student))
    (Path(course) / MANIFEST).write_text(json.dumps(asdict(merged), indent=1))
    return collection


def load(course: Path) -> Collection:
    path = Path(course) / MANIFEST
    if not path.exists():
        return Collection()
    raw = json.loads(path.read_text())
    return Collection([Submission(**s) for s in raw["submissions"]], raw["problems"])
