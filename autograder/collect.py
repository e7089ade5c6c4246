"""Collect submissions into an nbgrader course folder, reporting everything odd about them.

Sources, as an instructor gets them:
- a zip from an LMS, or a folder, of files named the way Canvas, Moodle or Blackboard export
  them, or `<student>[_<timestamp>]_<lesson>.ipynb` (filenames.py reads them; another naming
  scheme is one --pattern away);
- nbgrader's exchange: folders `<student>+<lesson>+<timestamp>+...` holding the notebook.

Each accepted notebook lands, byte for byte (even when it is not valid JSON), in
`<course>/submitted/<student>/<lesson>/<lesson>.ipynb` with a timestamp.txt (and, from the exchange,
nbgrader's submission_secret.txt, the key `nbgrader release_feedback` needs). Nothing is dropped
silently: unknown files, names that cannot be read without guessing, duplicates (the latest
wins), two people with one name and late submissions go into `<course>/collection.json`, which
grading and the report read.
"""

import datetime as dt
import json
import os
import pwd
import re
import stat
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import filenames, files
from .course import CourseFolder

EXCHANGE_FILES = ("timestamp.txt", "submission_secret.txt")  # nbgrader's own, next to the notebook
EXCHANGE_DIR = re.compile(r"(?P<student_id>[^+/]+)\+(?P<lesson>[^+/]+)\+(?P<timestamp>[^+/]+)(\+[^/]*)?")
MANIFEST = "collection.json"
WRITE_SLACK = dt.timedelta(minutes=5)  # nbgrader submit names the folder, then copies the files


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


def _parse_time(text: str | None, zone: dt.tzinfo = dt.timezone.utc) -> dt.datetime | None:
    """A time as LMSs and nbgrader write it; one that names no zone is in `zone`."""
    if not text:
        return None
    text = text.strip()
    if text.endswith(" UTC"):
        text, zone = text[:-len(" UTC")], dt.timezone.utc
    for fmt in ("%Y%m%dT%H%M%S", "%Y%m%d%H%M%S", "%Y%m%dT%H%M", "%Y%m%d%H%M", "%Y-%m-%d-%H-%M-%S"):
        try:
            return dt.datetime.strptime(text, fmt).replace(tzinfo=zone)
        except ValueError:
            pass
    try:
        t = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=zone)


def local_zone() -> dt.tzinfo:
    """This machine's time zone: what a zip made here writes its local file times in."""
    return dt.datetime.now().astimezone().tzinfo


def read_timestamps(path: Path, zone: dt.tzinfo = dt.timezone.utc) -> dict:
    """The submission times an LMS reported, from a CSV with `submitted_at` and either `file`
    (the exported file's name) or `student` and `lesson`: {file name or (student, lesson): time}."""
    import csv

    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    if not rows or "submitted_at" not in rows[0] or not ({"file"} <= rows[0].keys()
                                                         or {"student", "lesson"} <= rows[0].keys()):
        raise ValueError(f"{path}: a timestamps file needs a submitted_at column and either a file column "
                         "(the exported file's name) or student and lesson columns")
    times = {}
    for n, row in enumerate(rows, start=2):
        stamp = _parse_time(row["submitted_at"], zone)
        if stamp is None:
            raise ValueError(f"{path}, line {n}: {row['submitted_at']!r} is not a time (write ISO 8601, "
                             "e.g. 2026-11-20T23:59:00+01:00)")
        key = row["file"].strip() if row.get("file") else (row["student"].strip(), row["lesson"].strip())
        times[key] = stamp
    return times


