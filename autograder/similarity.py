"""Similar answers, for an instructor to review: never a penalty, never a verdict.

Per lesson, every student's code cells are reduced to fingerprints (winnowing, as MOSS does):
Python tokens with comments dropped, local names and string contents normalised (so renamed
variables do not hide a copy), hashed in k-token windows, and the smallest hash of each window
kept. Fingerprints of the release (the stub and the code given to everyone) are removed, and so
are those most of the class shares (common idioms), so students who all started from the same
stub are not similar for that. Each fingerprint counts where it occurs, not where, so reordered
lines still match. A pair's similarity is the Dice coefficient of their fingerprints (shared, over
the mean of the two counts): a short answer inside a long one is not a copy by itself. Pairs at or above the threshold get a side-by-side page (HTML-escaped: student
code is hostile) with the matching lines marked.
"""

import builtins
import hashlib
import html
import io
import json
import keyword
import re
import tokenize
from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from . import files
from .course import CourseFolder, lessons as course_lessons, release_notebook

K = 5            # tokens per k-gram
WINDOW = 4       # k-grams per winnowing window
THRESHOLD = 0.6  # pairs at or above it get a side-by-side page (short idiomatic answers reach ~0.5)
MIN_FINGERPRINTS = 8   # answers smaller than this say nothing about copying
COMMON = 0.5     # a fingerprint in more than this share of a class (of 5 or more) is an idiom
KEPT = set(keyword.kwlist) | set(dir(builtins))


@dataclass
class Pair:
    lesson: str
    a: str
    b: str
    score: float      # 0-1: shared fingerprints / the mean of the two answers' counts
    shared: int
    page: str = ""    # side-by-side file name under reports/similarity/, when above the threshold


def tokens(code: str) -> list[tuple[str, int]]:
    """(normalised token, line number) of Python code; magics and unparsable text still tokenised."""
    out = []
    previous = ""
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT,
                            tokenize.DEDENT, tokenize.ENDMARKER):
                continue
            text = tok.string
            if tok.type == tokenize.NAME and text not in KEPT and previous != ".":
                text = "V"   # a local name: renaming it changes nothing
            elif tok.type == tokenize.STRING:
                text = "S"
            out.append((text, tok.start[0]))
            previous = tok.string
    except (tokenize.TokenError, IndentationError, SyntaxError):
        out = [("V" if w.isidentifier() and w not in KEPT else w, n)
               for n, line in enumerate(code.splitlines(), 1) for w in re.findall(r"\w+|[^\w\s]", line)]
    return out


def fingerprints(code: str) -> dict[int, set[int]]:
    """{hash: lines it covers} of the winnowed k-grams of `code`."""
    toks = tokens(code)
    grams = [(int.from_bytes(hashlib.blake2b(" ".join(t for t, _ in toks[i:i + K]).encode(), digest_size=8).digest()),
              {n for _, n in toks[i:i + K]}) for i in range(len(toks) - K + 1)]
    kept: dict[int, set[int]] = {}
    for i in range(max(1, len(grams) - WINDOW + 1)):
        window = grams[i:i + WINDOW]
        if window:
            h, lines = min(window, key=lambda g: g[0])
            kept.setdefault(h, set()).update(lines)
    return kept


def code_cells(notebook: bytes) -> str:
    """The code cells of a notebook as one text, each cell its own block (unreadable: '')."""
    try:
        nb = json.loads(notebook)
        cells = [c for c in nb.get("cells", []) if isinstance(c, dict) and c.get("cell_type") == "code"]
        sources = ["".join(s) if isinstance(s, list) else str(s) for s in (c.get("source", "") for c in cells)]
    except (ValueError, AttributeError, TypeError, RecursionError):
        return ""
    return "\n\n".join(s for s in sources if isinstance(s, str))


