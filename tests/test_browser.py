"""What a student sees in a real browser: JupyterLab on loopback, headless Chromium via Playwright.

The notebooks under test are made of a lesson's own cells (the attention widget: its setup cell
and the cell that shows the real model's attention; a failed check: lesson 00's release with a
wrong answer typed in), so they test what a student sees. Chromium comes from the system
(Debian's `chromium` package; scripts/system-packages.sh installs it); Playwright's own browser
download is never used. The screenshot is kept in test-artifacts/browser/.
"""

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from autograder.course import REPO, release_notebook, solution_notebook

LESSON = "02_multihead_attention"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]


def chromium() -> str:
    found = next((p for p in CHROMIUM_CANDIDATES if Path(p).exists()), None) or shutil.which("chromium")
    if found is None:
        installer = REPO / "scripts" / "system-packages.sh"
        subprocess.run(["bash", str(installer), "chromium"], check=False)
        found = next((p for p in CHROMIUM_CANDIDATES if Path(p).exists()), None)
    if found is None:
        pytest.skip("no Chromium on this machine and it could not be installed (needs root and "
                    "apt-get: run `bash scripts/system-packages.sh chromium`)")
    return found


def widget_notebook(folder: Path) -> Path:
    """The lesson's setup cell and its attention-widget cell (plus the import that cell relies
    on from earlier in the lesson), as a notebook."""
    lesson = nbformat.read(solution_notebook(LESSON), as_version=4)
    setup = next(c for c in lesson.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "setup")
    shown = next(c for c in lesson.cells if c.cell_type == "code" and "AttentionWidget(" in c.source)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(setup.source),
                                         nbformat.v4.new_code_cell("import torch"),
                                         nbformat.v4.new_code_cell(shown.source)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / "attention.ipynb"
    nbformat.write(nb, path)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_serving(url: str, server: subprocess.Popen, failure, seconds: float = 120) -> None:
    """Poll `url` until it answers; fail the test with failure() if the server exits or is too slow."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(failure())
            time.sleep(0.5)


@contextlib.contextmanager
def jupyter_server(app: str, port: int, root: Path, *options: str, ready: str = "/api/status", **popen):
    """`python -m <app>` (jupyterlab, jupyter_server) on loopback at `port`, serving `root`, no
    token; yields its URL once `ready` answers and stops it afterwards."""
    server = subprocess.Popen(
        [sys.executable, "-m", app, "--no-browser", f"--ServerApp.port={port}", "--ServerApp.ip=127.0.0.1",
         "--ServerApp.port_retries=0", "--IdentityProvider.token=", "--ServerApp.password=", "--allow-root",
         f"--ServerApp.root_dir={root}", *options],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **popen)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url + ready, server, lambda: f"{app} did not start:\n{server.stdout.read()[-3000:]}")
        yield url
    finally:
        stop(server)


def stop(server: subprocess.Popen, seconds: float = 20) -> None:
    """Ask a server to stop; kill it if it has not within `seconds`."""
    server.terminate()
    try:
        server.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        server.kill()


@pytest.fixture
def jupyterlab(tmp_path):
    """A JupyterLab server on a free loopback port, token off, news and update checks off."""
    port = free_port()
    settings = tmp_path / "settings"
    quiet = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    quiet.parent.mkdir(parents=True)
    quiet.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), LLMCOURSE_DEVICE="cpu",
               JUPYTERLAB_SETTINGS_DIR=str(settings))
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    with jupyter_server("jupyterlab", port, tmp_path, "--ServerApp.disable_check_xsrf=True",
                        f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}", "--LabApp.news_url=None",
                        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", env=env) as url:
        yield url


@contextlib.contextmanager
def lab_page_running(jupyterlab, notebook, failure_shot):
    """Chromium on `notebook` in JupyterLab, every cell started with Run All once the kernel is
    idle (cells sent while it starts can be dropped); a full-page screenshot to `failure_shot`
    if the body fails."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(f"{jupyterlab}/lab/tree/{notebook.name}", timeout=120_000)
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
            page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=120_000)
            page.locator(".lm-MenuBar-item", has_text="Run").first.click()
            page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
            yield page
        except Exception:
            page.screenshot(path=str(failure_shot), full_page=True)
            raise
        finally:
            browser.close()


def test_attention_widget_renders_and_reacts_in_chromium(jupyterlab, tmp_path, artifacts):
    notebook = widget_notebook(tmp_path)
    shots = artifacts / "browser"
    shots.mkdir(parents=True, exist_ok=True)
    with lab_page_running(jupyterlab, notebook, shots / "failure.png") as page:
        image = page.locator(".jp-OutputArea-output img.widget-image").first
        image.wait_for(state="visible", timeout=180_000)
        page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                               arg=image.element_handle(), timeout=60_000)
        before = image.screenshot()
        page.screenshot(path=str(shots / "before.png"), full_page=True)

        layer = page.locator(".widget-dropdown", has_text="layer").locator("select")
        layer.select_option(label="4")
        changed = False
        for _ in range(60):  # the kernel redraws and sends a new PNG
            page.wait_for_timeout(500)
            if image.screenshot() != before:
                changed = True
                break
        page.screenshot(path=str(shots / "after.png"), full_page=True)
        assert changed, "the heatmap did not change after choosing another layer"
        readout = page.locator(".widget-html", has_text="attends most to").first.inner_text()
        assert "layer 4" in readout, f"the readout did not follow the layer control: {readout!r}"


# Sums over the whole tensor, not each row: right shape, wrong values
WRONG_SOFTMAX = """import torch


def softmax(x: torch.Tensor) -> torch.Tensor:
    return x.exp() / x.exp().sum()
"""


def test_a_failed_check_shows_its_list_once_and_no_traceback(jupyterlab, tmp_path, artifacts):
    """Lesson 00's release with a wrong softmax typed in, run in JupyterLab: the test cell shows the
    ✗ list once and one "N of M checks failed" line, no traceback into the course's code."""
    nb = nbformat.read(release_notebook("00_setup"), as_version=4)
    answer = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "softmax")
    answer.source = WRONG_SOFTMAX
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook = tmp_path / "00_setup.ipynb"
    nbformat.write(nb, notebook)
    shots = artifacts / "browser"
    shots.mkdir(parents=True, exist_ok=True)
    with lab_page_running(jupyterlab, notebook, shots / "failure-failed-check.png") as page:
        failed = page.locator(".jp-OutputArea", has_text="checks failed")
        failed.first.wait_for(state="attached", timeout=180_000)
        page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=120_000)  # Run All stopped
        failed.first.scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "failed-check.png"), full_page=True)
        assert failed.count() == 1, "only the first failing test cell ran (Run All stops there)"
        shown = failed.first.text_content()
        crosses = [line.strip() for line in shown.splitlines() if line.strip().startswith("✗")]
        assert crosses, shown
        assert all(shown.count(line) == 1 for line in crosses), f"a ✗ line shows twice:\n{shown}"
        assert len(re.findall(r"\d+ of \d+ checks failed", shown)) == 1, shown
        leaks = [word for word in ("Traceback", "checks.py", "AssertionError", "llmcourse/", "File ")
                 if word in shown]
        assert not leaks, f"the output shows {leaks}:\n{shown}"
