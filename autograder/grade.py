"""Autograde every collected submission, as a straight line for each one: prepare (read and scan
it) -> run it in the jail -> compare its values outside -> record -> feedback.

Run: `nbgrader autograde LESSON --student S` in its own process group, with the sandbox kernel,
ZeroMQ over Unix sockets in a private folder, a per-cell timeout and a wall limit for the whole
notebook; the test cells' checks hand over their values (autograder/grading_execute.py).
Compare: the grader judges each test cell from those values against the reference solution's,
computed once per lesson in a trusted run (autograder/reference.py, autograder/verdict.py), and
writes the points to the gradebook (autograder/outcome.py). Jobs run in parallel, one per core.
Whatever happens (malformed JSON, a kernel that dies, a timeout, a memory bomb) the job ends with
a row in the gradebook (0 for what did not pass) and a record in
<course>/grading/<lesson>/<student>.json saying what happened; feedback and the report are built
from those records.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

import nbformat

from llmcourse.check_records import RECORD_ENV

from . import cgroups, files, gradebook, grading_execute, holds, outcome, reference, sandbox, scan
from .course import CourseFolder, make_course_dir, release_notebook
from .record import Record

def grade_all(course: Path, lessons: list[str], limits: sandbox.Limits = sandbox.Limits(),
              workers: int | None = None, students: list[str] | None = None,
              releases: Path | None = None) -> list[Record]:
    """Grade every submitted/<student>/<lesson> (or only `students`), `workers` at a time."""
    course = prepare(course, lessons)
    releases = releases or course / "release"
    jail, why = sandbox.bwrap_works()
    if not jail:
        print(f"WARNING: grading WITHOUT the filesystem/network jail: {why}", file=sys.stderr, flush=True)
    sandbox.install_kernel(course / ".jupyter")
    folder = CourseFolder(course)
    todo = [(student, lesson) for lesson in lessons for student in folder.submitted_students(lesson)
            if students is None or student in students]
    # The expected side, once per lesson: a trusted run of the solution (ReferenceFailed if it
    # fails its own tests: then nothing can be judged)
    expected = {lesson: reference.load(lesson, folder.references) for lesson in sorted({l for _, l in todo})}
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        jobs = list(pool.map(lambda t: grade_one(course, t[0], t[1], limits, jail, expected[t[1]], releases), todo))
    return jobs


def prepare(course: Path, lessons: list[str]) -> Path:
    """An nbgrader course folder whose gradebook knows these lessons (their cells, points and
    test sources), with its own copy of the releases in course/release."""
    from .release import generate

    course = Path(course).resolve()
    missing = [lesson for lesson in lessons if not (course / "release" / lesson).is_dir()]
    if missing:
        generate(missing, releases=course / "release", course_dir=make_course_dir(course))
    return make_course_dir(course, releases=course / "release")


def grade_one(course: Path, student: str, lesson: str, limits: sandbox.Limits, jail: bool,
              expected: dict, releases: Path | None = None) -> Record:
    """Grade one submission. Whatever happens in it, the job ends with a record and a gradebook
    row, and nothing it raises reaches the rest of the class."""
    start = time.perf_counter()
    job = Record(student, lesson)
    try:
        _grade(course, student, lesson, limits, jail, expected, releases, job)
    except Exception as e:  # a bug or an input nobody foresaw: this submission only
        job.status = "error"
        job.problems.append(f"the grader failed on this submission ({type(e).__name__}: {str(e)[:300]}); "
                            "it scores what the gradebook holds, review it by hand")
        try:
            gradebook.ensure_row(course, student, lesson)
        except Exception:
            pass
    job.seconds = round(time.perf_counter() - start, 1)
    job.save(course)
    return job


def _grade(course, student, lesson, limits, jail, expected, releases, job: Record) -> None:
    folder = CourseFolder(course)
    submitted = folder.submission(student, lesson)
    shutil.rmtree(folder.autograded(student, lesson).parent, ignore_errors=True)  # a re-run starts clean
    holds.undo(course, student, lesson)  # re-grading starts clean
    readable = _preflight(submitted, lesson, job, releases)
    if readable and holds.released(course, student, lesson):
        job.hold, job.hold_released = False, True
    checks = _autograde(course, student, lesson, limits, jail, job) if readable else {}
    gradebook.ensure_row(course, student, lesson, reset=not readable)
    outcome.read(course, job, checks, expected)
    _limit_output(course, job, limits)


def _preflight(path: Path, lesson: str, job: Record, releases: Path | None) -> bool:
    """Can nbgrader read it? Also run the static scan. False means: do not autograde, score 0."""
    if not os.path.lexists(path):
        job.status = "missing"
        job.problems.append(f"no {lesson}.ipynb in the submission")
        return False
    try:
        raw = json.loads(files.read_bytes(path))
    except files.Unreadable as e:
        job.status = "malformed"
        job.problems.append(f"the submission could not be read: {e}; it could not be graded")
        return False
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        job.status = "malformed"
        job.problems.append(f"the notebook is not valid JSON ({e}); it could not be graded")
        return False
    if not isinstance(raw, dict) or raw.get("nbformat") != 4 or not isinstance(raw.get("cells"), list):
        job.status = "malformed"
        version = raw.get("nbformat") if isinstance(raw, dict) else None
        job.problems.append(f"not a version-4 Jupyter notebook (nbformat {version!r}); it could not be graded")
        return False
    odd = [i for i, c in enumerate(raw["cells"]) if not isinstance(c, dict) or not isinstance(c.get("cell_type"), str)]
    if odd:
        job.status = "malformed"
        job.problems.append(f"cell(s) {', '.join(map(str, odd[:5]))} are not notebook cells (objects with a "
                            "cell_type); it could not be graded")
        return False
    try:
        nbformat.validate(nbformat.from_dict(raw))
    except Exception as e:  # nbgrader repairs what it can; say what was wrong
        job.problems.append(f"the notebook does not validate ({str(e).splitlines()[0][:200]})")
    release = release_notebook(lesson, releases) if releases else release_notebook(lesson)
    # The release's own cells (setup, tests) are not the student's code; typed answers are, even
    # when they match the solution word for word.
    ours = {c.source.strip() for c in nbformat.read(release, as_version=4).cells}
    flags = scan.scan_cells(raw["cells"], ours)
    job.flags += _locked_cell_changes(raw["cells"], nbformat.read(release, as_version=4))
    job.flags += [str(f) for f in flags]
    job.hold = any(f.hold for f in flags)
    return True


def _locked_cell_changes(cells: list, release) -> list[str]:
    """Locked cells of the release (tests, setup) that the submission deleted or edited. nbgrader
    restores them before grading; the instructor still wants to know."""
    submitted = {}
    for cell in cells:
        meta = cell.get("metadata", {}).get("nbgrader", {}) if isinstance(cell, dict) else {}
        if isinstance(meta, dict) and meta.get("grade_id"):
            source = cell.get("source", "")
            submitted[meta["grade_id"]] = "".join(source) if isinstance(source, list) else str(source)
    changes = []
    for cell in release.cells:
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("locked"):
            continue
        if meta["grade_id"] not in submitted:
            changes.append(f"locked cell {meta['grade_id']} was deleted (restored from the source)")
        elif submitted[meta["grade_id"]].strip() != cell.source.strip():
            changes.append(f"locked cell {meta['grade_id']} was edited (restored from the source)")
    return changes


def _autograde(course: Path, student: str, lesson: str, limits: sandbox.Limits, jail: bool,
               job: Record) -> dict[str, list[str]]:
    """Run nbgrader on the submission; what each test cell's checks handed over, by grade id."""
    groups = cgroups.create(limits.memory_mb, limits.processes)  # the whole job, not each process
    try:
        with tempfile.TemporaryDirectory(prefix="lg-", dir="/tmp") as sockets, \
                tempfile.TemporaryDirectory(prefix="lg-events-") as private:  # not mounted in the jail
            events = Path(private) / "events.json"
            env = {"JUPYTER_PATH": str(course / ".jupyter"), "TMPDIR": sockets,
                   "LLMCOURSE_SANDBOX_LIMITS": json.dumps(asdict(limits)),
                   "LLMCOURSE_SANDBOX_JAIL": "1" if jail else "0", grading_execute.EVENTS: str(events),
                   RECORD_ENV: "1",
                   cgroups.ENV: os.pathsep.join(map(str, groups))}
            args = ["autograde", lesson, "--student", student, "--force",
                    f"--Execute.kernel_name={sandbox.KERNEL_NAME}", "--KernelManager.transport=ipc",
                    f"--KernelManager.ip={sockets}/k", f"--Execute.timeout={limits.cell_timeout}",
                    "--Execute.interrupt_on_timeout=True", "--Execute.startup_timeout=60",
                    "--OverwriteCells.add_missing_cells=True",
                    "--LimitOutput.max_lines=200", "--LimitOutput.max_traceback=60"]
            for attempt in range(3):
                proc = _run_limited(args, course, env, limits)
                text = proc.stdout + proc.stderr
                if "database is locked" not in text:
                    break
                time.sleep(1 + attempt)  # another job was writing the gradebook
            happened = json.loads(files.read_bytes(events, limit_mb=256)) if events.is_file() else {}
    finally:
        cgroups.remove(groups)
    skipped = happened.get("skipped_cells", [])
    for cell in happened.get("shown_values", []):
        job.flags.append(f"{cell} showed a value while its checks ran (nbgrader would count it as "
                         "partial credit); removed before scoring, review the cell")
    for cell in skipped:
        job.flags.append(f"{cell['cell']} stopped the kernel while grading; graded again without "
                         "running it (review the cell)")
        job.problems.append(f"the kernel died in {cell['cell']} (a crash, memory exhausted, or an "
                            "exit); that cell was skipped and the rest graded as usual")
    if proc.returncode == -signal.SIGKILL and "WALL LIMIT" in proc.stderr:
        job.status = "timeout"
        job.problems.append(f"the notebook ran past the {limits.notebook_timeout} s limit for a "
                            "whole notebook and was stopped; tests that had not run score 0")
    elif proc.returncode != 0:
        job.status = "error"
        job.problems.append("nbgrader could not finish grading: " + _nbgrader_reason(text))
    for line in text.splitlines():
        if "has changed! (should be" in line and "'checksum'" not in line:  # metadata restored
            job.flags.append("restored from the source: " + line.split("] ", 1)[-1].strip())
        if "was missing from the submission" in line or "Missing grade cell" in line:
            job.flags.append("restored a deleted cell: " + line.split("] ", 1)[-1].strip())
    checks = happened.get("checks", {})
    return checks if isinstance(checks, dict) else {}


