"""Run a notebook top to bottom in a fresh kernel (nbclient), the way a student's "Run All" does."""

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


# Appended when measuring: the kernel reports its own peak memory before it shuts down.
_PEAK_PROBE = """import json as _json, resource as _resource, sys as _sys
_peak = {"peak_rss_mb": _resource.getrusage(_resource.RUSAGE_SELF).ru_maxrss / 1024}
if "torch" in _sys.modules and _sys.modules["torch"].cuda.is_available():
    _peak["peak_gpu_mb"] = _sys.modules["torch"].cuda.max_memory_allocated() / 2**20
print("PEAK" + _json.dumps(_peak))"""


@dataclass
class Run:
    notebook: nbformat.NotebookNode  # with outputs
    seconds: float
    error: str | None  # the first failing cell's error, when allow_errors is False
    peak: dict = field(default_factory=dict)  # peak_rss_mb (and peak_gpu_mb), when measured


def execute(path: Path, *, mode: str = "fast", env: dict | None = None, timeout: int = 600,
            allow_errors: bool = False, notebook: nbformat.NotebookNode | None = None,
            save_to: Path | None = None, measure_memory: bool = False) -> Run:
    """Execute `notebook` (default: read from `path`) with the kernel's working directory at
    path's folder, LLMCOURSE_MODE=mode, and `env` added to the environment."""
    path = Path(path).resolve()
    nb = notebook if notebook is not None else nbformat.read(path, as_version=4)
    if measure_memory:
        nb.cells.append(nbformat.v4.new_code_cell(_PEAK_PROBE))
    kernel_env = {**os.environ, "LLMCOURSE_MODE": mode, "PYTHONUNBUFFERED": "1", **(env or {})}
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=allow_errors,
                            resources={"metadata": {"path": str(path.parent)}})
    start, error = time.perf_counter(), None
    try:
        client.execute(env=kernel_env)
    except CellExecutionError as e:
        error = str(e)
    seconds = time.perf_counter() - start
    peak = {}
    if measure_memory:
        probe = nb.cells.pop()
        text = "".join(o.get("text", "") for o in probe.get("outputs", []))
        if "PEAK" in text:
            peak = json.loads(text.split("PEAK", 1)[1])
    if save_to is not None:
        Path(save_to).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, save_to)
    return Run(nb, seconds, error, peak)


def cell_errors(nb: nbformat.NotebookNode) -> dict[str, str]:
    """{grade_id or cell index: error text} for every cell whose output holds an error."""
    errors = {}
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                key = cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {i}"
                errors[key] = f"{out.get('ename')}: {out.get('evalue')}"
    return errors