def _candidates(source: Path, zone: dt.tzinfo, problems: list[str]):
    """(name, timestamp or None, read-bytes function, exchange-match or None) for every file.
    A zip stores its files' local times without a zone: they are read in `zone`. In a folder,
    links and special files are never read (each goes into `problems`), and an exchange folder's
    files are read only if the folder and the file belong to the student's account
    (_exchange_file; `read` raises files.Unreadable otherwise)."""
    source = Path(source)
    if source.is_file() and zipfile.is_zipfile(source):
        archive = zipfile.ZipFile(source)
        for info in archive.infolist():
            if info.is_dir():
                continue
            stamp = dt.datetime(*info.date_time, tzinfo=zone)
            yield info.filename, stamp, (lambda i=info: archive.read(i)), None
        return
    if not source.is_dir():
        raise FileNotFoundError(f"{source}: not a folder or a zip file")
    for path in sorted(p for p in source.rglob("*") if p.is_symlink() or not p.is_dir()):
        relative = path.relative_to(source).as_posix()
        info = path.lstat()
        if not stat.S_ISREG(info.st_mode):
            problems.append(f"{relative}: not collected: {'a link' if path.is_symlink() else 'not a regular file'}")
            continue
        parts = path.relative_to(source).parts
        where = next((i for i, part in enumerate(parts[:-1]) if EXCHANGE_DIR.fullmatch(part)), None)
        if where is None:
            stamp = dt.datetime.fromtimestamp(info.st_mtime, dt.timezone.utc)
            yield relative, stamp, (lambda p=path: files.read_bytes(p)), None
            continue
        exchange = EXCHANGE_DIR.fullmatch(parts[where])
        # when it was last written: ctime, which no account can set (mtime can be)
        stamp = dt.datetime.fromtimestamp(max(info.st_mtime, info.st_ctime), dt.timezone.utc)
        parent, inner, student = source.joinpath(*parts[:where]), parts[where:], exchange["student_id"]
        yield relative, stamp, (lambda a=parent, i=inner, s=student: _exchange_file(a, i, s)[0]), exchange


def _exchange_owner(student: str) -> int:
    """The uid an exchange folder of `student` must have: the student's account (nbgrader submit
    runs as the student); with no such account, only the collecting user's own copy is trusted."""
    try:
        return pwd.getpwnam(student).pw_uid
    except KeyError:
        return os.geteuid()


def _exchange_file(parent: Path, parts: tuple[str, ...], student: str,
                   limit_mb: int = files.MAX_NOTEBOOK_MB) -> tuple[bytes, os.stat_result]:
    """A file of an exchange folder (parts[0]) under `parent`: every folder on the way and the file
    itself opened without following links and owned by the student."""
    owner = _exchange_owner(student)
    fd = files.open_folder(parent / parts[0], owner=owner)
    try:
        for part in parts[1:-1]:
            inner = files.open_folder(part, dir_fd=fd, owner=owner)
            os.close(fd)
            fd = inner
        return files.read_file(parts[-1], limit_mb, dir_fd=fd, owner=owner)
    finally:
        os.close(fd)


