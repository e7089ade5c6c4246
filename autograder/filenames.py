"""Who handed a file in, and for which lesson, from the name an LMS gave it.

Every LMS keeps the student's own file name at the end, so the lesson is read from the end and
the student from what comes before it, in the first of these shapes that fits:

| shape | example | student id |
|---|---|---|
| Moodle | `Jane Doe_4711_assignsubmission_file_00_setup.ipynb` | `Jane Doe` |
| Blackboard | `Lesson0_jane_doe_attempt_2026-11-20-10-00-00_00_setup.ipynb` | `jane_doe` |
| Canvas | `doejane_LATE_4711_90210_00_setup-1.ipynb` | `doejane_4711` |
| plain (ours, nbgrader's) | `jane_doe_00_setup.ipynb`, `jane_doe_20261120T101500_00_setup.ipynb` | `jane_doe` |

Ids keep their underscores, spaces, accents and digits. `--pattern` (a regex with groups
student_id and file_id, optionally timestamp) replaces the shapes for any other export.
A name that cannot be read without guessing is refused with a reason, never read as a guess.
"""

import re
import unicodedata
from dataclasses import dataclass, field

MOODLE = re.compile(r"(?P<student>.+?)_(?P<participant>\d+)_assignsubmission_file_?(?P<file>.+)")
# The assignment name is the first segment (Blackboard writes it without underscores); the
# username may have underscores of its own: `_attempt_<date>_` anchors its end.
BLACKBOARD = re.compile(r"(?P<assignment>[^_]+)_(?P<student>.+?)_attempt_"
                        r"(?P<timestamp>\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2})_?(?P<file>.+)")
CANVAS = re.compile(r"(?P<name>[^_]+?)(?P<late>_late)?_(?P<user>\d+)_(?P<submission>\d+)_(?P<file>.+)",
                    re.IGNORECASE)
PLAIN_TIMESTAMP = re.compile(r"(?P<student>.+?)_(?P<timestamp>\d{8}T?\d{4,6})")
# What browsers, JupyterLab and LMSs append to a file name they copy: " (1)", "-Copy1", "-1".
COPY_SUFFIX = re.compile(r"(?:[ _]?\(\d+\)|-?copy\d*|-\d+)+$", re.IGNORECASE)
# Characters that break a path, nbgrader's globs, its comma-separated lists or its exchange's '+'.
UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|+\[\],]")


@dataclass
class Parsed:
    student: str | None          # None: refused (see `problem`)
    lesson: str | None
    timestamp: str | None = None  # as written in the name
    account: str | None = None    # the LMS's own number for the student, where the name has one
    notes: list[str] = field(default_factory=list)
    problem: str | None = None


def student_id(raw: str) -> str:
    """An id nbgrader can use as a folder and a glob: the name as written, with characters that
    would break a path, a glob or nbgrader's comma-separated lists replaced by '-'."""
    text = unicodedata.normalize("NFC", raw)
    text = UNSAFE.sub("-", text)
    return re.sub(r"\s+", " ", text).strip(" .-")


def find_lesson(file_name: str, lessons: list[str]) -> tuple[str | None, str | None]:
    """(lesson, note): the lesson a student's own file name is for. Exact, or the name ends with
    a lesson after a copy suffix is dropped, or it contains exactly one lesson's name; letter
    case aside (`01_Attention.ipynb` is 01_attention)."""
    if not file_name.lower().endswith(".ipynb"):
        return None, None
    stem = file_name[:-len(".ipynb")]
    if stem in lessons:
        return stem, None
    plain = COPY_SUFFIX.sub("", stem).rstrip(" _-").casefold()
    ends = [lesson for lesson in lessons if plain.endswith(lesson.casefold())]
    if ends:
        lesson = max(ends, key=len)
        return lesson, f"notebook named {file_name!r}, graded as {lesson}.ipynb"
    containing = [lesson for lesson in lessons if lesson.casefold() in stem.casefold()]
    if len(containing) == 1:
        return containing[0], f"notebook named {file_name!r}, graded as {containing[0]}.ipynb"
    return None, None


