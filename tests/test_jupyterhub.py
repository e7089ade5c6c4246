"""A class on JupyterHub, end to end, in a real browser.

A real JupyterHub (deploy/jupyterhub/jupyterhub_config.py, with DummyAuthenticator for the test)
runs on loopback behind npm's configurable-http-proxy, with an instructor and two students as
real local accounts, each user's server running as that account. The instructor releases lesson
00 through nbgrader's exchange; in headless Chromium each student logs in, fetches the lesson
from the Assignments tab, types an answer into the exercise (one right, one wrong) and submits;
the instructor collects from the exchange with `python -m autograder collect`, grades, and
releases the feedback through the exchange; each student fetches it in the browser and sees their
score. The operating system's permissions are checked too: neither student can read the other's
work or the instructor's course.

Needs root (accounts, and servers started as those accounts), Chromium and configurable-http-proxy
(scripts/system-packages.sh installs both with apt and npm); skips with the reason otherwise.
The users' servers need a Python every account can run: this one if it is readable by all,
else the system's python3 with JupyterHub, JupyterLab and nbgrader installed for it in a
world-readable folder (pip --target, the same versions as here). Screenshots go to
test-artifacts/jupyterhub/.
"""

import hashlib
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from autograder.course import REPO, make_course_dir, nbgrader

from test_browser import chromium, free_port, stop, wait_until_serving
from test_grading import LESSON

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]

INSTRUCTOR, STUDENTS = "llmc-teacher", ("llmc-ada", "llmc-bo")
PASSWORD = "course-test-password"
COURSE_ID = "transformers-from-scratch"
SERVER_PACKAGES = ("jupyterhub", "jupyterlab", "notebook", "nbgrader")


def as_user(user: str, *cmd: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(["runuser", "-u", user, "--", *cmd], capture_output=True, text=True, **kw)


def proxy() -> str:
    found = shutil.which("configurable-http-proxy")
    if found is None:
        subprocess.run(["bash", str(REPO / "scripts" / "system-packages.sh"), "configurable-http-proxy"], check=False)
        found = shutil.which("configurable-http-proxy")
    if found is None:
        pytest.skip("configurable-http-proxy (npm) is not installed and could not be: run "
                    "`bash scripts/system-packages.sh configurable-http-proxy` as root")
    return found


def server_python(probe_user: str) -> tuple[str, dict]:
    """An interpreter every account can run, and the environment that gives it the servers'
    packages: this one when others can read it, else the system python3 with a --target install."""
    check = "import jupyterhub.singleuser, nbgrader, jupyterlab"
    if as_user(probe_user, sys.executable, "-c", check, cwd="/").returncode == 0:
        return sys.executable, {}
    system = shutil.which("python3", path="/usr/bin:/usr/local/bin:/bin")
    if system is None or as_user(probe_user, system, "-c", "import sys", cwd="/").returncode != 0:
        pytest.skip("no Python that other accounts can run: this one is not readable by them "
                    f"({sys.executable}) and there is no system python3")
    version = subprocess.run([system, "-c", "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')"],
                             capture_output=True, text=True, check=True).stdout.strip()
    pins = [f"{name}=={importlib.metadata.version(name)}" for name in SERVER_PACKAGES]
    site = Path(tempfile.gettempdir()) / f"llmcourse-hub-site-{version}-{hashlib.sha1(' '.join(pins).encode()).hexdigest()[:10]}"
    if not (site / ".complete").exists():
        shutil.rmtree(site, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--target", str(site), "--python-version", version,
                        "--only-binary=:all:", *pins], check=True, capture_output=True, text=True)
        subprocess.run(["chmod", "-R", "a+rX", str(site)], check=True)
        (site / ".complete").touch()
    env = {"PYTHONPATH": str(site), "JUPYTER_PATH": str(site / "share" / "jupyter"),
           "JUPYTERLAB_DIR": str(site / "share" / "jupyter" / "lab"),
           "JUPYTER_CONFIG_PATH": str(site / "etc" / "jupyter")}
    return system, env


def accounts(home: Path) -> None:
    for user in (INSTRUCTOR, *STUDENTS):
        if subprocess.run(["id", user], capture_output=True).returncode != 0:
            subprocess.run(["useradd", "--no-create-home", "--home-dir", str(home / user), "--shell", "/bin/bash", user],
                           check=True, capture_output=True)
        else:
            subprocess.run(["usermod", "--home", str(home / user), user], check=True, capture_output=True)
        (home / user).mkdir(parents=True)
        shutil.chown(home / user, user, user)
        (home / user).chmod(0o700)


