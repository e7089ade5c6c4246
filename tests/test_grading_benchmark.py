"""The grading benchmark grades what it says it grades (its times are printed, never asserted)."""

import pytest

from autograder.grading_benchmark import run


@pytest.mark.slow
def test_benchmark_grades_every_copy_of_the_solutions():
    # (the Dask column's grading path is tests/test_grading_dask.py's; here only the threads')
    rows = run(["00_setup"], students=2, worker_counts=[2], dask=False)
    assert [r["workers"] for r in rows] == ["2 worker(s)", "plain nbgrader"]
    assert rows[0] == dict(rows[0], submissions=2, full_marks=2) and rows[0]["per_minute"] > 0
    assert rows[1]["submissions"] == 2 and rows[1]["seconds"] > 0