def scan(source: Path, lessons: list[str], pattern: str | None = None,
         deadline: dt.datetime | None = None, times_from: str = "lms", zone: dt.tzinfo | None = None,
         timestamps: dict | None = None) -> tuple[Collection, dict]:
    """Decide what each file in `source` is. Returns the collection and {(student, lesson): bytes}.

    Submission times come from what the LMS says: a time in the file name (Blackboard, nbgrader),
    the exchange folder, or `timestamps` (read_timestamps); Canvas's `late` marker makes a file
    late whatever its time. File and zip times only with times_from="files" (zip times are local
    times, read in `zone`, by default this machine's). Times without a zone are in `zone` (UTC
    if none is given)."""
    found: dict[tuple[str, str], list[tuple[Submission, bytes, str | None]]] = {}
    collection = Collection()
    regex = re.compile(pattern) if pattern else None
    named_zone = zone or dt.timezone.utc
    zip_zone = zone or local_zone()
    lms_judged = set()  # Canvas-named files: no time, but Canvas marks the late ones, so the rest are on time
    if times_from == "files" and Path(source).is_file():
        collection.problems.append(f"submission times are the zip's file times, read as local time in "
                                   f"{_zone_name(zip_zone)} (--timezone to change)")
    for name, stamp, read, exchange in _candidates(source, zip_zone, collection.problems):
        file_time = stamp if times_from == "files" else None
        base = name.rsplit("/", 1)[-1]
        if base.startswith(".") or name.startswith("__MACOSX/") or base in EXCHANGE_FILES:
            if base not in EXCHANGE_FILES:
                collection.problems.append(f"{name}: ignored (system file)")
            continue
        if exchange:
            parsed = filenames.Parsed(filenames.student_id(exchange["student_id"]), None)
            parsed.lesson, note = filenames.find_lesson(base, lessons)
            parsed.notes += [note] if note else []
            if parsed.lesson is None:
                parsed.problem = f"student {parsed.student}, but {base!r} is not a notebook of {', '.join(lessons)}"
            elif exchange["lesson"] != parsed.lesson:
                parsed.notes.append(f"the exchange folder says {exchange['lesson']}")
            named = _parse_time(exchange["timestamp"], named_zone)
            if named and stamp > named + WRITE_SLACK:  # dated before, written after: when it was written
                parsed.notes.append(f"written {stamp.isoformat()}, after the time its exchange folder "
                                    f"gives ({named.isoformat()}): dated from when it was written")
            elif named:
                stamp = named
        else:
            parsed = filenames.parse(base, lessons, regex)
            stamp = (_parse_time(parsed.timestamp, named_zone)
                     or (timestamps or {}).get(base) or (timestamps or {}).get((parsed.student, parsed.lesson))
                     or file_time)
        if parsed.problem:
            collection.problems.append(f"{name}: not collected: {parsed.problem}")
            continue
        sub = Submission(parsed.student, parsed.lesson, name, stamp.isoformat() if stamp else None,
                         notes=list(parsed.notes))
        if deadline and stamp and stamp > deadline:
            sub.late = True
            sub.notes.append(f"late by {_duration(stamp - deadline)} (deadline {deadline.isoformat()})")
        if "Canvas marked it late" in sub.notes:  # the LMS knows its deadline (and extensions)
            sub.late = True
        if not exchange and regex is None and _canvas_named(base):
            lms_judged.add(name)
        try:
            data = read()
        except files.Unreadable as e:  # a link swapped in, or someone else's folder under this name
            collection.problems.append(f"{name}: not collected: {e}")
            continue
        found.setdefault((sub.student, sub.lesson), []).append((sub, data, parsed.account))

    contents = {}
    for (student, lesson), versions in sorted(found.items()):
        for key, group in _by_person(student, lesson, versions, collection).items():
            group.sort(key=lambda v: v[0].timestamp or "")
            sub, data, _ = group[-1]
            sub.student = key[0]
            if len(group) > 1:
                older = ", ".join(v[0].source for v in group[:-1])
                sub.notes.append(f"duplicate: {len(group)} submissions, graded the latest ({sub.source}); "
                                 f"ignored {older}")
                collection.problems += [f"{v[0].source}: not collected: an older duplicate of {sub.source}"
                                        for v in group[:-1]]
            collection.submissions.append(sub)
            contents[key] = data
    collection.problems += _lateness_warnings(collection.submissions, deadline, lms_judged)
    return collection, contents


def _canvas_named(base: str) -> bool:
    return bool(filenames.CANVAS.fullmatch(base)) and not filenames.MOODLE.fullmatch(base) \
        and not filenames.BLACKBOARD.fullmatch(base)


