"""Honest notebooks the way students' editors leave them: every answer correct, the notebook damaged.

Each damage starts from tests/classroom.py's "typed" submission (the release with the correct
answers typed in, a scratch cell after each) and does one thing students, JupyterLab, other
editors or Colab really do. `DAMAGES` maps a name to (what the student did, the edit); the
fixture of tests/test_grading_damaged.py grades them through the CLI and expects full marks.
"""

import copy
import json
import uuid

import nbformat

import classroom
from autograder.course import release_notebook
from nbcells import meta


def _answers(nb) -> list[int]:
    return [i for i, c in enumerate(nb.cells) if meta(c).get("solution")]


def _tests(nb) -> list[int]:
    return [i for i, c in enumerate(nb.cells) if meta(c).get("grade") and not meta(c).get("solution")]


def _stub(lesson: str, grade_id: str) -> str:
    release = nbformat.read(release_notebook(lesson), as_version=4)
    return next(c.source for c in release.cells if meta(c).get("grade_id") == grade_id)


def _fresh_id(cell):
    cell["id"] = uuid.uuid4().hex[:8]
    return cell


def copied_answer_above(nb, lesson):
    """JupyterLab copy-paste of the answer cell (metadata and all); the older, wrong attempt stays
    above the finished one."""
    for i in reversed(_answers(nb)):
        older = _fresh_id(copy.deepcopy(nb.cells[i]))
        older.source = _stub(lesson, meta(older)["grade_id"]) + "\n# first try, see below\n"
        nb.cells.insert(i, older)


def copied_answer_below(nb, lesson):
    """A pasted copy of the untouched stub below the answer, never used."""
    for i in reversed(_answers(nb)):
        stub = _fresh_id(copy.deepcopy(nb.cells[i]))
        stub.source = _stub(lesson, meta(stub)["grade_id"])
        nb.cells.insert(i + 1, stub)


def copied_tests(nb, lesson):
    """Every test cell copied (to run it again after a fix)."""
    for i in reversed(_tests(nb)):
        nb.cells.insert(i + 1, _fresh_id(copy.deepcopy(nb.cells[i])))


def metadata_stripped(nb, lesson):
    """Opened and saved in an editor that drops metadata it does not know."""
    for cell in nb.cells:
        cell.metadata = {}


def colab(nb, lesson):
    """Downloaded from Colab after such a round trip: no nbgrader metadata, Colab's cell ids in the
    metadata, nbformat 4.0 (no top-level cell ids), Colab's notebook metadata."""
    for cell in nb.cells:
        cell.metadata = {"id": uuid.uuid4().hex[:12]}
        cell.pop("id", None)
    nb.metadata = {"colab": {"provenance": []}, "kernelspec": {"name": "python3", "display_name": "Python 3"},
                   "language_info": {"name": "python"}}
    nb.nbformat_minor = 0


def markdown_answer(nb, lesson):
    """The first answer cell turned Markdown (the M key in command mode), metadata kept."""
    cell = nb.cells[_answers(nb)[0]]
    nb.cells[_answers(nb)[0]] = nbformat.v4.new_markdown_cell(cell.source, metadata=cell.metadata, id=cell.get("id"))


def swapped_exercises(nb, lesson):
    """The last exercise (answer and tests) moved above the first one."""
    answers, tests = _answers(nb), _tests(nb)
    last = answers[-1]
    end = max([i for i in tests if i > last], default=last)
    block = list(range(last, end + 1))  # its scratch cell and tests travel with it
    moved = [nb.cells[i] for i in block]
    rest = [c for i, c in enumerate(nb.cells) if i not in block]
    first = rest.index(nb.cells[answers[0]])
    nb.cells = rest[:first] + moved + rest[first:]


def scratch_cells(nb, lesson):
    """Scratch cells of the student's own: at the top, between the tests, and at the end."""
    nb.cells.insert(0, nbformat.v4.new_code_cell("# my notes\nscratch = 'top'"))
    tests = _tests(nb)
    nb.cells.insert(tests[0] + 1, nbformat.v4.new_code_cell("print('between the tests', 2 + 2)"))
    nb.cells.append(nbformat.v4.new_markdown_cell("My summary: done."))
    nb.cells.append(nbformat.v4.new_code_cell("print(scratch)"))


def retyped_answer(nb, lesson):
    """The answer cell deleted and typed again in a new cell (no nbgrader metadata)."""
    i = _answers(nb)[0]
    nb.cells[i] = nbformat.v4.new_code_cell(nb.cells[i].source)


DAMAGES = {
    "copied_answer_above": ("copied an answer cell, the older attempt above", copied_answer_above),
    "copied_answer_below": ("copied an answer cell, an unused copy below", copied_answer_below),
    "copied_tests": ("copied the test cells", copied_tests),
    "metadata_stripped": ("saved in an editor that drops unknown metadata", metadata_stripped),
    "colab": ("downloaded from Colab after such a round trip", colab),
    "markdown_answer": ("turned an answer cell into Markdown", markdown_answer),
    "swapped": ("moved the last exercise above the first", swapped_exercises),
    "scratch": ("added scratch cells (top, between tests, end)", scratch_cells),
    "retyped": ("deleted the answer cell and typed it again", retyped_answer),
}


def damaged(lesson: str, *damages: str) -> bytes:
    """The typed submission of `lesson` with these damages applied in order, as saved bytes."""
    nb = classroom.submission(lesson, "typed")
    for name in damages:
        DAMAGES[name][1](nb, lesson)
    if nb.nbformat_minor == 0:  # Colab writes its own shape; nbformat would add ids back
        return json.dumps(nb, indent=2).encode()
    return classroom.jupyterlab_bytes(nb)
