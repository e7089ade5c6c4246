"""What a test cell's failure leaves in the notebook, run in a real kernel (as JupyterLab, nbconvert
--execute and nbgrader's autograde run it): the ✗ list once, then an error output whose traceback
is one summary line; a student's own error keeps its traceback, without llmcourse's frames."""

import re

import nbformat
import pytest

from autograder.execute import execute
from llmcourse import checks

CELLS = {
    "define": '''import torch
from llmcourse.checks import exercise
def transpose(x):
    return x  # wrong: forgot .T
def crash(x):
    raise ValueError("my own bug")
''',
    "failed checks": '''with exercise("transpose") as check:
    check.shape(transpose(torch.zeros(2, 3)), (2, 3), what="keeps a square shape")
    check.equal(transpose(torch.eye(2) + torch.tensor([[0.0, 1.0], [0.0, 0.0]])),
                torch.tensor([[1.0, 0.0], [1.0, 1.0]]), what="swaps rows and columns")
''',
    "student raises": '''with exercise("no library shortcut") as check:
    check.avoids(["torch.softmax"], crash, torch.zeros(3))
''',
    "tampered": '''torch.allclose = lambda *a, **k: True
with exercise("after tampering") as check:
    check.equal(1, 1)
''',
}
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """{cell name: (printed text, error output or None)} of the cells run in one kernel."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code) for code in CELLS.values()])
    path = tmp_path_factory.mktemp("check-output") / "cells.ipynb"
    ran = execute(path, notebook=nb, allow_errors=True, timeout=120).notebook
    found = {}
    for name, cell in zip(CELLS, ran.cells):
        printed = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        error = next((o for o in cell.outputs if o.output_type == "error"), None)
        found[name] = printed, error
    return found


def test_a_failed_check_shows_its_list_once_and_one_line_instead_of_a_traceback(outputs):
    printed, error = outputs["failed checks"]
    assert error is not None, "the cell must end in an error: nbgrader scores it 0 by that"
    assert error.ename == "ChecksFailed" and error.evalue == "transpose: 1 of 2 checks failed"
    assert error.traceback == ["transpose: 1 of 2 checks failed"]
    shown = printed + "\n".join(error.traceback)
    assert shown.count("swaps rows and columns") == 1 and shown.count("keeps a square shape") == 1
    assert "checks.py" not in shown and "Traceback" not in shown


def test_a_students_error_shows_their_frames_and_none_of_ours(outputs):
    printed, error = outputs["student raises"]
    frames = ANSI.sub("", "\n".join(error.traceback))
    assert error.ename == "ValueError" and "my own bug" in printed
    assert "crash(x)" in frames and 'raise ValueError("my own bug")' in frames
    assert "checks.py" not in frames and checks.__file__ not in frames


def test_tampering_is_still_refused(outputs):
    _, error = outputs["tampered"]
    assert error is not None and "test environment was modified" in error.evalue
    assert "torch.allclose" in error.evalue
