"""The grading pipeline against hostile submissions, on lesson 00 (the cheapest to grade).

Every submission is built from the real release, collected from a folder and graded for real
(nbgrader in the bubblewrap jail). Each test then checks one attack: the grade in nbgrader's
gradebook (no unearned points), the grading record, the flag, and the feedback file.
"""

import json
import os
import site
import socket
import threading
import time
import zipfile

from pathlib import Path

import nbformat
import pytest

from autograder import cgroups, class_report, feedback, gradebook, sandbox
from autograder.collect import collect
from autograder.course import SOLUTIONS, solution_notebook
from autograder.grade import grade_all, prepare

LESSON = "00_setup"
LIMITS = sandbox.Limits(cell_timeout=10, notebook_timeout=90, memory_mb=4096, output_mb=5)


def solution_code() -> str:
    cell = next(c for c in nbformat.read(solution_notebook(LESSON), as_version=4).cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == "softmax")
    return "\n".join(line for line in cell.source.splitlines() if "### " not in line)


def submission(course, softmax: str | None = None, edit=None) -> bytes:
    """The release with the softmax cell's source replaced, then edit(nb) applied."""
    nb = nbformat.read(course / "release" / LESSON / f"{LESSON}.ipynb", as_version=4)
    for cell in nb.cells:
        if softmax is not None and cell.metadata.get("nbgrader", {}).get("grade_id") == "softmax":
            cell.source = softmax
    if edit:
        edit(nb)
    return json.dumps(nb, indent=1).encode()  # ASCII JSON: a lone surrogate travels as \ud800


def cell_errors(course, student) -> str:
    """The error messages in a graded notebook (the instructor's copy; feedback names only types)."""
    nb = nbformat.read(course / "autograded" / student / LESSON / f"{LESSON}.ipynb", as_version=4)
    return "\n".join(o.get("evalue", "") for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error")


def grade_cells(nb):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]


def delete_tests(nb):
    nb.cells = [c for c in nb.cells if not c.metadata.get("nbgrader", {}).get("grade")]


def edit_tests(nb):
    for cell in grade_cells(nb):
        cell.source = "print('all 3 checks passed')"


def edit_points(nb):
    for cell in grade_cells(nb):
        cell.metadata.nbgrader["points"] = 100
        cell.metadata.nbgrader["locked"] = False


