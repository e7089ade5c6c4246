"""How a notebook executes while it is graded: nbgrader's Execute step, with two changes.

**Heavy cells are skipped.** A demo or training cell carries the cell tag `heavy` (JupyterLab:
the property inspector's Cell Tags); while grading it is not run, only marked as skipped, so a
submission costs seconds and no score depends on a training run. Students, the main job and
Colab run every cell as plain code. `autograder.execute` skips the same cells when asked to
execute "as grading" (the mutation tests), so there is one rule and it lives here.

**A kernel death costs only the cell that caused it.** Left alone, nbgrader gives up on a
notebook whose kernel dies (a segfault, an out-of-memory kill, `os._exit`), and every test that
had already passed scores 0. Here the notebook is run again in a fresh kernel with the cell that
killed the kernel skipped (it gets an error output saying so, which makes a test cell score 0),
up to `max_kernel_deaths` times. Every other cell, tests included, runs as usual, so points
earned before and after the crash are kept.

**A test cell scores by its checks only.** nbgrader gives partial credit to a test cell whose
output includes a number shown as the cell's value (an `execute_result`), even one shown before
the cell's error, and gives up on the whole notebook if that number is above the cell's points.
Student code can show such a value from inside a test (`sys.displayhook(1.0)`); the course's
test cells never show one. So values shown by a test cell are removed before nbgrader scores it,
and the grader is told.

**The checks' values leave the notebook.** Each check of a test cell hands the grader one
data-only message (llmcourse/checks.py), a display output of its own type holding the value it
looked at. They are taken out of every cell here, before nbgrader or anyone reads the notebook,
and a test cell's are kept in order under its grade id: the grader (autograder/verdict.py) pairs
them with the reference's checks and judges the cell from them, not from nbgrader's score. Any
other count than the reference's scores 0, so a message written by anything but a check (the
student's function showing one) costs the cell instead of adding to it.

Which cells were skipped, which test cells showed a value and what each test cell's checks
handed over are written, for the grader, to the JSON file named by LLMCOURSE_GRADING_EVENTS in
nbgrader's own environment (outside the jail: the student's kernel cannot see or write it). nbgrader_config.py puts this
class in place of nbgrader's Execute for `autograde`, and autograder/validate.py for `validate`.
"""

import copy
import json
import os

from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode
from traitlets import Integer

from nbgrader.preprocessors import Execute

from llmcourse.check_records import MIME

EVENTS = "LLMCOURSE_GRADING_EVENTS"
HEAVY = "heavy"  # the cell tag of demo and training cells
RECORD_LIMIT = 16 * 2**20  # characters of one check's message; more is not read


def take_records(cell) -> list[str]:
    """The checks' messages a cell's outputs hold (JSON text, in order), removed from the cell.
    Any cell may show such an output; only a test cell's count, and the grader decides what they
    are worth."""
    found, kept = [], []
    for out in cell.get("outputs", []):
        data = out.get("data", {}) if out.get("output_type") == "display_data" else {}
        if MIME not in data:
            kept.append(out)
            continue
        text = data[MIME]
        text = "".join(text) if isinstance(text, list) else text
        found.append(text[:RECORD_LIMIT + 1] if isinstance(text, str) else "")
    if found:
        cell.outputs = kept
    return found


def is_heavy(cell) -> bool:
    return cell.get("cell_type") == "code" and HEAVY in cell.get("metadata", {}).get("tags", [])


def skipped_output() -> NotebookNode:
    return NotebookNode(output_type="stream", name="stdout",
                        text="(a heavy demo cell: not run while grading)\n")


class GradingExecute(Execute):
    max_kernel_deaths = Integer(3, help="kernel deaths survived before the notebook counts as "
                                        "broken (nbgrader's error)").tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        original = copy.deepcopy(nb)
        self._skipped: dict[int, str] = {}
        while True:
            self._running, self._shown_values, self._checks = None, [], {}
            try:
                result = super().preprocess(copy.deepcopy(original), resources, km)
                break
            except DeadKernelError:
                index = self._running
                if index is None or index in self._skipped or len(self._skipped) >= self.max_kernel_deaths:
                    self._record(original, died_outside_a_cell=index is None)
                    raise
                self._skipped[index] = _describe(original.cells[index], index)
                self.log.warning("the kernel died in %s; running the notebook again without it",
                                 self._skipped[index])
        self._record(original)
        return result

    def preprocess_cell(self, cell, resources, index):
        self._running = index
        if is_heavy(cell):
            cell.outputs, cell.execution_count = [skipped_output()], None
            return cell, self.resources
        if index in self._skipped:
            cell.outputs = [NotebookNode(
                output_type="error", ename="KernelDied",
                evalue="this cell stopped the kernel while grading; the notebook was graded again "
                       "without running it",
                traceback=["KernelDied: this cell stopped the kernel while grading (a crash, memory "
                           "exhausted, or an exit); it was not run in the final grading"])]
            cell.execution_count = None
            return cell, self.resources
        cell, resources = super().preprocess_cell(cell, resources, index)
        records = take_records(cell)
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade") and grade_id:
            self._checks[grade_id] = records
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade") and cell.get("cell_type") == "code":
            kept = [out for out in cell.outputs if out.get("output_type") != "execute_result"]
            if len(kept) < len(cell.outputs):
                self._shown_values.append(_describe(cell, index))
                cell.outputs = kept
        return cell, resources

    def _record(self, nb, died_outside_a_cell: bool = False):
        path = os.environ.get(EVENTS)
        if not path:
            return
        events = {"skipped_cells": [{"index": i, "cell": why} for i, why in sorted(self._skipped.items())],
                  "shown_values": self._shown_values,
                  "checks": getattr(self, "_checks", {}),
                  "gave_up": died_outside_a_cell or len(self._skipped) >= self.max_kernel_deaths}
        with open(path, "w") as f:
            json.dump(events, f)


def _describe(cell, index: int) -> str:
    grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    return f"cell {index + 1}" + (f" ({grade_id})" if grade_id else "")  # from 1, as JupyterLab counts
