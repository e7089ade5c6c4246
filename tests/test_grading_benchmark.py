"""The grading benchmark grades what it says it grades (its times are printed, never asserted)."""

import pytest

from autograder.grading_benchmark import run


@pytest.mark.slow
def test_benchmark_grades_every_copy_of_the_solutions():
    rows = run(["00_setup"], students=2, worker_counts=[2])
    assert [r["workers"] for r in rows] == ["2 worker(s)", "2 Dask worker(s)", "plain nbgrader"]
    for row in rows[:2]:  # in threads here and through a local Dask cluster: the same grades
        assert row == dict(row, submissions=2, full_marks=2) and row["per_minute"] > 0
    assert rows[2]["submissions"] == 2 and rows[2]["seconds"] > 0
