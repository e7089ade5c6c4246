"""Every solution notebook runs top to bottom at its test sizes, as a student's "Run All" would.
(The student's own size, fast mode, runs in the main job: `make benchmark`.)"""

import copy

import pytest

from autograder.course import lessons, solution_notebook
from autograder.execute import execute
from autograder.run_course import CELL_TIMEOUT_S


@pytest.mark.slow
@pytest.mark.xdist_group("execute")  # in lesson order on one worker: 05 uses what 04 saved
@pytest.mark.parametrize("lesson", lessons())
def test_solution_runs_top_to_bottom(lesson, artifacts):
    # per-cell limit: lesson 05's MiniLM runs take ~270 s idle, and a loaded 2-core machine has
    # made such cells 3-4x slower; it only catches a hung kernel, so it is the main job's limit
    run = execute(solution_notebook(lesson), mode="test", timeout=CELL_TIMEOUT_S,
                  save_to=artifacts / "executed" / f"{lesson}.ipynb")
    print(f"{lesson}: {run.seconds:.1f} s")  # timings live in the benchmark, not in asserts
    assert run.error is None, f"{lesson} fails in test mode:\n{run.error[-3000:]}"
    assert_widgets_have_static_fallback(run.notebook, lesson)
    assert_long_cells_are_heavy(run.notebook, lesson)


LONG_CELL_S = 10  # "longer than a few seconds", with room for a busy 2-core machine


def assert_long_cells_are_heavy(nb, lesson):
    """A cell that runs for more than a few seconds in test mode is a demo or training cell:
    grading must skip it, so it must carry the `heavy` tag (test_heavy_cells.py explains)."""
    from datetime import datetime

    from autograder.grading_execute import is_heavy

    for index, cell in enumerate(nb.cells):
        timing = cell.get("metadata", {}).get("execution", {})
        if cell.cell_type != "code" or is_heavy(cell) or "shell.execute_reply" not in timing:
            continue
        start, end = (datetime.fromisoformat(timing[k].replace("Z", "+00:00"))
                      for k in ("iopub.execute_input", "shell.execute_reply"))
        seconds = (end - start).total_seconds()
        assert seconds < LONG_CELL_S, (f"{lesson}: cell {index} ran {seconds:.0f} s in test mode but is not "
                                       f"tagged heavy, so grading would run it:\n{cell.source[:200]}")


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def assert_widgets_have_static_fallback(nb, lesson):
    """Every attention widget the lesson shows still shows a picture where no widget can run:
    exported to HTML with nbconvert from a notebook saved without widget state (JupyterLab's
    default), as on GitHub or in an LMS."""
    from nbconvert import HTMLExporter

    widget_cells = [c for c in nb.cells if c.cell_type == "code" and "AttentionWidget(" in c.source]
    shown = [o["data"] for c in widget_cells for o in c.get("outputs", [])
             if WIDGET_VIEW in o.get("data", {})]
    assert len(shown) >= len(widget_cells), (
        f"{lesson}: {len(widget_cells)} cells create an AttentionWidget but only {len(shown)} widget "
        "outputs were displayed (inside an if/for, use display(...))")
    saved = copy.deepcopy(nb)
    saved.metadata.pop("widgets", None)  # JupyterLab saves no widget state unless asked to
    html, _ = HTMLExporter().from_notebook_node(saved)
    for data in shown:
        assert "image/png" in data, f"{lesson}: a widget output has no static PNG fallback"
        assert f"data:image/png;base64,{data['image/png'][:64]}" in html, (
            f"{lesson}: the exported HTML does not show the widget's static picture")
