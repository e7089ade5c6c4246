"""Grades back into the LMS: the roster, and the files Canvas, Moodle or a spreadsheet import.

- **Canvas**: the gradebook CSV the instructor exported (Student, ID, SIS User ID, SIS Login ID,
  Section, one column per assignment, a "Points Possible" row) comes back filled in, with only
  the identifying columns and the lessons' columns (Canvas ignores what is not there, and creates
  an assignment for a lesson column it does not know). Students are matched by Canvas's user ID,
  which Canvas writes in every submission's file name (`name_userid_...`: collected as
  `name_userid`).
- **Moodle**: its grade export (First name, Last name, an identifier column such as Email address
  or ID number, the grade items) gives the roster; the import file is the identifier column and
  one column per lesson. Moodle's file names carry the full name, which is what is matched.
- **csv**: a plain wide table, one row per student, one column per lesson, a total over the
  lessons graded so far.

Every enrolled student is a row: a lesson without a submission is left blank in an import file
("missing" in the wide table), or 0 with `missing="zero"`. Submitters who are not on the roster
are reported, never dropped silently.
"""

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

CANVAS_IDS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_IDS = ("Email address", "ID number", "Username")
ASSIGNMENT_ID = re.compile(r"\s*\(\d+\)\s*$")  # Canvas: "00_setup (4711)"
MOODLE_ITEM = re.compile(r"^\s*(?:Assignment|Quiz|Manual item)\s*:\s*(.*?)\s*(?:\((?:Real|Percentage|Letter)\))?\s*$",
                         re.IGNORECASE)


class RosterError(ValueError):
    """A roster or export file that cannot be read as what it claims to be."""


@dataclass
class Person:
    key: str                     # what a submission's student id is matched with
    first: str = ""
    last: str = ""
    email: str = ""
    row: dict = field(default_factory=dict)  # the export's own row, written back as it was

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}".strip()


@dataclass
class Roster:
    kind: str                    # canvas | moodle | csv
    people: list[Person]
    header: list[str] = field(default_factory=list)
    meta_rows: list[dict] = field(default_factory=list)  # Canvas's "Points Possible" and the like
    id_column: str = ""

    def match(self, student: str) -> list[Person]:
        """The roster entries a collected student id belongs to."""
        if self.kind == "canvas":
            user = re.search(r"_(\d+)$", student)
            return [p for p in self.people if user and p.key == user[1]]
        if self.kind == "moodle":  # "Jane Doe", or "Jane Doe_11" when two people share a name
            name = re.sub(r"_\d+$", "", student).casefold()
            return [p for p in self.people if p.key == name]
        return [p for p in self.people if p.key == student]


