"""Run a notebook top to bottom in a fresh kernel (nbclient), the way a student's "Run All" does."""

import json
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from traitlets.config import Config

from llmcourse.mode import current_mode

from .grading_execute import is_heavy, skipped_output


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


class _GradingClient(NotebookClient):
    """Runs a notebook the way grading does: heavy cells are not run (grading_execute.is_heavy)."""

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        if is_heavy(cell):
            cell.outputs, cell.execution_count = [skipped_output()], None
            return cell
        return await super().async_execute_cell(cell, cell_index, execution_count, store_history)


def execute(path: Path, *, mode: str | None = None, env: dict | None = None, timeout: int = 600,
            allow_errors: bool = False, notebook: nbformat.NotebookNode | None = None,
            save_to: Path | None = None, measure_memory: bool = False, as_grading: bool = False) -> Run:
    """Execute `notebook` (default: read from `path`) with the kernel's working directory at
    path's folder, LLMCOURSE_MODE=mode (default: llmcourse.mode's choice), and `env` added to
    the environment. `as_grading` skips
    the heavy cells, as nbgrader does when it grades."""
    path = Path(path).resolve()
    nb = notebook if notebook is not None else nbformat.read(path, as_version=4)
    if measure_memory:
        nb.cells.append(nbformat.v4.new_code_cell(_PEAK_PROBE))
    mode = mode or current_mode()
    kernel_env = {**os.environ, "LLMCOURSE_MODE": mode, "PYTHONUNBUFFERED": "1", **(env or {})}
    start, error = time.perf_counter(), None
    with tempfile.TemporaryDirectory(prefix="lx-", dir="/tmp") as sockets:  # short: socket paths < 108
        # Unix sockets, not TCP on localhost: no port to race for, and no "TCP without
        # encryption" warning from every kernel.
        config = Config()
        config.KernelManager.transport, config.KernelManager.ip = "ipc", f"{sockets}/k"
        client = (_GradingClient if as_grading else NotebookClient)(
            nb, config=config, timeout=timeout, kernel_name="python3", allow_errors=allow_errors,
            resources={"metadata": {"path": str(path.parent)}})  # the client owns, and ends, its kernel
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