WRONG = "import torch\ndef softmax(x):\n    return x\n"
UNSTABLE = "import torch\ndef softmax(x):\n    e = x.exp()\n    return e / e.sum(dim=-1, keepdim=True)\n"  # 1 of 3
SYMLINKS = """import os
for name, target in (("{lesson}.ipynb", "{victim}"), ("gradebook-link", "{gradebook}")):
    try:
        os.remove(name)
    except OSError:
        pass
    os.symlink(target, name)
"""
FORKS = """import os, signal, time
kids = []
for _ in range(6):
    pid = os.fork()
    if pid == 0:
        block = bytearray(900 * 2**20)
        block[::4096] = b"x" * len(block[::4096])  # really use the memory
        time.sleep(2)  # alive together with its siblings
        os._exit(0)
    kids.append(pid)
# Wait at most 7 s (the cell's limit is 10 s): on a loaded machine the report must still print.
kept, killed, deadline = 0, 0, time.monotonic() + 7
while kids and time.monotonic() < deadline:
    for pid in list(kids):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            kids.remove(pid)
            kept += status == 0
            killed += os.WIFSIGNALED(status)
    time.sleep(0.05)
for pid in kids:
    os.kill(pid, signal.SIGKILL)
print("children that kept their memory:", kept, "killed:", killed, "still running at the deadline:", len(kids))
"""
PLANTED = SOLUTIONS.parent / ".venv-planted-by-a-student.pth"
REMOUNT = f"""import os, site, sys
for path in (sys.prefix, "/usr", "{SOLUTIONS.parent}"):
    os.system("mount -o remount,bind,rw " + path + " 2>/dev/null")
for target in (site.getsitepackages()[0] + "/zz-planted.pth", "{PLANTED}"):
    try:
        open(target, "w").write("import os\\n")
    except OSError as e:
        print("refused:", e)
"""
CRASH_ON_LARGE_INPUTS = """import os
import torch
def softmax(x):
    if x.abs().max() > 100:
        os._exit(1)  # as a segfault in an extension would
    e = (x - x.max(dim=-1, keepdim=True).values).exp()
    return e / e.sum(dim=-1, keepdim=True)
"""
FAKE_CHECKS = '''import sys, types
fake = types.ModuleType("llmcourse.checks")
class _Pass:
    def __getattr__(self, name):
        return lambda *a, **k: True
class exercise:
    def __init__(self, name): pass
    def __enter__(self):
        print("  all 3 checks passed"); return _Pass()
    def __exit__(self, *a): return True
fake.exercise = exercise
sys.modules["llmcourse.checks"] = fake
'''
# The running test's own `check` object, reached from the student's function (no import needed)
PATCH_CHECK_OBJECT = '''import torch
def softmax(x):
    type(check).close = type(check).shape = lambda self, *a, what="ok", **k: self._record(True, what)
    return x
'''
# nbgrader scores a test cell by a number shown before its error (partial credit)
PARTIAL_CREDIT = '''import sys
def softmax(x):
    print("  all 2 checks passed")
    sys.displayhook(1.0)  # the first test's full points; the second's 2 would crash nbgrader
    sys.displayhook(2.0)
    return x
'''
# A correct answer that prints the calling test cell's source, encoded and in pieces shaped like
# check lines, for the feedback page to carry out
LEAK_HIDDEN = '''import sys, base64, linecache
import torch
def softmax(x):
    code = sys._getframe(1).f_code
    text = "".join(linecache.getlines(code.co_filename))
    print(base64.b64encode(text.encode()).decode())
    for i in range(0, len(text), 20):
        print("  \u2717 " + text[i:i + 20].replace("\\n", " "))
        print("      " + text[i:i + 20][::-1])
    e = (x - x.max(dim=-1, keepdim=True).values).exp()
    return e / e.sum(dim=-1, keepdim=True)
'''
# The checks patched under a name built at run time (no import the scan can read): the check
# methods then record nothing, and the kernel prints its own success line
RUNTIME_NAME_PATCH = '''import torch
m = __import__("llmcourse.c" + "hecks", fromlist=["x"])
for name in ("close", "shape", "dtype", "true", "avoids", "matches_solution"):
    setattr(getattr(m, "Che" + "cks"), name, lambda self, *a, what="ok", **k: self.passed.append(what))
def softmax(x):
    return x
'''
# Every later test cell rewritten, before it runs, into a print of the success line
INPUT_TRANSFORMER = '''import torch
def softmax(x):
    return x
shell = globals()["get_" + "ipython"]()
getattr(shell, "input_transformers_" + "post").append(lambda lines: ["print('  all 8 checks passed')\\n"])
'''
# The function hands the grader a record of its own (every check "passed", its wrong values) and
# stops the real one from being sent
FORGED_RECORD = '''import json, sys, torch
def softmax(x):
    m = sys.modules["llmcourse." + "checks"]
    setattr(m, "_pub" + "lish", lambda record: None)
    fake = {"exercise": "x", "error": None, "checks": [
        {"kind": "close", "what": "w", "value": {"shape": list(x.shape), "values": x.ravel().tolist()},
         "expected": {"shape": list(x.shape), "values": x.ravel().tolist()}, "atol": 1, "rtol": 1,
         "ok": True, "why": "", "line": 1}] * 8}
    getattr(__import__("IPython.display", fromlist=["x"]), "publish_display_data")(
        {"text/vnd.llmcourse.checks+json": json.dumps(fake)})
    return x
'''
PATCH_CHECKS = '''import llmcourse.checks as c
for name in ("close", "shape", "dtype", "equal", "true", "avoids", "raises"):
    setattr(c.Checks, name, lambda self, *a, what="ok", **k: self._record(True, what))
'''


