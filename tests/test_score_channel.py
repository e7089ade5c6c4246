"""What a graded kernel sends decides nothing but its values; what it writes reaches no page as
anything but passive, escaped text. Graded for real (nbgrader in the jail) in one small batch:

- records forged from the student's function (the release's visible values, then an error whose
  str() fails; more checks than the reference), and a display hook that rewrites every message so
  that value := expected, on lesson 01's causal-mask test (its checks are visible: the release
  shows every expected value);
- an honest answer wrong only where a hidden check looks, held points, and one notebook whose
  cells after the tests raise its hidden tests (read from the input history, reversed) as error
  messages and show outputs built to run script in formgrader (HTML with an event handler,
  JavaScript, an image's metadata, Markdown), on lesson 00;
- formgrader's page of that submission and its feedback page, opened in Chromium: no script runs.
"""

import html
import json
import os
import re

import nbformat
import pytest

from autograder import feedback, gradebook
from autograder.course import solution_notebook
from autograder.grade import grade_all, prepare
from autograder.sandbox import Limits
from test_browser import chromium, free_port, jupyter_server
from test_grading import solution_code

LIMITS = Limits(cell_timeout=20, notebook_timeout=180, memory_mb=4096, output_mb=5)
MIME = "text/vnd.llmcourse.checks" + "+json"
# the visible checks of 01's test_causal_mask as the release shows them, each with its expected value
VISIBLE = [("plain", "torch.bool"),
           ("close", {"shape": [3, 3], "values": [1, 0, 0, 1, 1, 0, 1, 1, 1]}),
           ("close", {"shape": [1, 1], "values": [1]}),
           ("close", {"shape": [6, 6], "values": [float(j <= i) for i in range(6) for j in range(6)]})]
FORGED = [{"kind": kind, "what": "w", "value": value, "expected": value, "atol": 0, "rtol": 0,
           "ok": True, "why": "", "line": 1} for kind, value in VISIBLE]

# A constant answer, and a hook on IPython's display publisher that copies every message's
# expected value into its value (names built at run time, out of the scan's sight)
HOOK = '''import json, torch
def causal_mask(T):
    return torch.zeros(T, T, dtype=torch.bool)
def rewrite(msg):
    data = msg.get("content", {}).get("data", {})
    if MIME in data:
        record = json.loads(data[MIME])
        for check in record.get("checks", [record]):
            if "expected" in check:
                check["value"] = check["expected"]
        data[MIME] = json.dumps(record)
    return msg
getattr(globals()["get_" + "ipython"]().display_pub, "register_" + "hook")(rewrite)
'''
# The function shows one record with the release's visible values, then raises an error whose
# str() raises, so the real record is never sent
FORGED_THEN_RAISE = '''import json, torch
class Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("no")
def causal_mask(T):
    show = getattr(__import__("IPython.display", fromlist=["x"]), "publish_display_data")
    show({MIME: json.dumps({"exercise": "causal mask", "error": None, "checks": FORGED})})
    raise Unprintable()
'''
# The real record silenced; a forged one with more checks than the reference, the first ones right
EXTRA_CHECKS = '''import json, sys, torch
def causal_mask(T):
    m = sys.modules["llmcourse." + "checks"]
    setattr(m, "_pub" + "lish", lambda record: None)
    show = getattr(__import__("IPython.display", fromlist=["x"]), "publish_display_data")
    if T == 3:
        show({MIME: json.dumps({"exercise": "causal mask", "error": None, "checks": FORGED * 3})})
    return torch.zeros(T, T, dtype=torch.bool)
'''
# Right on every input but a 3-D one, which only a hidden matches_solution check gives it
HIDDEN_ONLY_WRONG = '''import torch
def softmax(x):
    dim = 1 if x.dim() == 3 else -1
    e = (x - x.max(dim=dim, keepdim=True).values).exp()
    return e / e.sum(dim=dim, keepdim=True)
'''
# Cells after the tests read the input history and raise its hidden tests, reversed, as errors
# (and as the name of an exception class)
LEAK_BY_ERRORS = '''source = "".join(c for c in In if c.startswith("from llmcourse.checks"))[::-1]
chunk = int(globals().get("_chunk", -1)) + 1
globals()["_chunk"] = chunk
Leak = type("H" + "".join(ch for ch in source[chunk * 40:chunk * 40 + 40] if ch.isalnum()), (Exception,), {})
raise Leak(source[chunk * 120:chunk * 120 + 120])
'''
SCRIPT = "document.title = 'pwned'; window.pwned = (window.pwned || 0) + 1"
ACTIVE_OUTPUTS = f'''from IPython.display import display
display({{"text/html": "<b>bold</b><img src='x' onerror=\\"{SCRIPT}\\">", "text/plain": "x"}}, raw=True)
display({{"application/javascript": "{SCRIPT}", "text/plain": "js"}}, raw=True)
display({{"image/png": "iVBORw0KGgo=", "text/plain": "png"}}, metadata={{"image/png": {{"width": "1 onerror={SCRIPT.replace(" ", "")}"}}}}, raw=True)
'''
ACTIVE_MARKDOWN = f"A note <img src='y' onerror=\"{SCRIPT}\"> and <script>{SCRIPT}</script>"