@pytest.fixture
def hub(tmp_path):
    if os.geteuid() != 0 or shutil.which("useradd") is None or shutil.which("runuser") is None:
        pytest.skip("needs root with useradd and runuser: JupyterHub starts each user's server as that user")
    chp = proxy()
    root = Path(tempfile.mkdtemp(prefix="llmcourse-hub-"))  # readable by the accounts, unlike pytest's tmp
    root.chmod(0o755)
    try:
        accounts(root / "home")
        python, env = server_python(STUDENTS[0])
        shutil.copytree(REPO / "deploy" / "jupyterhub", root / "deploy")
        subprocess.run(["chmod", "-R", "a+rX", str(root / "deploy")], check=True)
        exchange = root / "exchange"
        exchange.mkdir()
        exchange.chmod(0o1777)
        state = root / "state"
        state.mkdir(mode=0o700)
        port, hub_port, api_port = free_port(), free_port(), free_port()
        overlay = state / "test_config.py"
        overlay.write_text(
            "c = get_config()  # noqa: F821\n"
            f"load_subconfig({str(root / 'deploy' / 'jupyterhub_config.py')!r})  # noqa: F821\n"
            f"c.JupyterHub.bind_url = 'http://127.0.0.1:{port}'\n"
            f"c.JupyterHub.hub_bind_url = 'http://127.0.0.1:{hub_port}'\n"
            f"c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:{api_port}'\n"
            f"c.ConfigurableHTTPProxy.command = [{chp!r}]\n"
            f"c.JupyterHub.db_url = 'sqlite:///{state / 'hub.sqlite'}'\n"
            f"c.JupyterHub.cookie_secret_file = {str(state / 'cookie_secret')!r}\n"
            f"c.JupyterHub.pid_file = {str(state / 'hub.pid')!r}\n"
            "c.JupyterHub.authenticator_class = 'dummy'\n"
            f"c.DummyAuthenticator.password = {PASSWORD!r}\n"
            f"c.Authenticator.admin_users = {{{INSTRUCTOR!r}}}\n"
            f"c.Authenticator.allowed_users = {{{', '.join(map(repr, (INSTRUCTOR, *STUDENTS)))}}}\n"
            "c.Authenticator.allow_all = False\n"
            f"c.Spawner.cmd = [{python!r}, '-m', 'jupyterhub.singleuser']\n"
            f"c.Spawner.environment = {{**c.Spawner.environment, **{json.dumps({**env, 'LLMCOURSE_EXCHANGE': str(exchange)})}}}\n"
            "c.Spawner.http_timeout = 120\n"
            "c.Spawner.start_timeout = 120\n")
        log = open(state / "hub.log", "w")
        run_env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
        server = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(overlay)], cwd=state,
                                  env=run_env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        wait_until_serving(f"{url}/hub/api", server,
                           lambda: f"JupyterHub did not start:\n{(state / 'hub.log').read_text()[-4000:]}")
        try:
            yield dict(url=url, root=root, exchange=exchange, log=state / "hub.log")
        finally:
            stop(server, seconds=30)
            subprocess.run(["pkill", "-u", ",".join((INSTRUCTOR, *STUDENTS))], capture_output=True)
    finally:
        for user in (INSTRUCTOR, *STUDENTS):
            subprocess.run(["userdel", user], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def release_lesson(hub) -> Path:
    """The instructor's side, as root (as in a container): a course folder only root can read,
    holding its own copy of the source; generate lesson 00 and release it to the exchange."""
    course = hub["root"] / "course"
    shutil.copytree(REPO / "solutions" / LESSON, course / "source" / LESSON)
    course.chmod(0o700)
    make_course_dir(course, releases=course / "release", source=course / "source")
    nbgrader("generate_assignment", LESSON, "--force", course_dir=course)
    nbgrader("release_assignment", LESSON, f"--Exchange.root={hub['exchange']}", course_dir=course)
    return course


RIGHT = ["z = x - x.amax(dim=-1, keepdim=True)", "return z.exp() / z.exp().sum(dim=-1, keepdim=True)"]
UNSTABLE = ["return x.exp() / x.exp().sum(dim=-1, keepdim=True)"]  # overflows on large scores: 1 of 3


def log_in(browser, hub, user):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(f"{hub['url']}/hub/login", timeout=60_000)
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url(f"**/user/{user}/lab**", timeout=180_000)
    page.locator(".jp-LauncherCard").first.wait_for(timeout=120_000)
    no_news = page.get_by_role("button", name="No", exact=True)
    if no_news.count():
        no_news.first.click()  # JupyterLab's "notify about news?" toast
    return page


def assignment_list(page):
    """nbgrader's Assignments tab, opened from its menu."""
    page.locator(".lm-MenuBar-item", has_text="Nbgrader").click()
    page.get_by_role("menuitem", name="Assignment List").click()
    panel = page.locator("#released_assignments_list").locator("..").locator("..")
    page.locator("#released_assignments_list").wait_for(timeout=60_000)
    return panel


def fetch_answer_submit(page, hub, user, answer: list[str], shots: Path):
    assignment_list(page)
    page.locator("#released_assignments_list").get_by_role("button", name="Fetch").click()
    page.locator("#fetched_assignments_list").get_by_text(LESSON).first.wait_for(timeout=60_000)
    page.screenshot(path=str(shots / f"{user}-fetched.png"))
    # The exercise: open the notebook, replace the stub's `raise NotImplementedError(...)` line
    page.goto(f"{hub['url']}/user/{user}/lab/tree/{LESSON}/{LESSON}.ipynb", timeout=60_000)
    cell = page.locator(".jp-CodeCell", has_text="def softmax(").first
    cell.wait_for(timeout=120_000)
    stub = cell.locator(".cm-line", has_text="raise NotImplementedError")
    stub.click()
    page.keyboard.press("End")
    page.keyboard.press("Shift+Home")
    for i, line in enumerate(answer):
        if i:
            page.keyboard.press("Enter")
        page.keyboard.type(line)
    page.keyboard.press("Control+s")
    page.wait_for_timeout(1500)
    page.screenshot(path=str(shots / f"{user}-answered.png"))
    assert "NotImplementedError" not in cell.inner_text()
    assignment_list(page)
    page.locator("#fetched_assignments_list").get_by_role("button", name="Submit").first.click()
    page.locator("#submitted_assignments_list").get_by_text(LESSON).first.wait_for(timeout=60_000)
    page.screenshot(path=str(shots / f"{user}-submitted.png"))


def feedback_in_browser(page, user: str, shots: Path) -> str:
    """Fetch Feedback, follow "view feedback" to the feedback folder, open the page: its title."""
    assignment_list(page)
    submitted = page.locator("#submitted_assignments_list")
    submitted.get_by_role("button", name="Fetch Feedback").first.click()
    link = submitted.get_by_text("view feedback").first
    link.wait_for(timeout=60_000)
    link.click()
    page.locator(".jp-DirListing-item", has_text=f"{LESSON}.html").dblclick()
    title = page.frame_locator(".jp-HTMLViewer iframe").locator("h1")
    title.wait_for(timeout=60_000)
    page.screenshot(path=str(shots / f"{user}-feedback.png"))
    return title.inner_text()


def test_a_class_on_jupyterhub_from_release_to_feedback(hub, artifacts):
    from playwright.sync_api import sync_playwright

    from autograder import gradebook
    from autograder.__main__ import main

    shots = artifacts / "jupyterhub"
    shots.mkdir(parents=True, exist_ok=True)
    course = release_lesson(hub)
    ada, bo = STUDENTS
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        pages = {}
        try:
            for user, answer in ((ada, RIGHT), (bo, UNSTABLE)):
                pages[user] = page = log_in(browser, hub, user)
                fetch_answer_submit(page, hub, user, answer, shots)

            inbound = hub["exchange"] / COURSE_ID / "inbound"
            assert main(["collect", str(inbound), "--course", str(course), "--lessons", LESSON]) == 0
            assert main(["grade", "--allow-unjailed", "--course", str(course), "--lessons", LESSON]) == 0
            assert gradebook.scores(course, LESSON) == {ada: (3, 3), bo: (1, 3)}
            nbgrader("release_feedback", LESSON, f"--Exchange.root={hub['exchange']}", course_dir=course)

            assert feedback_in_browser(pages[ada], ada, shots) == f"{LESSON}: 3 / 3"
            assert feedback_in_browser(pages[bo], bo, shots) == f"{LESSON}: 1 / 3"

            # Through the hub, bo's session cannot reach ada's server
            other = pages[bo].request.get(f"{hub['url']}/user/{ada}/api/contents/{LESSON}")
            assert other.status == 403, (other.status, other.url)  # after the hub's OAuth round trip
            # and a student's server has no formgrader (deploy/jupyterhub/student/)
            assert pages[bo].request.get(f"{hub['url']}/user/{bo}/formgrader", max_redirects=0).status == 404
        except Exception:
            for user, page in pages.items():
                page.screenshot(path=str(shots / f"{user}-failure.png"), full_page=True)
            raise
        finally:
            browser.close()

    # And on disk, as the accounts themselves: no listing of the exchange's inbound folder (where
    # submissions wait, under unguessable names), no other home, no instructor's course.
    submitted = next(inbound.glob(f"{ada}+{LESSON}+*"))
    for who, other in ((ada, bo), (bo, ada)):
        assert as_user(who, "ls", str(inbound), cwd="/").returncode != 0
        assert as_user(who, "cat", str(hub["root"] / "home" / other / LESSON / f"{LESSON}.ipynb"), cwd="/").returncode != 0
        assert as_user(who, "ls", str(course / "source"), cwd="/").returncode != 0
        assert as_user(who, "cat", str(course / "source" / LESSON / f"{LESSON}.ipynb"), cwd="/").returncode != 0
        assert as_user(who, "cat", str(course / "gradebook.db"), cwd="/").returncode != 0
    # nbgrader leaves the submitted files readable by all (the instructor is another account):
    # what keeps them private is that inbound/ cannot be listed and the folder's name ends in a
    # random part nobody can guess (docs/jupyterhub.md says so, and what to use for more)
    assert len(submitted.name.rsplit("+", 1)[-1]) >= 10