def _run_limited(args: list[str], course: Path, env: dict, limits: sandbox.Limits):
    """nbgrader in its own process group; the group is killed at the wall limit. nbgrader itself
    runs under an address-space limit too, so a flood of output cannot take the machine."""
    bin_dir = str(Path(sys.executable).parent)
    full_env = {**os.environ, **env, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    cmd = [sys.executable, "-m", "nbgrader", *args]
    if shutil.which("prlimit"):
        cmd = ["prlimit", f"--as={max(limits.memory_mb, 3072) * 2**20}", *cmd]
    proc = subprocess.Popen(cmd, cwd=course, env=full_env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=limits.notebook_timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        err += "\nWALL LIMIT"
    return subprocess.CompletedProcess(cmd, proc.returncode, out[-200_000:], err[-200_000:])


def _nbgrader_reason(text: str) -> str:
    for needle, reason in (("DeadKernelError", "the kernel died (os._exit, a crash, or memory exhausted)"),
                           ("Kernel died", "the kernel died (os._exit, a crash, or memory exhausted)"),
                           ("MemoryError", "out of memory"),
                           ("CellTimeoutError", "a cell ran past the per-cell timeout"),
                           ("Kernel didn't respond", "the kernel did not start"),
                           ("Inconsistent checksums", "a locked cell could not be restored")):
        if needle in text:
            return reason
    errors = [line.strip() for line in text.splitlines() if "Error" in line]
    return errors[-1][:300] if errors else "see the grading log"


def _limit_output(course: Path, job: Record, limits: sandbox.Limits):
    """A graded notebook over the output limit keeps its test cells' outputs only."""
    path = CourseFolder(course).autograded(job.student, job.lesson)
    if not path.is_file() or path.is_symlink() or path.stat().st_size <= limits.output_mb * 2**20:
        return
    nb = nbformat.reads(files.read_bytes(path, limit_mb=max(files.MAX_NOTEBOOK_MB, 4 * limits.output_mb))
                        .decode("utf-8", "replace"), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and not cell.metadata.get("nbgrader", {}).get("grade"):
            cell.outputs = []
    nbformat.write(nb, path)
    job.problems.append(f"the notebook printed more than {limits.output_mb} MB; its outputs were cut")