def _split_plain(stem: str, lessons: list[str]) -> tuple[str, str] | None:
    """(student part, lesson) of `<student>[_<timestamp>]_<lesson><copy suffix>`, the lesson taken
    from the end."""
    plain = COPY_SUFFIX.sub("", stem).rstrip(" _-")
    for lesson in sorted(lessons, key=len, reverse=True):
        if plain.casefold().endswith(lesson.casefold()) and plain.casefold() != lesson.casefold():
            head = plain[:-len(lesson)]
            if head.endswith(("_", "-", " ")):
                return head.rstrip("_- "), lesson
    return None


def parse(base: str, lessons: list[str], pattern: re.Pattern | None = None) -> Parsed:
    """Read one file name (no folder). Always returns; a refusal says why in `problem`."""
    if pattern is not None:
        match = pattern.fullmatch(base)
        if not match:
            return Parsed(None, None, problem="the file name does not match --pattern")
        file_id = match["file_id"]
        if base.lower().endswith(".ipynb") and not file_id.lower().endswith(".ipynb"):
            file_id += ".ipynb"  # a pattern may leave the extension out of file_id
        return _with_lesson(match["student_id"], file_id, lessons,
                            match.groupdict().get("timestamp"), known=True)
    for lms, regex in (("Moodle", MOODLE), ("Blackboard", BLACKBOARD), ("Canvas", CANVAS)):
        match = regex.fullmatch(base)
        if not match:
            continue
        if lms == "Canvas":
            raw, stamp = f"{match['name']}_{match['user']}", None
        else:
            raw, stamp = match["student"], match.groupdict().get("timestamp")
        parsed = _with_lesson(raw, match["file"], lessons, stamp, known=True)
        parsed.account = match.groupdict().get("participant") or match.groupdict().get("user")
        if lms == "Canvas" and match["late"]:
            parsed.notes.append("Canvas marked it late")
        return parsed
    if not base.lower().endswith(".ipynb"):
        return Parsed(None, None, problem="not a notebook (.ipynb)")
    split = _split_plain(base[:-len(".ipynb")], lessons)
    if split is None:
        return Parsed(None, None, problem=(
            "cannot tell the student from the lesson: the name should end with the lesson "
            f"({' or '.join(lessons[:3])}{', ...' if len(lessons) > 3 else ''}) after "
            "<student>_, or have an LMS's shape; use --pattern for another export"))
    head, lesson = split
    stamp = None
    match = PLAIN_TIMESTAMP.fullmatch(head)
    if match:
        head, stamp = match["student"], match["timestamp"]
    parsed = _with_lesson(head, f"{lesson}.ipynb", lessons, stamp, known=False)
    copy = COPY_SUFFIX.search(base[:-len(".ipynb")])
    if copy and parsed.student:
        parsed.notes.append(f"notebook named {base!r}, graded as {lesson}.ipynb")
    return parsed


def _with_lesson(raw: str, file_name: str, lessons: list[str], stamp, known: bool) -> Parsed:
    student = student_id(raw)
    if not student:
        return Parsed(None, None, problem=f"no student id in the name (read {raw!r} as the id)")
    lesson, note = find_lesson(file_name, lessons)
    notes = [note] if note else []
    if lesson is None and known and len(lessons) == 1 and file_name.lower().endswith(".ipynb"):
        lesson = lessons[0]  # the LMS says who it is; the student renamed the notebook
        notes.append(f"notebook named {file_name!r}, graded as {lesson}.ipynb (the only lesson collected)")
    if lesson is None:
        return Parsed(None, None, problem=f"student {student}, but {file_name!r} is not a notebook of "
                                          f"{', '.join(lessons)}")
    if student != raw:
        notes.append(f"student id {raw!r} written as {student!r} (characters a folder name cannot hold)")
    return Parsed(student, lesson, stamp, notes=notes)