def compare(lesson: str, release: str, answers: dict[str, str]) -> list[Pair]:
    """Every pair of students of one lesson, most similar first."""
    given = set(fingerprints(release))
    prints = {s: {h: ln for h, ln in fingerprints(code).items() if h not in given} for s, code in answers.items()}
    holders = defaultdict(set)
    for student, fp in prints.items():
        for h in fp:
            holders[h].add(student)
    if len(prints) >= 5:
        common = {h for h, who in holders.items() if len(who) > COMMON * len(prints)}
        prints = {s: {h: ln for h, ln in fp.items() if h not in common} for s, fp in prints.items()}
    pairs = []
    for a, b in combinations(sorted(prints), 2):
        small = min(len(prints[a]), len(prints[b]))
        if small < MIN_FINGERPRINTS:
            continue
        shared = len(prints[a].keys() & prints[b].keys())
        pairs.append(Pair(lesson, a, b, 2 * shared / (len(prints[a]) + len(prints[b])), shared))
    return sorted(pairs, key=lambda p: (-p.score, -p.shared, p.a, p.b))


def side_by_side(pair: Pair, code_a: str, code_b: str, release: str) -> str:
    """An HTML page of both answers, lines with shared fingerprints marked; everything escaped."""
    given = set(fingerprints(release))
    fa, fb = fingerprints(code_a), fingerprints(code_b)
    shared = (fa.keys() & fb.keys()) - given

    def column(code, fp):
        marked = set().union(*(fp[h] for h in shared)) if shared else set()
        return "".join(f"<div class='{'m' if n in marked else ''}'><span>{n}</span> {html.escape(line) or ' '}</div>"
                       for n, line in enumerate(code.splitlines(), 1))
    e = html.escape
    return ("<!doctype html><html><head><meta charset='utf-8'>"
            "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'\">"
            f"<title>{e(pair.lesson)}: {e(pair.a)} and {e(pair.b)}</title><style>"
            "body{font-family:sans-serif}.cols{display:flex;gap:1em}.cols>div{flex:1;overflow:auto}"
            "pre{font-size:12px}.m{background:#ffe08a}span{color:#999;display:inline-block;width:3em}</style></head><body>"
            f"<h1>{e(pair.lesson)}: {pair.score:.0%} similar ({pair.shared} shared fingerprints)</h1>"
            "<p>For review only: similar code is not proof of copying (a short exercise has few ways to be "
            "written), and no points are taken automatically. Marked lines share code the release does not give.</p>"
            f"<div class='cols'><div><h2>{e(pair.a)}</h2><pre>{column(code_a, fa)}</pre></div>"
            f"<div><h2>{e(pair.b)}</h2><pre>{column(code_b, fb)}</pre></div></div></body></html>")


def write(course: Path, out: Path, threshold: float = THRESHOLD, releases: Path | None = None) -> list[Pair]:
    """Compare every lesson's submissions; side-by-side pages for pairs at or above `threshold`
    into `out`. Returns the pairs, most similar first within each lesson."""
    folder = CourseFolder(course)
    releases = releases or (Path(course) / "release")
    found = []
    for lesson in course_lessons():
        students = folder.submitted_students(lesson)
        if len(students) < 2:
            continue
        answers = {}
        for student in students:
            try:
                answers[student] = code_cells(files.read_bytes(folder.submission(student, lesson)))
            except files.Unreadable:
                continue
        path = release_notebook(lesson, releases)
        if not path.is_file():
            path = release_notebook(lesson)
        release = code_cells(path.read_bytes()) if path.is_file() else ""
        pairs = compare(lesson, release, answers)
        for n, pair in enumerate(p for p in pairs if p.score >= threshold):
            out.mkdir(parents=True, exist_ok=True)
            pair.page = f"{lesson}-{n + 1}.html"
            (out / pair.page).write_text(side_by_side(pair, answers[pair.a], answers[pair.b], release),
                                         encoding="utf-8", errors="backslashreplace")
        found += pairs
    return found


def markdown(pairs: list[Pair], top: int = 10) -> list[str]:
    """report.md's table: the most similar pairs of each lesson."""
    if not pairs:
        return ["- no lesson with two or more comparable answers"]
    lines = ["| lesson | student | student | similarity | shared | side by side |", "|---|---|---|---|---|---|"]
    for lesson in sorted({p.lesson for p in pairs}):
        for p in [p for p in pairs if p.lesson == lesson][:top]:
            page = f"[review](similarity/{p.page})" if p.page else ""
            lines.append(f"| {lesson} | {_cell(p.a)} | {_cell(p.b)} | {p.score:.0%} | {p.shared} | {page} |")
    return lines


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").replace("[", "\\[").replace("<", "&lt;")