def _with_code(course, lesson: str, grade_id: str, code: str, extra=()) -> bytes:
    nb = nbformat.read(course / "release" / lesson / f"{lesson}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            cell.source = code
    nb.cells += list(extra)
    return json.dumps(nb).encode()


def _constants(code: str) -> str:
    return f"MIME = {MIME!r}\nFORGED = {FORGED!r}\n" + code


@pytest.fixture(scope="session")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("score-channel")
    course = prepare(root / "course", ["00_setup", "01_attention"])
    good = solution_code()
    code, markdown = nbformat.v4.new_code_cell, nbformat.v4.new_markdown_cell
    submissions = {
        ("hook", "01_attention"): _with_code(course, "01_attention", "masks", _constants(HOOK)),
        ("forged-then-raise", "01_attention"): _with_code(course, "01_attention", "masks", _constants(FORGED_THEN_RAISE)),
        ("extra-checks", "01_attention"): _with_code(course, "01_attention", "masks", _constants(EXTRA_CHECKS)),
        ("hidden-only-wrong", "00_setup"): _with_code(course, "00_setup", "softmax", HIDDEN_ONLY_WRONG),
        ("held", "00_setup"): _with_code(course, "00_setup", "softmax", "import inspect\n_ = inspect.stack\n" + good),
        ("hostile-outputs", "00_setup"): _with_code(course, "00_setup", "softmax", good,
                                                    [code(LEAK_BY_ERRORS) for _ in range(6)]
                                                    + [code(ACTIVE_OUTPUTS), markdown(ACTIVE_MARKDOWN)]),
    }
    for (student, lesson), data in submissions.items():
        target = course / "submitted" / student / lesson / f"{lesson}.ipynb"
        target.parent.mkdir(parents=True)
        target.write_bytes(data)
    jobs = grade_all(course, ["00_setup", "01_attention"], LIMITS, allow_unjailed=True)
    feedback.write_all(course)
    return course, {(j.student, j.lesson): j for j in jobs}


def _test(job, grade_id: str) -> dict:
    return next(t for t in job.tests if t["grade_id"] == grade_id)


pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("score-channel")]


@pytest.mark.parametrize("student", ["hook", "forged-then-raise", "extra-checks"])
def test_forged_or_rewritten_records_earn_nothing(batch, student):
    """A constant answer scores 0 on the causal-mask test whatever its kernel sends: values are
    paired with the reference's checks, exactly as many, and no message carries an expected value
    to copy."""
    course, jobs = batch
    job = jobs[(student, "01_attention")]
    assert _test(job, "test_causal_mask")["status"] == "failed", _test(job, "test_causal_mask")
    assert job.raw_score == 0, job.tests


def test_an_honest_answer_failing_a_hidden_check_is_not_flagged(batch):
    course, jobs = batch
    job = jobs[("hidden-only-wrong", "00_setup")]
    assert _test(job, "test_softmax_small")["points"] == 0 and _test(job, "test_softmax_stable")["points"] == 2
    assert not [f for f in job.flags if "kernel reported a pass" in f], job.flags


def test_held_points_show_as_pending_review(batch):
    course, jobs = batch
    job = jobs[("held", "00_setup")]
    assert job.raw_score == 3 and job.score == 0 and set(job.held) == {"test_softmax_small", "test_softmax_stable"}
    page = (course / "feedback" / "held" / "00_setup" / "00_setup.html").read_text()
    assert "softmax on small inputs: 1 point pending review" in page and "3 points pending review" in page
    assert "failed (" not in page, page


