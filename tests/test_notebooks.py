"""Every solution notebook runs top to bottom in fast mode, as a student's "Run All" would."""

import pytest

from autograder.course import lessons, solution_notebook
from autograder.execute import execute


@pytest.mark.slow
@pytest.mark.xdist_group("execute")  # in lesson order on one worker: 05 uses what 04 saved
@pytest.mark.parametrize("lesson", lessons())
def test_solution_runs_top_to_bottom(lesson, artifacts):
    run = execute(solution_notebook(lesson), mode="fast", timeout=600,
                  save_to=artifacts / "executed" / f"{lesson}.ipynb")
    print(f"{lesson}: {run.seconds:.1f} s")  # timings live in the benchmark, not in asserts
    assert run.error is None, f"{lesson} fails in fast mode:\n{run.error[-3000:]}"
