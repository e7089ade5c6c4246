"""The student's feedback page: tests in the record's order (the notebook's: see
test_score_channel.py), each under its exercise's name, and cells numbered from 1 as JupyterLab
numbers them."""

import re

import nbformat

from autograder import feedback
from autograder.record import Record


def headings(page: str) -> list[str]:
    """The page's test headings, as text."""
    return [re.sub(r"<[^>]+>", "", h) for h in re.findall(r"<h3[^>]*>(.*?)</h3>", page)]


def test_the_page_keeps_the_records_order_and_heads_each_test_with_its_exercise():
    tests = [{"grade_id": "test_similarity", "title": "self-attention with no parameters", "points": 1,
              "max_points": 1, "status": "passed",
              "message": "self-attention with no parameters:\n  ✓ shape\n  all 1 checks passed"},
             {"grade_id": "test_attention", "title": "scaled <dot-product>", "points": 0, "max_points": 2,
              "status": "failed", "message": "scaled <dot-product>:\n  ✗ values"},
             {"grade_id": "test_old", "points": 0, "max_points": 1, "status": "not run",  # a record from before titles
              "message": "not run: the notebook stopped before this test"}]
    rec = Record("s", "01_attention", tests=tests)
    page = feedback.render(vars(rec), [])
    assert headings(page) == ["self-attention with no parameters: passed (1 / 1) (test_similarity)",
                              "scaled &lt;dot-product&gt;: failed (0 / 2) (test_attention)",
                              "test_old: not run (0 / 1) (test_old)"]
    blocks = re.findall(r"<pre>(.*?)</pre>", page, re.S)
    assert blocks[:2] == ["  ✓ shape\n  all 1 checks passed", "  ✗ values"]  # the name is the heading, once


def test_problems_number_cells_from_1_as_jupyterlab_does(tmp_path):
    """A notebook whose third cell is no cell (an object without cell_type): the page says cell 3."""
    from autograder import grading_job

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("a"), nbformat.v4.new_code_cell("b")])
    raw = nbformat.writes(nb).replace('"cells": [', '"cells": [1, ', 1).encode()  # 1 is now cell 1
    rec = Record("s", "00_setup")
    grading_job._preflight(grading_job.Job("s", "00_setup", raw), None, rec)
    assert rec.problems and rec.problems[0].startswith("cell(s) 1 are not notebook cells"), rec.problems