def test_feedback_lists_tests_in_notebook_order_under_their_exercise_names(batch):
    """Lesson 01's test cells are not in alphabetical order: the record and the page keep the
    notebook's, and head each test with the name its test cell gives `exercise(...)`."""
    course, jobs = batch
    cells = [c for c in nbformat.read(solution_notebook("01_attention"), as_version=4).cells
             if c.metadata.get("nbgrader", {}).get("grade")]
    in_order = [(c.metadata["nbgrader"]["grade_id"], re.search(r'exercise\("([^"]+)"\)', c.source)[1]) for c in cells]
    assert [gid for gid, _ in in_order] != sorted(gid for gid, _ in in_order)
    job = jobs[("hook", "01_attention")]
    assert [(t["grade_id"], t["title"]) for t in job.tests] == in_order
    page = (course / "feedback" / "hook" / "01_attention" / "01_attention.html").read_text()
    shown = re.findall(r"<h3[^>]*>(.*?): ", page)
    assert shown == [html.escape(name) for _, name in in_order], shown


def _reversed_hidden_pieces(lesson: str, size: int = 16) -> set[str]:
    """Every `size` letters and digits in a row of the lesson's hidden tests, read backwards."""
    cells = nbformat.read(solution_notebook(lesson), as_version=4).cells
    text = "".join(part for c in cells for part in re.findall(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS",
                                                             c.source, re.S))
    squeezed = re.sub(r"[\W_]+", "", text)[::-1]
    return {squeezed[i:i + size] for i in range(len(squeezed) - size + 1)}


def test_hidden_tests_raised_as_errors_do_not_reach_the_feedback(batch):
    """Cells after the tests raise errors whose messages (and class names) are the hidden tests
    reversed: the page names only built-in exception types."""
    course, jobs = batch
    job = jobs[("hostile-outputs", "00_setup")]
    assert job.raw_score == 3
    page = (course / "feedback" / "hostile-outputs" / "00_setup" / "00_setup.html").read_text()
    squeezed = re.sub(r"[\W_]+", "", page)
    reversed_pieces = _reversed_hidden_pieces("00_setup")
    found = [squeezed[i:i + 16] for i in range(len(squeezed) - 15) if squeezed[i:i + 16] in reversed_pieces]
    assert not found, found
    assert len(job.cell_errors) == 6 and all(e.endswith("raised an error") for e in job.cell_errors), job.cell_errors


def _formgrader_url(course, student: str, lesson: str) -> str:
    with gradebook.opened(course) as gb:
        notebook_id = gb.find_submission_notebook(lesson, lesson, student).id
    return f"/formgrader/submissions/{notebook_id}/?index=0"


@pytest.fixture(scope="session")
def formgrader(batch, tmp_path_factory):
    """Jupyter server with nbgrader's formgrader, in the graded course folder, on loopback."""
    course, _ = batch
    port = free_port()
    runtime = tmp_path_factory.mktemp("formgrader-runtime")
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(runtime))
    with jupyter_server("jupyter_server", port, course, cwd=course, env=env) as url:
        yield url


def test_formgrader_and_feedback_pages_run_no_script_of_the_student(batch, formgrader):
    from playwright.sync_api import sync_playwright

    course, _ = batch
    pages = {"formgrader": formgrader + _formgrader_url(course, "hostile-outputs", "00_setup"),
             "feedback": (course / "feedback" / "hostile-outputs" / "00_setup" / "00_setup.html").as_uri()}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        try:
            for name, url in pages.items():
                page = browser.new_page()
                dialogs = []
                page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
                page.goto(url, timeout=60_000)
                page.wait_for_load_state("load")
                page.wait_for_timeout(1500)  # a broken image's onerror fires after load
                assert page.evaluate("window.pwned") is None and page.title() != "pwned", name
                assert not dialogs, name
                if name == "formgrader":  # the submission is there, with its harmless parts
                    body = page.inner_text("body")
                    assert "bold" in body and "A note" in body and "softmax" in body, body[:2000]
                page.close()
        finally:
            browser.close()
