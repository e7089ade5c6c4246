"""Submissions rebuilt on the release before nbgrader sees them (autograder/rebuild.py), the
budgeted process that reads student bytes (autograder/preflight_process.py) and the job's retry
(autograder/grading_job.py): unit tests, no grading (tests/test_grading_damaged.py grades).
"""

import ast
import json
import threading
import time
from types import SimpleNamespace

import nbformat
import pytest

from autograder import class_report, grading_job, preflight_process, rebuild
from autograder.course import lessons, release_notebook
from autograder.grading_job import Job
from autograder.record import Record

import classroom
import damaged
from nbcells import meta

LESSONS = ["00_setup", "01_attention", "02_multihead_attention"]


def release(lesson: str) -> dict:
    return json.loads(release_notebook(lesson).read_bytes())


def rebuilt(lesson: str, *damages: str) -> rebuild.Rebuilt:
    return rebuild.rebuild(json.loads(damaged.damaged(lesson, *damages)), release(lesson))


def typed_answers(lesson: str) -> dict[str, str]:
    return {meta(c)["grade_id"]: c.source for c in classroom.submission(lesson, "typed").cells
            if meta(c).get("solution")}


def graded_cells(nb: dict) -> list[tuple[str, str, str]]:
    return [(c["cell_type"], meta(c)["grade_id"], rebuild.source(c)) for c in nb["cells"] if meta(c)]


CASES = [(lesson, (name,)) for lesson in LESSONS for name in damaged.DAMAGES
         if not (name == "swapped" and lesson == "00_setup")]
CASES += [("01_attention", ("swapped", "copied_answer_above", "copied_tests", "scratch")),
          ("02_multihead_attention", ("copied_answer_below", "markdown_answer", "metadata_stripped"))]


@pytest.mark.parametrize("lesson, damages", CASES)
def test_damaged_notebooks_become_the_release_with_the_answers_in(lesson, damages):
    """Every damage of tests/damaged.py: the nbgrader cells are the release's, once each, in its
    order, each answer the student's typed answer, each locked cell the release's."""
    out = rebuilt(lesson, *damages)
    answers = typed_answers(lesson)
    want = [(c["cell_type"], meta(c)["grade_id"], answers.get(meta(c)["grade_id"], rebuild.source(c)))
            for c in release(lesson)["cells"] if meta(c)]
    assert graded_cells(out.notebook) == want, (out.problems, out.flags)
    nbformat.validate(nbformat.from_dict(out.notebook))
    assert len(out.origin) == len(out.notebook["cells"])
    assert not any("no answer" in p for p in out.problems)


def test_copies_grade_the_last_real_attempt_and_say_which():
    """Cells are numbered from 1, as JupyterLab counts them."""
    above = rebuilt("00_setup", "copied_answer_above")
    assert above.flags == ["exercise 'softmax': 2 copies of its answer cell (cells 13, 14); graded the last: cell 14"]
    below = rebuilt("00_setup", "copied_answer_below")
    assert below.flags == ["exercise 'softmax': 2 copies of its answer cell (cells 13, 14); "
                           "graded the last that is not the empty stub: cell 13"]


def test_stripped_markdown_and_retyped_cells_are_said_in_the_problems():
    assert "no nbgrader metadata" in rebuilt("00_setup", "colab").problems[0]
    assert rebuilt("00_setup", "markdown_answer").problems == [
        "exercise 'softmax': the answer (cell 13) was a markdown cell; it was graded as code"]
    assert rebuilt("00_setup", "retyped").problems == [
        "exercise 'softmax': its answer cell was missing; cell 13, which defines the same names, "
        "was graded as the answer"]


def test_an_answer_that_cannot_be_found_costs_that_exercise_only():
    nb = classroom.submission("01_attention", "typed")
    nb.cells = [c for c in nb.cells if meta(c).get("grade_id") != "attention"]
    out = rebuild.rebuild(json.loads(classroom.jupyterlab_bytes(nb)), release("01_attention"))
    assert out.problems == ["no answer to exercise 'attention' was found: no cell has its grade id and none "
                            "defines what its empty cell defines; its tests score 0, the rest is graded as usual"]
    cells = {gid: text for _, gid, text in graded_cells(out.notebook)}
    assert cells["attention"] == "# no answer was found in the submission\n"
    answers = typed_answers("01_attention")
    assert cells["similarity"] == answers["similarity"] and cells["masks"] == answers["masks"]