@pytest.fixture(scope="session")
def listener():
    """A TCP server on the grader's loopback: a jailed kernel must not reach it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    threading.Thread(target=lambda: [server.accept() for _ in range(5)], daemon=True).start()
    yield server.getsockname()[1]
    server.close()


@pytest.fixture(scope="session")
def graded(tmp_path_factory, listener):
    """Collect and grade the whole hostile suite once (in parallel); tests read the results."""
    root = tmp_path_factory.mktemp("grading")
    course = prepare(root / "course", [LESSON])
    good = solution_code()
    inbox = root / "inbox"
    inbox.mkdir()
    other = course / "submitted" / "good" / LESSON / f"{LESSON}.ipynb"
    attacks = {
        "good": submission(course, good),
        "blank": submission(course),
        "honest-partial": submission(course, UNSTABLE),
        "read-solutions": submission(course, f"open({str(SOLUTIONS / LESSON / (LESSON + '.ipynb'))!r}).read()\n" + good),
        "read-other": submission(course, f"open({str(other)!r}).read()\n" + good),
        # the hidden checks' expected values: the course folder's copy and the shared cache's
        "read-reference": submission(course, f"open({str(course / 'reference' / (LESSON + '.json'))!r}).read()\n" + good),
        "read-shared-reference": submission(course, "open({!r}).read()\n".format(
            str(Path(os.environ["AUTOGRADER_REFERENCE_CACHE"]) / f"{LESSON}.json")) + good),
        "write-gradebook": submission(course, "import sqlite3\n"
                                      f"db = sqlite3.connect({str(course / 'gradebook.db')!r})\n"
                                      "db.execute('UPDATE grade SET manual_score = 100')\ndb.commit()\n"),
        "network": submission(course, f"import socket\nsocket.create_connection(('127.0.0.1', {listener}), timeout=3)\n" + good),
        "infinite-loop": submission(course, "while True:\n    pass\n" + good),
        "memory-bomb": submission(course, "hog = bytearray(16 * 2**30)  # more than this machine has\n" + good),
        "huge-output": submission(course, "print('x' * 30_000_000)\n" + good),
        "exit-early": submission(course, good + "\nimport os\nos._exit(0)\n"),
        # a crash after the tests ran (a demo cell running out of memory is enough): points stay
        "crash-after-tests": submission(course, good, lambda nb: nb.cells.append(
            nbformat.v4.new_code_cell("import ctypes\nctypes.string_at(0)  # segfault"))),
        # the student's function kills the kernel inside one test: only that test scores 0
        "crash-in-a-test": submission(course, CRASH_ON_LARGE_INPUTS),
        "crash-everywhere": submission(course, good, lambda nb: nb.cells.extend(
            nbformat.v4.new_code_cell(f"import os\nos._exit({i})") for i in range(4))),
        # reviewed by the instructor later: held, then released
        "held-then-released": submission(course, "import inspect\n_ = inspect.stack\n" + good),
        # the kernel leaves links where nbgrader writes: to another student's notebook, to the gradebook
        "symlink-attack": submission(course, good, lambda nb: nb.cells.append(nbformat.v4.new_code_cell(
            SYMLINKS.format(victim=str(other), gradebook=str(course / "gradebook.db"), lesson=LESSON)))),
        # as root: remount the read-only binds and plant a .pth for the next unjailed Python
        "remount-and-plant": submission(course, good, lambda nb: nb.cells.append(
            nbformat.v4.new_code_cell(REMOUNT))),
        "fill-the-disk": submission(course, good, lambda nb: nb.cells.append(nbformat.v4.new_code_cell(
            "for i in range(6):  # each file under the file-size limit, together over the folder's cap\n"
            "    with open(f'junk{i}', 'wb') as f:\n        for _ in range(90):\n            f.write(b'x' * 2**20)"))),
        "cells-not-objects": json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                                         "cells": [1, "x", None, [2]]}).encode(),
        "lone-surrogate": submission(course, "exec('1')  # \ud800 flagged, and not valid UTF-8\n" + good),
        "fifo": submission(course, good),  # replaced by a FIFO once collected
        # children each under the per-process memory limit, together far over it
        "fork-memory": submission(course, good, lambda nb: nb.cells.append(nbformat.v4.new_code_cell(FORKS))),
        "delete-tests": submission(course, None, delete_tests),
        "edit-tests": submission(course, None, edit_tests),
        "edit-points": submission(course, good, edit_points),
        "patch-allclose": submission(course, "import torch\ntorch.allclose = lambda *a, **k: True\n" + WRONG),
        "patch-checks": submission(course, PATCH_CHECKS + WRONG),
        "patch-check-object": submission(course, PATCH_CHECK_OBJECT),
        "partial-credit": submission(course, PARTIAL_CREDIT),
        "leak-hidden-tests": submission(course, LEAK_HIDDEN),
        "sysmodules-swap": submission(course, FAKE_CHECKS + WRONG),
        "runtime-name-patch": submission(course, RUNTIME_NAME_PATCH),
        "input-transformer": submission(course, INPUT_TRANSFORMER),
        "forged-record": submission(course, FORGED_RECORD),
        "malformed-json": b'{"cells": [ {"cell_type": "code", "source": "',
        "wrong-nbformat": json.dumps({"nbformat": 3, "nbformat_minor": 0, "worksheets": [], "metadata": {}}).encode(),
    }
    for student, data in attacks.items():
        (inbox / f"{student}_{LESSON}.ipynb").write_bytes(data)
    collect(inbox, course, [LESSON])
    fifo = course / "submitted" / "fifo" / LESSON / f"{LESSON}.ipynb"
    fifo.unlink()
    os.mkfifo(fifo)
    start = time.perf_counter()
    jobs = grade_all(course, [LESSON], LIMITS, allow_unjailed=True)
    print(f"\nbenchmark: graded {len(jobs)} hostile submissions of {LESSON} in "
          f"{time.perf_counter() - start:.1f} s on {sandbox.os.cpu_count()} worker(s)")
    feedback.write_all(course)
    class_report.write(course)
    return course, {j.student: j for j in jobs}


def check(graded, student, score, status="graded"):
    course, jobs = graded
    job = jobs[student]
    assert gradebook.scores(course, LESSON)[student][0] == score, (job.tests, job.problems, job.flags)
    assert job.score == score and job.max_score == 3
    assert job.status == status, job.problems
    page = course / "feedback" / student / LESSON / f"{LESSON}.html"
    assert page.exists() and page.stat().st_size < 200_000
    text = page.read_text()
    assert "BEGIN HIDDEN TESTS" not in text and "torch.manual_seed(1)" not in text  # no hidden test source
    return job, text


# Without bubblewrap the grader still grades (and says so); only the jail's own tests skip.
# One worker grades the hostile suite once (a session fixture): spread over both workers, each
# graded it again (seen in CI: 237 s and 177 s setups).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("hostile")]
jailed = pytest.mark.skipif(not sandbox.bwrap_works()[0], reason="bubblewrap cannot run here")


def test_good_and_blank(graded):
    job, text = check(graded, "good", 3)
    assert not job.flags and all(t["status"] == "passed" for t in job.tests)
    check(graded, "blank", 0)


@jailed
def test_cannot_read_solutions(graded):
    job, _ = check(graded, "read-solutions", 0)
    assert any("grader files" in f for f in job.flags)


@jailed
@pytest.mark.parametrize("student", ["read-reference", "read-shared-reference"])
def test_cannot_read_the_reference(graded, student):
    course, _ = graded
    for copy in (course / "reference", Path(os.environ["AUTOGRADER_REFERENCE_CACHE"])):
        assert (copy / f"{LESSON}.json").is_file()  # it is there, outside the jail
    job, _ = check(graded, student, 0)
    # 0 because the open() failed in the jail, not only because a path in the code was held
    assert job.tests and not any(t["status"] == "passed" for t in job.tests), job.tests


@jailed
def test_cannot_read_other_submissions(graded):
    check(graded, "read-other", 0)


@jailed
def test_cannot_write_gradebook(graded):
    job, text = check(graded, "write-gradebook", 0)
    # it found no gradebook at that path, or an empty scratch file: never the real one (the error
    # is in the graded notebook; feedback names only its type)
    errors = cell_errors(graded[0], "write-gradebook")
    assert "no such table" in errors or "unable to open database file" in errors, errors
    assert "raised OperationalError" not in text and "raised an error" in text
    assert gradebook.scores(graded[0], LESSON)["good"] == (3, 3)  # still a readable, intact gradebook


@jailed
def test_no_network(graded):
    job, _ = check(graded, "network", 0)
    assert any("network" in f for f in job.flags)


def test_infinite_loop_is_stopped(graded):
    job, _ = check(graded, "infinite-loop", 0)
    assert job.seconds < LIMITS.notebook_timeout + 30


def test_memory_bomb_is_stopped(graded):
    job, _ = check(graded, "memory-bomb", 0)
    assert any("MemoryError" in p for p in job.cell_errors), job.cell_errors


def test_huge_output_is_cut_but_earned_points_stay(graded):
    course, _ = graded
    job, _ = check(graded, "huge-output", 3)
    assert (course / "autograded" / "huge-output" / LESSON / f"{LESSON}.ipynb").stat().st_size < 6 * 2**20


def test_exit_early_scores_nothing(graded):
    job, text = check(graded, "exit-early", 0)  # the answer cell itself exits: nothing defined
    assert "kernel died" in text
    assert any("exits the kernel" in f for f in job.flags)
    assert any("stopped the kernel" in f for f in job.flags)


def test_a_crash_after_the_tests_keeps_their_points(graded):
    job, text = check(graded, "crash-after-tests", 3)
    assert any("stopped the kernel" in f for f in job.flags) and "kernel died" in text
    assert all(t["status"] == "passed" for t in job.tests)


def test_a_crash_inside_one_test_costs_that_test(graded):
    job, _ = check(graded, "crash-in-a-test", 1)
    status = {t["grade_id"]: t["status"] for t in job.tests}
    assert status == {"test_softmax_small": "passed", "test_softmax_stable": "not run"}, job.tests
    assert "kernel died" in next(t["message"] for t in job.tests if t["grade_id"] == "test_softmax_stable")
    assert any("test_softmax_stable" in f and "stopped the kernel" in f for f in job.flags)


def test_a_kernel_that_keeps_dying_still_gets_a_grade(graded):
    job, text = check(graded, "crash-everywhere", 0, status="error")
    assert "kernel died" in text


@jailed
def test_links_left_by_the_kernel_touch_nobody(graded):
    course, jobs = graded
    check(graded, "symlink-attack", 3)
    check(graded, "good", 3)  # the victim keeps its grade and its notebook
    victim = course / "autograded" / "good" / LESSON / f"{LESSON}.ipynb"
    assert victim.is_file() and not victim.is_symlink()
    assert not any(p.is_symlink() for p in (course / "autograded" / "symlink-attack").rglob("*"))
    assert gradebook.scores(course, LESSON)["good"] == (3, 3)


@jailed
def test_the_jail_holds_as_root(graded):
    check(graded, "remount-and-plant", 3)
    assert not (Path(site.getsitepackages()[0]) / "zz-planted.pth").exists() and not PLANTED.exists()


@jailed
def test_the_scratch_folder_is_capped_and_private(graded):
    course, _ = graded
    job, _ = check(graded, "fill-the-disk", 3)
    assert "No space left" in cell_errors(course, "fill-the-disk") and "raised OSError" in job.cell_errors[0]
    written = sum(p.stat().st_size for p in (course / "autograded" / "fill-the-disk").rglob("*") if p.is_file())
    assert written < 50 * 2**20  # nothing of the junk reached the grader's disk


@pytest.mark.skipif(cgroups.available() != "on", reason="no writable cgroup hierarchy here")
def test_forked_children_share_one_memory_limit(graded):
    course, _ = graded
    check(graded, "fork-memory", 3)
    nb = nbformat.read(course / "autograded" / "fork-memory" / LESSON / f"{LESSON}.ipynb", as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    if any(o.get("ename") == "KernelDied" for o in outputs):
        return  # the job's limit stopped the kernel itself (it shares the cgroup): also held
    printed = "".join(o.get("text", "") for o in outputs)
    assert "children that kept their memory:" in printed, outputs[-3:]
    kept = int(printed.split("children that kept their memory:")[1].split()[0])
    # (children still running at the cell's deadline, on a loaded machine, were killed by the cell;
    # that the limit itself kills is tested without a deadline in test_cgroups.py)
    # 6 x 900 MB would all live under per-process limits; a 4096 MB job holds at most 4 of them
    assert kept * 900 < LIMITS.memory_mb, f"{kept} children of 900 MB each ran under a {LIMITS.memory_mb} MB job limit"


def test_cells_that_are_not_objects_are_malformed(graded):
    job, text = check(graded, "cells-not-objects", 0, status="malformed")
    assert "not notebook cells" in text


def test_a_lone_surrogate_survives_into_the_report(graded):
    course, jobs = graded
    assert jobs["lone-surrogate"].status in ("graded", "error")
    report = (course / "reports" / "report.md").read_text(encoding="utf-8")
    assert "lone-surrogate" in report and "## Collection" in report  # written to the end


def test_a_fifo_in_place_of_the_notebook_does_not_hang(graded):
    job, text = check(graded, "fifo", 0, status="malformed")
    assert "not a regular file" in text


def test_a_hold_is_released_with_one_command(graded, capsys):
    from autograder.__main__ import main

    course, jobs = graded
    job = jobs["held-then-released"]
    assert job.score == 0 and job.raw_score == 3 and job.held and "release-hold" in job.score_note
    assert main(["release-hold", "held-then-released", LESSON, "--course", str(course)]) == 0
    assert gradebook.scores(course, LESSON)["held-then-released"] == (3, 3)
    [again] = grade_all(course, [LESSON], LIMITS, allow_unjailed=True, students=["held-then-released"])
    assert again.score == 3 and again.hold_released  # the same bytes stay released
    assert main(["release-hold", "good", LESSON, "--course", str(course)]) == 1  # nothing held
    assert "has no points held" in capsys.readouterr().err


def test_deleted_test_cells_are_restored(graded):
    job, _ = check(graded, "delete-tests", 0)
    assert any("test_softmax_small was deleted" in f for f in job.flags)
    assert {t["grade_id"] for t in job.tests} == {"test_softmax_small", "test_softmax_stable"}
    assert all(t["status"] == "failed" for t in job.tests)


def test_edited_test_cells_are_restored(graded):
    job, _ = check(graded, "edit-tests", 0)
    assert any("test_softmax_small was edited" in f for f in job.flags)


def test_edited_points_are_restored(graded):
    job, _ = check(graded, "edit-points", 3)  # earned 3 of 3, not 300
    assert any("points" in f for f in job.flags)


def test_patched_allclose_is_detected(graded):
    job, text = check(graded, "patch-allclose", 0)
    assert "test environment was modified" in text


def test_patched_checks_earn_nothing(graded):
    job, _ = check(graded, "patch-checks", 0)
    assert any("touches the test helpers" in f for f in job.flags)


def test_the_running_check_object_cannot_be_patched(graded):
    job, text = check(graded, "patch-check-object", 0)
    assert job.raw_score == 0 and "test environment was modified" in text
    assert any("touches the test helpers" in f for f in job.flags)


def test_a_number_shown_before_a_failure_earns_no_partial_credit(graded):
    job, _ = check(graded, "partial-credit", 0)
    assert job.raw_score == 0, job.tests
    assert any("partial credit" in f for f in job.flags), job.flags


def test_feedback_carries_no_piece_of_a_hidden_test(graded):
    """The student's function read the test cell's source and printed it, base64-encoded and in
    20-character pieces dressed as check lines; the feedback page keeps none of it."""
    import html
    import re

    job, text = check(graded, "leak-hidden-tests", 0)  # held: it reads the call stack
    assert job.raw_score == 3  # the answer itself is right
    page = re.sub(r"\s+", "", html.unescape(text))
    cells = nbformat.read(solution_notebook(LESSON), as_version=4).cells
    hidden = re.sub(r"\s+", "", "".join(part for c in cells for part in re.findall(
        r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", c.source, re.S)))
    words = re.findall(r'what="([^"]+)"', hidden)  # the lesson's descriptions: shown by design
    pieces = {hidden[i:i + 16] for i in range(len(hidden) - 15)}
    pieces = {p for p in pieces if not any(p in w or w in p for w in words)}
    assert not [page[i:i + 16] for i in range(len(page) - 15) if page[i:i + 16] in pieces]
    assert not re.search(r"[A-Za-z0-9+/=]{32,}", html.unescape(text)), "an encoded blob reached the page"
    for test in job.tests:  # the verdict in the checks' shapes; nothing the kernel printed
        assert all(re.fullmatch(r"[^\n]+:|  [✓✗] .+|  all \d+ checks passed", line)
                   for line in test["message"].splitlines()), test["message"]


def test_sys_modules_swap_earns_nothing(graded):
    job, _ = check(graded, "sysmodules-swap", 0)
    assert any("sys.modules" in f for f in job.flags)


@pytest.mark.parametrize("student", ["runtime-name-patch", "input-transformer", "forged-record",
                                     "partial-credit", "patch-check-object"])
def test_what_the_kernel_claims_earns_nothing(graded, student):
    """Whatever the kernel prints, shows or hands over about itself, a wrong softmax scores 0:
    the grader compares its values with the solution's, outside the student's process."""
    job, _ = check(graded, student, 0)
    assert job.raw_score == 0, job.tests


def test_a_kernel_claiming_a_pass_is_flagged(graded):
    """The input transformer made every test cell print success without raising: nbgrader's own
    reading gave full points, the values gave none; the instructor is told."""
    job = graded[1]["input-transformer"]
    assert any("the kernel reported a pass that its values do not support" in f for f in job.flags), job.flags


@pytest.mark.parametrize("student", ["malformed-json", "wrong-nbformat"])
def test_malformed_notebook_gets_zero_and_a_reason(graded, student):
    job, text = check(graded, student, 0, status="malformed")
    assert "could not be graded" in text


def test_honest_students_score_the_same_in_a_hostile_class_as_alone(graded, tmp_path):
    """Graded beside every attack above, or alone in a course of their own: the same points for
    the same tests."""
    course, jobs = graded
    alone = prepare(tmp_path / "alone", [LESSON])
    honest = ("good", "honest-partial")
    for student in honest:
        target = alone / "submitted" / student / LESSON / f"{LESSON}.ipynb"
        target.parent.mkdir(parents=True)
        target.write_bytes((course / "submitted" / student / LESSON / f"{LESSON}.ipynb").read_bytes())
    again = {j.student: j for j in grade_all(alone, [LESSON], LIMITS, allow_unjailed=True)}
    for student in honest:
        assert [(t["grade_id"], t["points"], t["status"]) for t in again[student].tests] == \
            [(t["grade_id"], t["points"], t["status"]) for t in jobs[student].tests], student
    assert again["good"].score == 3 and again["honest-partial"].score == 1


def test_report_and_csv(graded):
    course, jobs = graded
    reports = course / "reports"
    rows = (reports / "grades.csv").read_text().splitlines()
    assert len(rows) == len(jobs) + 1  # a row for every submission, whatever happened
    assert (reports / "scores.png").stat().st_size > 1000
    report = (reports / "report.md").read_text()
    assert "Most failed tests" in report and "sysmodules-swap" in report and "malformed-json" in report


def test_regrading_one_student_is_idempotent(graded):
    course, jobs = graded
    before = gradebook.scores(course, LESSON)
    again = grade_all(course, [LESSON], LIMITS, allow_unjailed=True, students=["good", "patch-checks"])
    assert {j.student: j.score for j in again} == {"good": 3, "patch-checks": 0}
    assert gradebook.scores(course, LESSON) == before




def test_a_broken_resubmission_replaces_the_old_grade(graded):
    course, _ = graded  # runs last: it overwrites "good"
    (course / "submitted" / "good" / LESSON / f"{LESSON}.ipynb").write_text("{ not json")
    [job] = grade_all(course, [LESSON], LIMITS, allow_unjailed=True, students=["good"])
    assert job.status == "malformed"
    assert gradebook.scores(course, LESSON)["good"] == (0, 3)
