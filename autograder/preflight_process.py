"""Reading a student's notebook (rebuilding it on the release, the static scan) in a process of
its own, under a time and memory budget.

Parsing student bytes is the one step of a job that runs Python's parser on them in the grader's
own code: CPython 3.11 before 3.11.8 can fail (SystemError) when two threads parse at once, and a
notebook of 60 MB of `x = !echo` lines keeps IPython's transformer busy for hours. Here each
submission's parsing has a process of its own (no thread shares its parser), an address-space
limit and a wall-clock budget; past the budget the caller holds that one submission for review
and the batch goes on.
"""

import json
import os
import resource
import subprocess
import sys
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
    package = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([package, os.environ.get("PYTHONPATH", "")])}
    payload = json.dumps({"memory_mb": memory_mb}).encode() + b"\n" + release + b"\n\x00" + notebook
    try:
        proc = subprocess.run([sys.executable, "-m", "autograder.preflight_process"], input=payload,
                              capture_output=True, timeout=seconds, env=env)
    except subprocess.TimeoutExpired:
        raise OverBudget(f"reading the notebook (rebuilding it, the static scan) ran past its {seconds:g} s "
                         "budget") from None
    if proc.returncode == 3 or proc.returncode < 0:  # MemoryError, or killed (the memory limit, a signal)
        raise OverBudget(f"reading the notebook (rebuilding it, the static scan) ran out of its {memory_mb} MB "
                         "budget")
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise Failed(lines[-1][:300] if lines else f"exit status {proc.returncode}")
    return json.loads(proc.stdout)


def _invalid(notebook: dict) -> list[str]:
    """What nbformat's schema finds wrong (nbgrader repairs what it can; the record says it)."""
    import nbformat

    try:
        nbformat.validate(nbformat.from_dict(notebook))
    except Exception as e:
        return [f"the notebook does not validate ({str(e).splitlines()[0][:200]})"]
    return []


def _main() -> int:
    head = sys.stdin.buffer.readline()
    limit = json.loads(head)["memory_mb"] * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        from . import rebuild, scan

        data = sys.stdin.buffer.read()
        release_bytes, notebook_bytes = data.split(b"\n\x00", 1)
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
        sys.stdout.write(json.dumps(out))
    except MemoryError:
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(_main())
