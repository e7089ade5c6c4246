"""Every submission rebuilt on the release before nbgrader sees it, as instructors do by hand.

Students' editors damage notebooks honestly: JupyterLab copies a cell with its nbgrader metadata
(two cells with one grade id, which nbgrader cannot grade), other editors and Colab drop the
metadata, a cell turns Markdown, an answer cell is deleted and typed again. nbgrader then fails
the whole notebook. So the grader copies the student's work into a fresh copy of the release:

- each **answer cell** is found by its grade id when one cell has it; else among the copies that
  have it; else by the names the release's stub defines (`def softmax`, `class LayerNorm`), in
  code cells or cells turned Markdown. Of several candidates the last one that is not the untouched
  stub is graded (the one that ran last), and the record says which. It goes in the release's
  answer cell, as code, with the release's metadata. An answer not found leaves that cell empty:
  its tests score 0, the rest of the notebook is graded as usual, and the record says why;
- **locked cells** (tests, setup) come from the release (nbgrader then restores hidden tests from
  its gradebook); a student's copies are dropped, a deleted, edited or re-labelled one is flagged;
- every **other cell** is the student's, in the student's order: a cell the release also has
  (same source) at the release's place and with its metadata (a demo's `heavy` tag), the
  student's own cells after the last release cell that preceded them in the submission, so
  everything that ran above a cell still runs above it.

Pure functions of the submitted JSON and the release: the grader runs them, with the static scan,
in a process of its own under a time and memory budget (autograder/preflight_process.py).
"""

import ast
import re
from dataclasses import dataclass, field

DEFINITION = re.compile(r"^(?:async\s+)?(?:def|class)\s+(\w+)|^(\w+)\s*(?::[^=]*)?=(?!=)", re.M)


@dataclass
class Rebuilt:
    notebook: dict                                   # what nbgrader grades
    origin: list                                     # per cell: the submitted cell it came from, or None
    problems: list[str] = field(default_factory=list)  # said to the student (feedback) and the instructor
    flags: list[str] = field(default_factory=list)     # for the instructor's review


def source(cell: dict) -> str:
    text = cell.get("source", "")
    return "".join(map(str, text)) if isinstance(text, list) else str(text)


def nbgrader_meta(cell) -> dict:
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    meta = meta.get("nbgrader") if isinstance(meta, dict) else None
    return meta if isinstance(meta, dict) else {}


def defined_names(text: str) -> set[str]:
    """The names a cell defines at its top level (functions, classes, assignments)."""
    from .scan import python_code

    try:
        tree = ast.parse(python_code(text))
    except Exception:  # a cell that does not parse: its lines that start a definition
        return {a or b for a, b in DEFINITION.findall(text)}
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return names


def _kind(meta: dict) -> str:
    if meta.get("solution"):
        return "answer"
    if meta.get("locked") or meta.get("grade"):
        return "locked"
    return "other"


RESTORED_KEYS = ("grade", "solution", "locked", "points")


def rebuild(submitted: dict, release: dict) -> Rebuilt:
    """The release with the student's work in it. `submitted` is a notebook's JSON whose cells are
    objects with a cell_type (checked before); `release` the release notebook's JSON."""
    rel = release["cells"]
    kinds = [_kind(nbgrader_meta(c)) for c in rel]
    position = {nbgrader_meta(c)["grade_id"]: r for r, c in enumerate(rel)
                if isinstance(nbgrader_meta(c).get("grade_id"), str)}
    by_source = {}
    for r, c in enumerate(rel):
        if source(c).strip():
            by_source.setdefault(source(c).strip(), r)
    answers = {gid: r for gid, r in position.items() if kinds[r] == "answer"}
    stubs = {gid: source(rel[r]).strip() for gid, r in answers.items()}
    names = {gid: defined_names(source(rel[r])) for gid, r in answers.items()}

    cells = submitted["cells"]
    anchors: list[list[int]] = [[] for _ in cells]  # release places each submitted cell stands for
    candidates: dict[str, list[int]] = {gid: [] for gid in answers}
    copies: dict[int, list[int]] = {r: [] for r, k in enumerate(kinds) if k == "locked"}
    placed: dict[int, int] = {}  # submitted cell -> the release place of an unlocked cell it is
    unplaced = []
    for i, cell in enumerate(cells):
        gid = nbgrader_meta(cell).get("grade_id")
        text = source(cell).strip()
        r = position.get(gid) if isinstance(gid, str) else None
        if r is None and text in by_source:
            r = by_source[text]
        if r is None:
            unplaced.append(i)
            continue
        anchors[i].append(r)
        if kinds[r] == "answer":
            candidates[rel[r]["metadata"]["nbgrader"]["grade_id"]].append(i)
        elif kinds[r] == "locked":
            copies[r].append(i)
        else:
            placed[i] = r
    # answers whose cells are gone (deleted and retyped, metadata dropped): by the names they define
    for gid, found in candidates.items():
        if any(source(cells[i]).strip() != stubs[gid] for i in found) or not names[gid]:
            continue
        for i in unplaced:
            if names[gid] <= defined_names(source(cells[i])):
                found.append(i)
                anchors[i].append(answers[gid])
        found.sort()

    out = Rebuilt({**{k: v for k, v in release.items() if k != "cells"}, "cells": []}, [])
    if not any(nbgrader_meta(c) for c in cells):
        out.problems.append("the notebook has no nbgrader metadata (an editor or Colab dropped it): its "
                            "cells were matched to the release by their content and the names they define")
    chosen = {gid: _choose(gid, found, cells, stubs[gid], out) for gid, found in candidates.items()}
    used = {i for i in chosen.values() if i is not None}
    for r, found in copies.items():
        _check_locked(rel[r], [cells[i] for i in found], out)

    # every submitted cell that is neither an answer nor a locked cell is the student's to keep
    keys = []  # (release place, 0 for the release's own place / 1 after it, submitted index)
    last = -1
    for i, cell in enumerate(cells):
        last = max([last, *anchors[i]])
        if i in placed:
            keys.append(((placed[i], 0, i), i))
        elif not anchors[i] and i not in used:
            keys.append(((last, 1, i), i))
    for r, cell in enumerate(rel):
        if kinds[r] == "answer":
            gid = cell["metadata"]["nbgrader"]["grade_id"]
            keys.append(((r, 0, -1), ("answer", r, chosen[gid])))
        elif kinds[r] == "locked":
            keys.append(((r, 0, -1), ("locked", r, None)))
    ids = set()
    for _, what in sorted(keys, key=lambda k: k[0]):
        if isinstance(what, int):
            i, r = what, placed.get(what)
            new = _student_cell(cells[i], rel[r] if r is not None else None)
            out.origin.append(i)
        else:
            kind, r, i = what
            new = {k: v for k, v in rel[r].items() if k not in ("outputs", "execution_count")}
            if kind == "answer":
                new["source"] = source(cells[i]) if i is not None else "# no answer was found in the submission\n"
            new = _as_code(new) if rel[r]["cell_type"] == "code" else new
            out.origin.append(i)
        new["id"] = _unique_id(new.get("id"), len(ids), ids)
        out.notebook["cells"].append(new)
    return out