def test_the_students_own_cells_keep_their_order_after_what_preceded_them():
    out = rebuilt("01_attention", "swapped", "scratch")
    ours = {rebuild.source(r) for r in release("01_attention")["cells"]}
    mine = [(i, rebuild.source(c)) for c, i in zip(out.notebook["cells"], out.origin)
            if i is not None and not meta(c) and rebuild.source(c) not in ours]
    assert mine[0][1] == "# my notes\nscratch = 'top'" and mine[-1][1] == "print(scratch)"
    assert [i for i, _ in mine] == sorted(i for i, _ in mine)  # in the order the student wrote them
    cells = out.notebook["cells"]
    moved = next(i for i, c in enumerate(cells) if rebuild.source(c).startswith("print('between"))
    assert meta(cells[moved - 1])["grade_id"] == "test_causal_mask"  # where the student put it


def test_locked_cells_come_from_the_release_and_their_changes_are_flagged():
    nb = classroom.submission("00_setup", "typed")
    tests = [c for c in nb.cells if meta(c).get("grade")]
    tests[0].source = "print('all 3 checks passed')"
    tests[1].metadata["nbgrader"]["points"] = 100
    nb.cells = [c for c in nb.cells if meta(c).get("grade_id") != "setup"]
    out = rebuild.rebuild(json.loads(classroom.jupyterlab_bytes(nb)), release("00_setup"))
    assert sorted(out.flags) == sorted([
        "locked cell setup was deleted (restored from the source)",
        "locked cell test_softmax_small was edited (restored from the source)",
        "locked cell test_softmax_stable: its nbgrader metadata was edited (points; restored from the "
        "source: its points and lock are the release's)"])
    by_id = {meta(c).get("grade_id"): c for c in release("00_setup")["cells"]}
    for cell in out.notebook["cells"]:
        if meta(cell).get("locked"):
            assert cell["source"] == by_id[meta(cell)["grade_id"]]["source"] and meta(cell) == meta(by_id[meta(cell)["grade_id"]])


def test_a_demo_cell_stripped_of_its_tags_gets_them_back():
    out = rebuilt("00_setup", "metadata_stripped")
    heavy = [c for c in out.notebook["cells"] if "heavy" in c["metadata"].get("tags", [])]
    assert len(heavy) == 1 and "load_imdb" in rebuild.source(heavy[0])


# --- the budgeted process --------------------------------------------------------------------
def preflight(notebook: bytes, lesson="00_setup") -> tuple[Record, bytes | None]:
    rec = Record("s", lesson)
    lesson_ = SimpleNamespace(name=lesson, release=release_notebook(lesson).read_bytes())
    out = grading_job._preflight(Job("s", lesson, notebook), lesson_, rec)
    return rec, out


def test_preflight_grades_the_rebuilt_notebook_with_flags_named_as_the_student_numbers_them():
    nb = classroom.submission("00_setup", "typed")
    nb.cells.insert(3, nbformat.v4.new_code_cell("import torch\ntorch.allclose = lambda *a, **k: True"))
    rec, out = preflight(classroom.jupyterlab_bytes(nb))
    assert rec.hold and rec.flags == ["cell 4: patches a library or test helper: torch.allclose = lambda *a, **k: True"]
    assert graded_cells(json.loads(out))[1][1] == "softmax"


