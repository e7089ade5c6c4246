"""Reading a student's notebook (rebuilding it on the release, the static scan) in a process of
its own, under a time and memory budget.

Parsing student bytes is the one step of a job that runs Python's parser on them in the grader's
own code: CPython 3.11 before 3.11.8 can fail (SystemError) when two threads parse at once, and a
notebook of 60 MB of `x = !echo` lines keeps IPython's transformer busy for hours. Here each
submission's parsing has a process of its own (no thread shares its parser), an address-space
limit and a wall-clock budget; past the budget the caller holds that one submission for review
and the batch goes on. The process is forked from the grader's warm server
(autograder/nbgrader_process.py), which imported these modules once.
"""

import json
from pathlib import Path

SECONDS = 120      # a class's notebooks take well under a second each
MEMORY_MB = 2048


class OverBudget(Exception):
    """The student's notebook took more than its budget to read: review it by hand."""


class Failed(Exception):
    """The grader's own code failed on this notebook (a bug): not the student's doing."""


def read(notebook: bytes, release: bytes, seconds: float = SECONDS, memory_mb: int = MEMORY_MB) -> dict:
    """{"notebook": rebuilt JSON, "origin", "problems", "flags": [{"text", "hold"}]} for a notebook
    whose JSON was already checked (cells are objects with a cell_type)."""
    from . import nbgrader_process

    exit, out, timed_out = nbgrader_process.preflight(release + b"\n\x00" + notebook, memory_mb, seconds)
    if timed_out:
        raise OverBudget(f"reading the notebook (rebuilding it, the static scan) ran past its {seconds:g} s "
                         "budget")
    if exit == MEMORY or (exit is not None and exit < 0):  # MemoryError, or killed (a signal)
        raise OverBudget(f"reading the notebook (rebuilding it, the static scan) ran out of its {memory_mb} MB "
                         "budget")
    if exit != 0:
        lines = out.decode("utf-8", "replace").strip().splitlines()
        raise Failed(lines[-1][:300] if lines else f"exit status {exit}")
    return json.loads(out)


def _invalid(notebook: dict) -> list[str]:
    """What nbformat's schema finds wrong (nbgrader repairs what it can; the record says it)."""
    import nbformat

    try:
        nbformat.validate(nbformat.from_dict(notebook))
    except Exception as e:
        return [f"the notebook does not validate ({str(e).splitlines()[0][:200]})"]
    return []


MEMORY = 3  # the exit status of a reading that ran out of memory


def work(given: Path) -> tuple[int, bytes]:
    """(exit status, JSON or the failure's last line) for the release and the notebook in the file
    `given`, run in a child of the warm server under the memory limit it set."""
    try:
        from . import rebuild, scan

        release_bytes, notebook_bytes = given.read_bytes().split(b"\n\x00", 1)
        release, submitted = json.loads(release_bytes), json.loads(notebook_bytes)
        problems = _invalid(submitted)
        built = rebuild.rebuild(submitted, release)
        ours = {rebuild.source(c).strip() for c in release["cells"]}
        flags = scan.scan_cells(built.notebook["cells"], ours)
        for flag in flags:  # cell numbers as the student's notebook has them
            origin = built.origin[flag.cell]
            flag.cell = origin if origin is not None else flag.cell
        out = {"notebook": built.notebook, "origin": built.origin, "problems": problems + built.problems,
               "flags": [{"text": text, "hold": False} for text in built.flags] +
                        [{"text": str(f), "hold": f.hold} for f in flags]}
        return 0, json.dumps(out).encode()
    except MemoryError:
        return MEMORY, b""
    except Exception as e:  # the grader's own failure on this notebook: said, never the student's 0
        return 1, f"{type(e).__name__}: {e}".encode("utf-8", "replace")[-300:]
