"""Mutation testing of the exercises: do the tests catch plausible wrong answers?

Each lesson has tests/mutants/<lesson>.py with a list MUTANTS of Mutant(...): a wrong answer made
by replacing one piece of text in a solution cell. For each mutant we execute the solution
notebook with that change as grading runs it (heavy cells skipped, the checks handing over their
values) and judge each test cell as the grader does: by autograder/verdict.py, against the
reference solution's values. Before every test cell that has hidden tests we also run a copy with
the hidden part removed, which tells whether the visible checks alone would have caught it, in
the student's own kernel; that is how we know each hidden test catches something the visible
ones miss.
"""

import copy
import functools
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import nbformat

from nbcells import has_hidden, meta, solution_cells, source, strip_hidden, graded_test_cells

from autograder import reference, verdict
from autograder.course import REPO, solution_notebook
from autograder.execute import execute
from autograder.grading_execute import take_records
from llmcourse.check_records import RECORD_ENV

MUTANTS_DIR = Path(__file__).parent / "mutants"
PROBE = "mutation_probe"  # metadata key of the inserted visible-only copies


@dataclass(frozen=True)
class Mutant:
    cell: str  # grade_id of the solution cell to change
    why: str  # the mistake, in words: shown when the tests fail to catch it
    find: str  # text that occurs exactly once in that cell ...
    replace: str  # ... and what it becomes
    visible: bool = False  # the visible checks alone must catch it (a student sees it before handing in)
    only: str | tuple[str, ...] | None = None  # the test cell(s) of its own exercise, the only ones it may fail


@dataclass
class Outcome:
    failed: set[str]  # test cells that failed (visible + hidden, as when grading)
    failed_visible: set[str]  # test cells whose visible part alone failed
    solution_errors: dict[str, str]  # errors raised by solution cells themselves
    errors: dict[str, str]  # every failing cell: its error, for messages
    feedback: dict[str, str]  # each graded test cell's feedback, as the grader writes it


@functools.lru_cache(maxsize=None)
def _answers(lesson: str):
    """tests/mutants/<lesson>.py as a module (None when the lesson has none)."""
    path = MUTANTS_DIR / f"{lesson}.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location(f"mutants_{lesson}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def mutants(lesson: str) -> list[Mutant]:
    """Plausible wrong answers (MUTANTS): some test must fail each of them."""
    return list(getattr(_answers(lesson), "MUTANTS", []))


def equivalents(lesson: str) -> list[Mutant]:
    """Correct answers written another way (EQUIVALENTS): parameters created in another order,
    other torch calls. Every test must pass them, as graded."""
    return list(getattr(_answers(lesson), "EQUIVALENTS", []))


def mutated_notebook(lesson: str, mutant: Mutant) -> nbformat.NotebookNode:
    nb = nbformat.read(solution_notebook(lesson), as_version=4)
    cell = solution_cells(nb).get(mutant.cell)
    if cell is None:
        raise LookupError(f"{lesson}: no solution cell with grade_id {mutant.cell!r}")
    text = source(cell)
    if text.count(mutant.find) != 1:
        raise LookupError(f"{lesson}/{mutant.cell}: the mutant's text occurs {text.count(mutant.find)} "
                          f"times in the cell, not once; update tests/mutants/{lesson}.py:\n{mutant.find}")
    cell.source = text.replace(mutant.find, mutant.replace)
    cells = []
    for c in nb.cells:
        if meta(c).get("grade") and not meta(c).get("solution") and has_hidden(c):
            probe = nbformat.v4.new_code_cell(strip_hidden(source(c)))
            probe.metadata[PROBE] = meta(c)["grade_id"]
            cells.append(probe)
        cells.append(c)
    nb.cells = cells
    return nb


@functools.lru_cache(maxsize=None)
def expected(lesson: str) -> dict:
    """The grader's reference for the lesson (made once, cached in build/reference)."""
    return reference.load(lesson, REPO / "build" / "reference")


@functools.lru_cache(maxsize=None)
def outcome(lesson: str, mutant: Mutant) -> Outcome:
    nb = mutated_notebook(lesson, mutant)
    run = execute(solution_notebook(lesson), notebook=nb, allow_errors=True, timeout=300,
                  as_grading=True, env={"OMP_NUM_THREADS": "1", RECORD_ENV: "1"})
    tests, solutions = graded_test_cells(run.notebook), solution_cells(run.notebook)
    failed, failed_visible, solution_errors, errors, feedback = set(), set(), {}, {}, {}
    for c in run.notebook.cells:
        records = take_records(c)
        gid = meta(c).get("grade_id") or c.metadata.get(PROBE)
        error = next((f"{o.ename}: {o.evalue}" for o in c.get("outputs", [])
                      if o.output_type == "error"), None)
        if c.metadata.get(PROBE):  # the visible checks alone, judged in the kernel as a student sees them
            if error is not None:
                failed_visible.add(gid)
            continue
        if gid in tests:
            ename = next((o.ename for o in c.get("outputs", []) if o.output_type == "error"), None)
            judged = verdict.judge_cell(expected(lesson), gid, records, ename)
            feedback[gid] = "\n".join(judged.lines)
            if not judged.passed:
                failed.add(gid)
                errors[gid] = error or "failed when compared with the solution's values"
                if not has_hidden(tests[gid]):
                    failed_visible.add(gid)
        elif error is not None:
            errors[gid or "a non-graded cell"] = error
            if gid in solutions:
                solution_errors[gid] = error
    return Outcome(failed, failed_visible, solution_errors, errors, feedback)
