"""Reading nbgrader cells out of notebooks, for the release and mutation tests."""

import re

HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*\n?", re.S | re.M)
SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)^[ \t]*### END SOLUTION", re.S | re.M)


def source(cell) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def solution_cells(nb) -> dict[str, dict]:
    return {meta(c)["grade_id"]: c for c in nb["cells"] if meta(c).get("solution")}


def graded_test_cells(nb) -> dict[str, dict]:
    """Autograded test cells: graded, not solutions, code."""
    return {meta(c)["grade_id"]: c for c in nb["cells"]
            if meta(c).get("grade") and not meta(c).get("solution") and c["cell_type"] == "code"}


def has_hidden(cell) -> bool:
    return "### BEGIN HIDDEN TESTS" in source(cell)


def strip_hidden(text: str) -> str:
    """The source a student sees: hidden test blocks removed (as nbgrader does)."""
    return HIDDEN.sub("", text)