def test_reading_notebooks_in_parallel_threads_never_parses_two_at_once(monkeypatch):
    """CPython 3.11.7 can raise SystemError when two threads parse at once (gh-106905): seen as a
    correct notebook graded 0 beside another job. Every parse in this process is widened (a
    sleep inside it) so that two at once are caught every time; the student's cells must be
    parsed elsewhere, and the jobs' results must not depend on what ran beside them."""
    real, active, overlaps = ast.parse, [], []

    def widened(*args, **kwargs):
        active.append(1)
        if len(active) > 1:
            overlaps.append(threading.current_thread().name)
        time.sleep(0.002)
        try:
            return real(*args, **kwargs)
        finally:
            active.pop()
    monkeypatch.setattr(ast, "parse", widened)
    lessons = ["00_setup", "01_attention"]
    data = [damaged.damaged("00_setup", "scratch"), damaged.damaged("01_attention", "copied_tests")]
    results, errors = {}, []

    def work(k):
        for _ in range(3):
            try:
                rec, out = preflight(data[k % 2], lessons[k % 2])
                results.setdefault(k % 2, set()).add((tuple(rec.flags), tuple(rec.problems), out))
            except Exception as e:
                errors.append(repr(e))
    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and overlaps == [], (errors[:3], len(overlaps))
    assert all(len(r) == 1 for r in results.values())


def test_a_notebook_past_the_budget_is_held_and_graded_as_submitted(monkeypatch):
    """Issue 30: 12 cells of `x = !echo` lines kept the scan busy for hours in the grader's process."""
    monkeypatch.setattr(preflight_process, "SECONDS", 2)
    monkeypatch.setattr(preflight_process.read, "__defaults__", (2, preflight_process.MEMORY_MB))
    nb = classroom.submission("00_setup", "typed")
    nb.cells += [nbformat.v4.new_code_cell("x = !echo\n" * 200) for _ in range(4)]
    start = time.perf_counter()
    rec, out = preflight(classroom.jupyterlab_bytes(nb))
    assert time.perf_counter() - start < 20
    assert rec.hold and out == classroom.jupyterlab_bytes(nb)
    assert "ran past its 2 s budget" in rec.flags[-1] and "held for review" in rec.flags[-1]


def test_a_notebook_past_the_memory_budget_is_held():
    big = classroom.submission("00_setup", "typed")
    big.cells.append(nbformat.v4.new_code_cell("# " + "y" * 40_000_000))
    with pytest.raises(preflight_process.OverBudget, match="120 MB"):
        preflight_process.read(classroom.jupyterlab_bytes(big), release_notebook("00_setup").read_bytes(),
                               memory_mb=120)


# --- a grader failure is never a student's 0 ---------------------------------------------------
def test_a_job_the_grader_fails_once_is_retried(monkeypatch):
    calls = []

    def flaky(job, lesson, rec):
        calls.append(1)
        if len(calls) == 1:
            raise SystemError("AST constructor recursion depth mismatch")
        return {"test_softmax_small": 1.0}, None
    monkeypatch.setattr(grading_job, "_attempt", flaky)
    result = grading_job.run(Job("s", "00_setup", b"{}"), None)
    assert len(calls) == 2 and result.record["status"] == "graded" and result.auto_scores == {"test_softmax_small": 1.0}


def test_a_job_the_grader_fails_twice_is_a_grader_error_counted_in_the_report(monkeypatch, tmp_path):
    def broken(job, lesson, rec):
        raise OSError("No space left on device")
    monkeypatch.setattr(grading_job, "_attempt", broken)
    result = grading_job.run(Job("s", "00_setup", b"{}"), None)
    assert result.record["status"] == "grader error"
    assert "not the student's doing" in result.record["problems"][0] and "No space left" in result.record["problems"][0]
    course = tmp_path / "course"
    Record(**result.record).save(course)
    Record("t", "00_setup", score=3, max_score=3).save(course)
    report = (class_report.write(course) / "report.md").read_text()
    assert "graded 1, grader error 1" in report and "1 submission(s) could not be graded because the grader failed" in report


@pytest.mark.parametrize("lesson", lessons())
@pytest.mark.parametrize("style", ["typed", "rewritten", "blank"])
def test_an_undamaged_notebook_is_rebuilt_as_it_was(lesson, style):
    """Every lesson, as tests/test_grading_class.py's students write it: the same cells, in the
    same order, nothing said."""
    nb = classroom.submission(lesson, style)
    out = rebuild.rebuild(json.loads(classroom.jupyterlab_bytes(nb)), release(lesson))
    assert [(c["cell_type"], rebuild.source(c), meta(c)) for c in out.notebook["cells"]] == \
        [(c.cell_type, c.source, meta(c)) for c in nb.cells]
    assert out.problems == [] and out.flags == [] and all(o in (None, k) for k, o in enumerate(out.origin))
