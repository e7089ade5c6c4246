"""formgrader's "Generate Feedback" (nbgrader generate_feedback) gives the course's verdict page.

The course folder is made as grading leaves it (gradebook rows, the autograded notebook, a
record), without running a grade: the autograded notebook is the solution itself, so a page
rendered from it, as nbgrader's own feedback is, shows the hidden tests.
"""

import os
import shutil
import sys
from pathlib import Path

import pytest

from autograder import gradebook
from autograder.course import CourseFolder, nbgrader, solution_notebook
from autograder.grade import prepare
from autograder.record import Record

LESSON = "00_setup"
pytestmark = pytest.mark.xdist_group("formgrader")  # one worker builds the course once
LEAKS = ("BEGIN HIDDEN TESTS", "matches_solution")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """alice graded (a record), bob autograded by nbgrader but never by the course (no record)."""
    course = prepare(tmp_path_factory.mktemp("formgrader") / "course", [LESSON])
    folder = CourseFolder(course)
    for student in ("alice", "bob"):
        for target in (folder.submission(student, LESSON), folder.autograded(student, LESSON)):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(solution_notebook(LESSON), target)
        gradebook.store(course, student, LESSON, {}, [])
    gradebook.set_names(course, {"alice": ("Alice", "Liddell", "")})  # what `report --lms` does from a roster
    Record("alice", LESSON, score=2, max_score=3, tests=[
        {"grade_id": "test_softmax_small", "points": 2, "max_points": 3, "status": "failed",
         "message": "✓ rows sum to 1\n✗ matches the solution on random inputs (hidden)"}]).save(course)
    return course


def test_generate_feedback_writes_the_verdict_page(course):
    proc = nbgrader("generate_feedback", LESSON, "--student", "alice", "--force", course_dir=course)
    page = CourseFolder(course).feedback("alice", LESSON).read_text()
    assert "test_softmax_small" in page and "matches the solution on random inputs" in page, proc.stderr[-2000:]
    assert not [leak for leak in LEAKS if leak in page]


def test_generate_feedback_refuses_a_submission_the_course_did_not_grade(course):
    proc = nbgrader("generate_feedback", LESSON, "--student", "bob", "--force", course_dir=course, check=False)
    assert proc.returncode != 0
    assert "no grading record for bob / 00_setup" in proc.stdout + proc.stderr
    target = CourseFolder(course).feedback("bob", LESSON)
    assert not target.exists() or not [leak for leak in LEAKS if leak in target.read_text()]


@pytest.mark.slow
def test_the_formgrader_button_in_chromium(course, tmp_path, artifacts):
    """An instructor clicks "Generate Feedback" for alice in formgrader, then opens the page."""
    from playwright.sync_api import sync_playwright

    from test_browser import chromium, free_port, jupyter_server

    executable = chromium()
    target = CourseFolder(course).feedback("alice", LESSON)
    target.unlink(missing_ok=True)
    port = free_port()
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), JUPYTER_CONFIG_DIR=str(tmp_path / "cfg"))
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    shots = artifacts / "formgrader"
    shots.mkdir(parents=True, exist_ok=True)
    with jupyter_server("jupyter_server", port, course, "--ServerApp.disable_check_xsrf=True",
                        "--ServerApp.jpserver_extensions={'nbgrader.server_extensions.formgrader': True}",
                        ready="/formgrader", cwd=course, env=env) as url:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
            page = browser.new_page()
            try:
                page.goto(f"{url}/formgrader/manage_submissions/{LESSON}", timeout=60_000)
                row = page.locator("tr", has_text="alice").first
                assert "Liddell, Alice" in row.inner_text(timeout=30_000)  # a name, not "None, None"
                row.locator(".generate-feedback a").click(timeout=30_000)
                page.locator("#success-modal").wait_for(timeout=60_000)
                page.screenshot(path=str(shots / "generated.png"), full_page=True)
                page.goto(target.resolve().as_uri())
                shown = page.locator("body").inner_text()
                page.screenshot(path=str(shots / "page.png"), full_page=True)
            except Exception:
                page.screenshot(path=str(shots / "failure.png"), full_page=True)
                raise
            finally:
                browser.close()
    assert "Student: alice" in shown and "matches the solution on random inputs" in shown
    assert not [leak for leak in LEAKS if leak in target.read_text()]