def _lateness_warnings(submissions: list[Submission], deadline: dt.datetime | None,
                       lms_judged: set[str]) -> list[str]:
    """A batch where everyone is late is more likely a wrong deadline, zone or time source."""
    warnings = []
    for lesson in sorted({s.lesson for s in submissions}):
        batch = [s for s in submissions if s.lesson == lesson]
        if len(batch) > 1 and all(s.late for s in batch):
            warnings.append(f"WARNING: all {len(batch)} submissions of {lesson} look late: check the deadline, "
                            "its time zone (--timezone) and where the times come from (--times-from, --timestamps)")
        unknown = [s for s in batch if s.timestamp is None and not s.late and s.source not in lms_judged]
        if deadline and unknown:
            warnings.append(f"{len(unknown)} submission(s) of {lesson} have no submission time, so their "
                            "lateness is unknown: give the LMS's times with --timestamps FILE, or use the "
                            "files' times with --times-from files")
    return warnings


def _zone_name(zone: dt.tzinfo) -> str:
    return str(getattr(zone, "key", None) or dt.datetime.now(zone).tzname())


def _by_person(student: str, lesson: str, versions: list, collection: Collection) -> dict:
    """Files that share a student id but carry different LMS account numbers (two people named
    Jane Doe in Moodle) are two students: each gets the number appended, and the report says so."""
    accounts = {account for _, _, account in versions}
    if len(accounts) <= 1:
        return {(student, lesson): versions}
    groups = {}
    for version in versions:
        groups.setdefault((f"{student}_{version[2]}", lesson), []).append(version)
    collection.problems.append(
        f"{len(accounts)} different students are named {student!r} for {lesson} (LMS numbers "
        f"{', '.join(sorted(map(str, accounts)))}): collected as {', '.join(k[0] for k in groups)}")
    return groups


def _duration(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 1440} d {minutes % 1440 // 60} h {minutes % 60} min" if minutes >= 1440 \
        else f"{minutes // 60} h {minutes % 60} min"


def collect(source: Path, course: Path, lessons: list[str], pattern: str | None = None,
            deadline: dt.datetime | None = None, times_from: str = "lms", zone: dt.tzinfo | None = None,
            timestamps: dict | None = None) -> Collection:
    """Copy the submissions into course/submitted/ and merge what was found into collection.json
    (a later collect of one late student replaces only that student's entries)."""
    collection, contents = scan(source, lessons, pattern, deadline, times_from, zone, timestamps)
    for sub in collection.submissions:
        notebook = CourseFolder(course).submission(sub.student, sub.lesson)
        folder = notebook.parent
        folder.mkdir(parents=True, exist_ok=True)
        notebook.write_bytes(contents[(sub.student, sub.lesson)])
        if sub.timestamp:
            stamp = dt.datetime.fromisoformat(sub.timestamp).astimezone(dt.timezone.utc)
            (folder / "timestamp.txt").write_text(stamp.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
        secret = Path(source) / Path(sub.source).parent / "submission_secret.txt"
        if Path(source).is_dir() and (exchange := EXCHANGE_DIR.fullmatch(secret.parent.name)):
            try:  # nbgrader's key for returning feedback through the exchange (release_feedback)
                data, _ = _exchange_file(secret.parent.parent, (secret.parent.name, secret.name),
                                         exchange["student_id"], limit_mb=1)
                (folder / secret.name).write_bytes(data)
            except files.Unreadable:
                pass
    old = load(course)
    replaced = {(s.student, s.lesson) for s in collection.submissions}
    merged = Collection(
        [s for s in old.submissions if (s.student, s.lesson) not in replaced] + collection.submissions,
        old.problems + [p for p in collection.problems if p not in old.problems])
    merged.submissions.sort(key=lambda s: (s.lesson, s.student))
    Path(course).mkdir(parents=True, exist_ok=True)  # (nothing collected: the problems still are)
    (Path(course) / MANIFEST).write_text(json.dumps(asdict(merged), indent=1))
    return collection


def load(course: Path) -> Collection:
    path = Path(course) / MANIFEST
    if not path.exists():
        return Collection()
    raw = json.loads(path.read_text())
    return Collection([Submission(**s) for s in raw["submissions"]], raw["problems"])
