"""The grading benchmark grades what it says it grades (its times are printed, never asserted)."""

import pytest

from autograder.grading_benchmark import run


@pytest.mark.slow
def test_benchmark_grades_every_copy_of_the_solutions():
    rows = run(["00_setup"], students=2, worker_counts=[2])
    assert rows[0] == dict(rows[0], workers=2, submissions=2, full_marks=2)
    assert rows[1]["workers"] == "plain nbgrader" and rows[1]["submissions"] == 2 and rows[1]["seconds"] > 0
