"""The expected side of every check: the reference solution's own values, from a trusted run.

The solution notebook is executed once per lesson (heavy cells skipped, as grading runs a
submission), outside any jail, with the checks recording. Every test block's record (the values
each check looked at, its tolerance, the line of the test cell it came from) is kept, with what
the grader needs to judge a student's record against it (autograder/verdict.py):

    {"lesson", "key", "cells": {grade_id: {"record": ..., "hidden_from": line, "points": float}}}

It is cached under a key made of the solution notebook and the llmcourse package (the code the
test cells call), so a class costs one trusted run per lesson, and it lives only on the
instructor's side: nothing of it enters a student's kernel.
"""

import hashlib
import json
import os
from pathlib import Path

from llmcourse.check_records import RECORD_ENV, REFERENCE

from .course import REPO, solution_notebook
from .execute import execute
from .grading_execute import take_records


class ReferenceFailed(Exception):
    """The solution does not pass its own tests: nothing can be graded against it."""


def key(lesson: str) -> str:
    """What the reference's values depend on: the solution, the code its test cells call, the code
    that runs it and records them, torch's version (read from its metadata: every grading job
    checks the key, and importing torch would cost it seconds) and the sizes asked for (a check
    may read the lesson's sizes, so a reference made at test sizes must not grade fast mode)."""
    from importlib.metadata import version

    digest = hashlib.sha256(solution_notebook(lesson).read_bytes())
    here = Path(__file__).parent
    for path in [*sorted((REPO / "llmcourse").glob("*.py")),
                 *(here / name for name in ("reference.py", "execute.py", "grading_execute.py"))]:
        digest.update(path.read_bytes())
    digest.update(version("torch").encode())
    digest.update(" ".join(os.environ.get(v, "") for v in ("LLMCOURSE_MODE", "LLMCOURSE_SMOKE")).encode())
    return digest.hexdigest()[:16]


SHARED_ENV = "AUTOGRADER_REFERENCE_CACHE"  # a folder of references shared by course folders


def load(lesson: str, folder: Path) -> dict:
    """The lesson's reference from folder/<lesson>.json, made (a few seconds to a minute) when it
    is missing, stale or unreadable. With $AUTOGRADER_REFERENCE_CACHE set (several course folders
    on one instructor's machine, e.g. one per section, or the test suite), a current copy there is
    reused and a new one is left there too."""
    places = [Path(folder).resolve()]
    if os.environ.get(SHARED_ENV):
        shared = Path(os.environ[SHARED_ENV]).expanduser().resolve()
        if shared not in places:
            places.append(shared)
    current = key(lesson)
    for place in places:
        cached = _read(place / f"{lesson}.json")
        if cached is not None and cached.get("lesson") == lesson and cached.get("key") == current:
            _write(lesson, cached, [p for p in places if p != place])
            return cached
    made = make(lesson, current)
    _write(lesson, made, places)
    return made


def _read(path: Path) -> dict | None:
    """A cached reference, or None if there is none or it cannot be used (empty, cut off, edited)."""
    try:
        cached = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return cached if isinstance(cached, dict) else None


def _write(lesson: str, reference: dict, places: list[Path]) -> None:
    for place in places:
        path = place / f"{lesson}.json"
        if (_read(path) or {}).get("key") == reference["key"]:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")  # two graders writing at once: one wins whole
        partial.write_text(json.dumps(reference, allow_nan=True))
        partial.replace(path)


def make(lesson: str, made_key: str) -> dict:
    """Run the solution and keep its records under `made_key`, the key of the solution as it was
    when the caller decided to run it (a file edited during the run must not be stored under the
    new key with the old values)."""
    run = execute(solution_notebook(lesson), allow_errors=True, timeout=600, as_grading=True,
                  env={RECORD_ENV: REFERENCE, "OMP_NUM_THREADS": "1"})
    cells, problems = {}, []
    for cell in run.notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade"):
            continue
        gid = meta["grade_id"]
        checks = [json.loads(text) for text in take_records(cell)]
        error = next((f"{o.get('ename')}: {o.get('evalue')}" for o in cell.get("outputs", [])
                      if o.get("output_type") == "error"), None)
        wrong = [c["what"] for c in checks if c["ok"] is False]  # named: the error only counts them
        if error or wrong or not checks:
            problems.append(f"the solution fails {gid}: {wrong or error or 'no checks ran'}")
            continue
        record = {"exercise": checks[0]["exercise"], "checks": checks}
        unusable = [f"{c['what']} ({c['expected']['unusable']})" for c in record["checks"]
                    if isinstance(c["expected"], dict) and "unusable" in c["expected"]]
        if unusable:
            problems.append(f"{gid} has checks the grader cannot compare: {unusable}")
            continue
        cells[gid] = {"record": record, "hidden_from": _hidden_from(cell.source),
                      "points": float(meta.get("points", 0))}
    if problems:
        raise ReferenceFailed(f"{lesson}: " + "; ".join(problems))
    return {"lesson": lesson, "key": made_key, "cells": cells}


def _hidden_from(source: str) -> int | None:
    """The line of a test cell where its hidden checks begin (1-based), if it has any."""
    return next((i + 1 for i, line in enumerate(source.splitlines()) if "### BEGIN HIDDEN TESTS" in line), None)
