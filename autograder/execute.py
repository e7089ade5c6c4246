"""Run a notebook top to bottom in a fresh kernel (nbclient), the way a student's "Run All" does."""

import os
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


@dataclass
class Run:
    notebook: nbformat.NotebookNode  # with outputs
    seconds: float
    error: str | None  # the first failing cell's error, when allow_errors is False


def execute(path: Path, *, mode: str = "fast", env: dict | None = None, timeout: int = 600,
            allow_errors: bool = False, notebook: nbformat.NotebookNode | None = None,
            save_to: Path | None = None) -> Run:
    """Execute `notebook` (default: read from `path`) with the kernel's working directory at
    path's folder, LLMCOURSE_MODE=mode, and `env` added to the environment."""
    path = Path(path).resolve()
    nb = notebook if notebook is not None else nbformat.read(path, as_version=4)
    kernel_env = {**os.environ, "LLMCOURSE_MODE": mode, "PYTHONUNBUFFERED": "1", **(env or {})}
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=allow_errors,
                            resources={"metadata": {"path": str(path.parent)}})
    start, error = time.perf_counter(), None
    try:
        client.execute(env=kernel_env)
    except CellExecutionError as e:
        error = str(e)
    seconds = time.perf_counter() - start
    if save_to is not None:
        Path(save_to).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, save_to)
    return Run(nb, seconds, error)


def cell_errors(nb: nbformat.NotebookNode) -> dict[str, str]:
    """{grade_id or cell index: error text} for every cell whose output holds an error."""
    errors = {}
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                key = cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {i}"
                errors[key] = f"{out.get('ename')}: {out.get('evalue')}"
    return errors