def _choose(gid: str, found: list[int], cells: list, stub: str, out: Rebuilt) -> int | None:
    """The candidate graded for one answer: the last that is not the untouched stub."""
    if not found:
        out.problems.append(f"no answer to exercise {gid!r} was found: no cell has its grade id and none "
                            "defines what its empty cell defines; its tests score 0, the rest is graded as usual")
        return None
    real = [i for i in found if source(cells[i]).strip() != stub]
    pick = (real or found)[-1]
    if len(found) > 1:
        out.flags.append(f"exercise {gid!r}: {len(found)} copies of its answer cell (cells "
                         f"{', '.join(str(i + 1) for i in found)}); graded the last"
                         f"{' that is not the empty stub' if pick != found[-1] else ''}: cell {pick + 1}")
    if nbgrader_meta(cells[pick]).get("grade_id") != gid and any(nbgrader_meta(c) for c in cells):
        out.problems.append(f"exercise {gid!r}: its answer cell was missing; cell {pick + 1}, which defines "
                            "the same names, was graded as the answer")
    if cells[pick].get("cell_type") != "code":
        out.problems.append(f"exercise {gid!r}: the answer (cell {pick + 1}) was a {cells[pick].get('cell_type')} "
                            "cell; it was graded as code")
    return pick


def _check_locked(release_cell: dict, found: list, out: Rebuilt) -> None:
    meta = nbgrader_meta(release_cell)
    gid = meta.get("grade_id", "?")
    labelled = [c for c in found if nbgrader_meta(c).get("grade_id") == gid]
    if not found:
        out.flags.append(f"locked cell {gid} was deleted (restored from the source)")
    elif not any(source(c).strip() == source(release_cell).strip() for c in found):
        out.flags.append(f"locked cell {gid} was edited (restored from the source)")
    changed = sorted({k for c in labelled for k in RESTORED_KEYS if nbgrader_meta(c).get(k) != meta.get(k)})
    if changed:
        out.flags.append(f"locked cell {gid}: its nbgrader metadata was edited ({', '.join(changed)}; "
                         "restored from the source: its points and lock are the release's)")


def _as_code(cell: dict) -> dict:
    cell = {**cell, "cell_type": "code", "outputs": [], "execution_count": None}
    cell.pop("attachments", None)
    return cell


def _student_cell(cell: dict, release_cell: dict | None) -> dict:
    """A cell the student kept: theirs, without nbgrader metadata (a copy of one would make two
    cells with one grade id); one the release also has gets the release's metadata back."""
    kind = cell.get("cell_type") if cell.get("cell_type") in ("code", "markdown", "raw") else "markdown"
    meta = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
    meta = release_cell.get("metadata", {}) if release_cell is not None else \
        {k: v for k, v in meta.items() if k != "nbgrader"}
    if release_cell is not None:
        kind = release_cell["cell_type"]
    new = {"cell_type": kind, "id": cell.get("id"), "metadata": dict(meta), "source": source(cell)}
    return _as_code(new) if kind == "code" else new


def _unique_id(wanted, n: int, taken: set) -> str:
    ok = isinstance(wanted, str) and re.fullmatch(r"[A-Za-z0-9_-]{1,64}", wanted) and wanted not in taken
    new = wanted if ok else f"cell-{n}"
    while new in taken:
        new += "x"
    taken.add(new)
    return new