def spreadsheet_safe(text: str) -> str:
    """A cell a spreadsheet shows as text: student ids come from file names a student chose, and
    one starting with = + - @ would be run as a formula when the instructor opens the CSV."""
    text = str(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _rows(path: Path) -> list[list[str]]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            return [row for row in csv.reader(f) if any(cell.strip() for cell in row)]
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise RosterError(f"{path}: cannot read it as a CSV file ({e})") from e


def _split_name(full: str) -> tuple[str, str]:
    """(first, last) of "Last, First" (Canvas) or "First Last"."""
    if "," in full:
        last, first = (part.strip() for part in full.split(",", 1))
        return first, last
    first, _, last = full.strip().rpartition(" ")
    return (first, last) if first else (last, "")


def read_canvas(path: Path) -> Roster:
    rows = _rows(path)
    if not rows or not set(CANVAS_IDS) <= {h.strip() for h in rows[0]}:
        raise RosterError(f"{path}: not a Canvas gradebook export (its first row should have the columns "
                          f"{', '.join(CANVAS_IDS)}); download it from Canvas: Grades > Export > CSV")
    header = [h.strip() for h in rows[0]]
    roster = Roster("canvas", [], header, id_column="ID")
    for values in rows[1:]:
        row = dict(zip(header, values + [""] * (len(header) - len(values))))
        if not row["ID"].strip().isdigit():  # "Points Possible", "Muted" and other rows about columns
            roster.meta_rows.append(row)
            continue
        first, last = _split_name(row["Student"])
        roster.people.append(Person(row["ID"].strip(), first, last, row.get("SIS Login ID", ""), row))
    return roster


def read_moodle(path: Path, id_column: str | None = None) -> Roster:
    rows = _rows(path)
    header = [h.strip() for h in rows[0]] if rows else []
    if not {"First name", "Last name"} <= set(header):
        raise RosterError(f"{path}: not a Moodle grade export (it needs the columns First name and Last name); "
                          "export it from Moodle: Grades > Export > Plain text file")
    id_column = id_column or next((c for c in MOODLE_IDS if c in header), None)
    if id_column not in header:
        raise RosterError(f"{path}: no identifier column ({id_column or ' / '.join(MOODLE_IDS)}) for Moodle's import "
                          "to match students by; export it with one, or name it with --id-column")
    roster = Roster("moodle", [], header, id_column=id_column)
    for values in rows[1:]:
        row = dict(zip(header, values))
        first, last = row.get("First name", "").strip(), row.get("Last name", "").strip()
        roster.people.append(Person(f"{first} {last}".strip().casefold(), first, last,
                                    row.get("Email address", ""), row))
    return roster


def read_roster(path: Path) -> Roster:
    """A plain roster: a `student` column (the id as collect names the student) and optionally
    first_name, last_name, email."""
    rows = _rows(path)
    header = [h.strip() for h in rows[0]] if rows else []
    if "student" not in header:
        raise RosterError(f"{path}: a roster needs a 'student' column holding each student's id as collect "
                          "names them (see collection.json), and may have first_name, last_name, email")
    people = []
    for values in rows[1:]:
        row = dict(zip(header, values))
        people.append(Person(row["student"].strip(), row.get("first_name", "").strip(),
                             row.get("last_name", "").strip(), row.get("email", "").strip(), row))
    return Roster("csv", people, header, id_column="student")


@dataclass
class Matched:
    scores: dict[tuple[str, str], tuple[float, float]]   # (roster key, lesson) -> (score, max)
    unknown: list[str]            # submitters on no roster row
    ambiguous: list[str]          # submitters that fit several roster rows
    names: dict[str, Person]      # collected student id -> the roster's person


def match(roster: Roster, records: list[dict]) -> Matched:
    result = Matched({}, [], [], {})
    for r in records:
        people = roster.match(r["student"])
        if len(people) == 1:
            result.names[r["student"]] = people[0]
            result.scores[people[0].key, r["lesson"]] = (r["score"], r["max_score"])
        elif people:
            result.ambiguous.append(r["student"])
        else:
            result.unknown.append(r["student"])
    result.unknown = sorted(set(result.unknown))
    result.ambiguous = sorted(set(result.ambiguous))
    return result


def _column(header: list[str], lesson: str, moodle: bool = False) -> str | None:
    """The export's column for a lesson: its name (Canvas adds " (id)", Moodle "Assignment: ... (Real)")."""
    def bare(h):
        if moodle and (m := MOODLE_ITEM.match(h)):
            return m[1]
        return ASSIGNMENT_ID.sub("", h)
    exact = [h for h in header if bare(h).strip().casefold() == lesson.casefold()]
    return exact[0] if exact else None


def _score(got: tuple[float, float] | None, missing: str) -> str:
    if got is None:
        return "0" if missing == "zero" else ""
    return f"{got[0]:g}"


def import_file(roster: Roster, matched: Matched, lessons: list[str], max_points: dict[str, float],
                out: Path, missing: str = "blank") -> Path:
    """The file the LMS imports: its identifying columns, then one column per lesson."""
    moodle = roster.kind == "moodle"
    columns = {lesson: _column(roster.header, lesson, moodle) or lesson for lesson in lessons}
    ids = CANVAS_IDS if roster.kind == "canvas" else [roster.id_column]
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(ids + list(columns.values()))
        for meta in roster.meta_rows:  # Canvas: "Points Possible" goes right under the header
            points = "Points Possible" in meta.get("Student", "")
            w.writerow([meta.get(c, "") for c in ids]
                       + [meta.get(columns[lesson]) or (f"{max_points.get(lesson, 0):g}" if points else "")
                          for lesson in lessons])
        if roster.kind == "canvas" and not any("Points Possible" in m.get("Student", "") for m in roster.meta_rows):
            w.writerow(["    Points Possible"] + [""] * (len(ids) - 1) + [f"{max_points.get(lesson, 0):g}" for lesson in lessons])
        for person in roster.people:
            w.writerow([person.row.get(c, "") for c in ids]
                       + [_score(matched.scores.get((person.key, lesson)), missing) for lesson in lessons])
    return out


def wide_csv(roster: Roster | None, records: list[dict], lessons: list[str], max_points: dict[str, float],
             out: Path, missing: str = "blank") -> Path:
    """One row per student (every roster entry, then submitters not on it), one column per lesson."""
    by = {(r["student"], r["lesson"]): (r["score"], r["max_score"]) for r in records}
    rows: list[tuple[str, str, str, dict, str]] = []  # student, first, last, {lesson: score}, note
    if roster is not None:
        matched = match(roster, records)
        students = {}
        for student, person in matched.names.items():
            students.setdefault(person.key, []).append(student)
        for person in roster.people:
            rows.append((", ".join(students.get(person.key, [])) or person.key, person.first, person.last,
                         {lesson: matched.scores.get((person.key, lesson)) for lesson in lessons}, ""))
        strays = matched.unknown + matched.ambiguous
    else:
        strays = sorted({r["student"] for r in records})
    for student in strays:
        first, last = _split_name(student) if " " in student else ("", "")
        rows.append((student, first, last, {lesson: by.get((student, lesson)) for lesson in lessons},
                     "not on the roster" if roster is not None else ""))
    total_max = sum(max_points.get(lesson, 0) for lesson in lessons)
    with open(out, "w", newline="", encoding="utf-8", errors="backslashreplace") as f:
        w = csv.writer(f)
        w.writerow(["student", "first_name", "last_name", *lessons, "total", "max_total", "note"])
        for student, first, last, got, note in rows:
            cells = [_score(got[lesson], missing) or "missing" for lesson in lessons]
            total = sum(got[lesson][0] for lesson in lessons if got[lesson] is not None)
            w.writerow([spreadsheet_safe(student), spreadsheet_safe(first), spreadsheet_safe(last), *cells,
                        f"{total:g}", f"{total_max:g}", note])
    return out


def names_for_gradebook(roster: Roster | None, records: list[dict]) -> dict[str, tuple[str, str, str]]:
    """{collected student id: (first, last, email)}: the roster's names, else a Moodle-style
    "First Last" id split at its last space."""
    names = {}
    matched = match(roster, records).names if roster is not None else {}
    for student in sorted({r["student"] for r in records}):
        person = matched.get(student)
        if person is not None:
            names[student] = (person.first, person.last, person.email)
        elif " " in student:
            first, last = _split_name(re.sub(r"_\d+$", "", student))
            names[student] = (first, last, "")
    return names
