"""One grading job, as it runs on a worker: a submission in, its graded notebook and record out.

A job is data (`Job`: the submission's bytes and the limits; `Lesson`: what every job of a lesson
shares: the nbgrader source, the release, the reference values), so it runs the same in a thread
on the instructor's machine or on a Dask worker elsewhere (autograder/workers.py). The worker
grades in a private scratch course of its own (a copy of a per-lesson template whose gradebook
knows the lesson's cells and points), so nothing it does touches the instructor's gradebook:
`Result` goes back and the instructor's process alone writes it (autograder/grade.py).

In the scratch course the submission is a straight line: read it, rebuild it on the release and
scan it (autograder/rebuild.py, in a process of its own: autograder/preflight_process.py) -> run
`nbgrader autograde` in its own process group, with the sandbox kernel, ZeroMQ over Unix sockets
in a private folder, a per-cell timeout and a wall limit for the whole notebook (the test cells'
checks hand over their values, autograder/grading_execute.py) -> judge each test cell from those
values against the reference (autograder/outcome.py, autograder/verdict.py). Whatever happens
(malformed JSON, a kernel that dies, a timeout, a memory bomb, a bug here) the job returns a
Result whose record says what happened.

The jail goes with the job: a worker where bubblewrap cannot build one refuses the job (status
"refused") unless the instructor allowed grading without it.
"""

import atexit
import hashlib
import json
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from llmcourse.check_records import RECORD_ENV

from . import cgroups, files, gradebook, grading_execute, nbgrader_process, outcome, preflight_process, reference, sandbox
from .course import CourseFolder, make_course_dir, nbgrader
from .record import Record


@dataclass(frozen=True)
class Lesson:
    """What every job of one lesson shares (sent to a cluster once per lesson)."""
    name: str
    source: bytes      # the solution notebook: nbgrader's source (cells, points, hidden tests)
    release: bytes     # the release notebook: its cells are not the student's code
    reference: dict    # the solution's values (autograder/reference.py)
    gradebook: bytes   # nbgrader's gradebook.db knowing the lesson's cells and points, no students

    @property
    def code_key(self) -> str:
        return self.reference["key"]

    @classmethod
    def make(cls, name: str, source: bytes, release: bytes, reference: dict) -> "Lesson":
        """The lesson's gradebook comes from nbgrader generate_assignment on `source`, once here
        (seconds), instead of once on every worker."""
        with tempfile.TemporaryDirectory(prefix="lg-lesson-") as tmp:
            root = _course_from_source(Path(tmp), name, source)
            nbgrader("generate_assignment", name, "--force", course_dir=root)
            return cls(name, source, release, reference, (root / "gradebook.db").read_bytes())


@dataclass(frozen=True)
class Job:
    student: str
    lesson: str
    notebook: bytes | None       # None: missing or unreadable (`unreadable` says which and why)
    unreadable: str = ""
    timestamp: str | None = None  # the submission's timestamp.txt (late penalties), if any
    limits: sandbox.Limits = field(default_factory=sandbox.Limits)
    allow_unjailed: bool = False  # the instructor's explicit consent to run without bubblewrap
    hold_released: bool = False   # an instructor reviewed exactly these bytes (autograder/holds.py)


@dataclass
class Result:
    record: dict                 # a Record as a dict (score and max_score are the scratch gradebook's)
    auto_scores: dict            # {grade_id: points}: the verdict, for the instructor's gradebook
    autograded: bytes | None     # the graded notebook, outputs and all
    worker: str = ""             # host:pid that ran it


def run(job: Job, lesson: Lesson) -> Result:
    """Grade one submission. Nothing it raises leaves it: the record says what went wrong. A job
    that fails for a reason of the grader's own (a bug, a worker's disk) is run once more; failing
    again, its status is "grader error", which nothing a student does can produce."""
    start = time.perf_counter()
    for _ in range(1 + GRADER_RETRIES):
        rec = Record(job.student, job.lesson, hold_released=job.hold_released)
        try:
            auto_scores, graded = _attempt(job, lesson, rec)
            break
        except Exception as e:  # a bug or an input nobody foresaw: this submission only
            failure = f"{type(e).__name__}: {str(e)[:300]}"
    else:
        rec = Record(job.student, job.lesson, status=GRADER_ERROR, hold_released=job.hold_released)
        auto_scores, graded = {}, None
        rec.problems.append(f"the grader itself failed on this submission, twice ({failure}); this is not "
                            "the student's doing: it scores 0 until it is graded again (--students)")
    rec.seconds = round(time.perf_counter() - start, 1)
    return Result(asdict(rec), auto_scores, graded, f"{socket.gethostname()}:{os.getpid()}")


GRADER_RETRIES = 1
GRADER_ERROR = "grader error"


def _attempt(job: Job, lesson: Lesson, rec: Record) -> tuple[dict, bytes | None]:
    auto_scores, graded = {}, None
    with tempfile.TemporaryDirectory(prefix="lg-job-") as scratch:
        course = _scratch_course(Path(scratch), lesson)
        if _grade(course, job, lesson, rec):
            auto_scores = {name: score for name, (score, _) in
                           gradebook.cell_auto_scores(course, job.lesson, job.student).items()}
            path = CourseFolder(course).autograded(job.student, job.lesson)
            if path.is_file() and not path.is_symlink():
                graded = path.read_bytes()
    return auto_scores, graded


def _grade(course: Path, job: Job, lesson: Lesson, rec: Record) -> bool:
    """Grade in the scratch course; False when this worker refused the job."""
    jail, why = _jail()
    if _course_key(job.lesson) != lesson.code_key:
        rec.status = "refused"
        rec.problems.append(f"the worker {socket.gethostname()} runs another version of the course than "
                            "the instructor's (its code key differs): install the same commit there")
        return False
    if not jail:
        if not job.allow_unjailed:
            rec.status = "refused"
            rec.problems.append(f"the worker {socket.gethostname()} cannot jail student code ({why}); it "
                                "refused to grade. Install bubblewrap there, or grade with --allow-unjailed")
            return False
        rec.flags.append(f"graded WITHOUT the jail on {socket.gethostname()} (allowed by the instructor): {why}")
    folder = CourseFolder(course)
    submitted = folder.submission(job.student, job.lesson)
    submitted.parent.mkdir(parents=True)
    notebook = _preflight(job, lesson, rec)
    readable = notebook is not None
    if readable:
        submitted.write_bytes(notebook)
    if job.timestamp:
        (submitted.parent / "timestamp.txt").write_text(job.timestamp)
    checks = _autograde(course, job, rec) if readable else {}
    gradebook.ensure_row(course, job.student, job.lesson, reset=not readable)
    outcome.read(course, rec, checks, lesson.reference)
    _limit_output(course, rec, job.limits)
    return True


# CPython 3.11 before 3.11.8 can fail when two threads parse Python at once (STACK_NOTES.md): a
# job parses nothing in this process; the student's cells are parsed in a process of their own
# (autograder/preflight_process.py).
_TEMPLATES: dict[str, Path] = {}
_TEMPLATE_LOCK = threading.Lock()


def _scratch_course(scratch: Path, lesson: Lesson) -> Path:
    """A private nbgrader course for one job: a fresh copy of the lesson's gradebook template
    (written once per worker process from what the job shipped)."""
    template = _template(lesson)
    course = make_course_dir(scratch / "course", releases=template / "release", source=template / "source")
    shutil.copy(template / "gradebook.db", course / "gradebook.db")
    sandbox.install_kernel(course / ".jupyter")
    return course


def _template(lesson: Lesson) -> Path:
    tag = f"{lesson.name}-{hashlib.sha256(lesson.source + lesson.gradebook).hexdigest()[:12]}"
    with _TEMPLATE_LOCK:
        if tag not in _TEMPLATES:
            root = _course_from_source(Path(tempfile.mkdtemp(prefix=f"lg-template-{tag}-")),
                                       lesson.name, lesson.source)
            atexit.register(shutil.rmtree, root, ignore_errors=True)
            (root / "gradebook.db").write_bytes(lesson.gradebook)
            _TEMPLATES[tag] = root
        return _TEMPLATES[tag]


def _course_from_source(root: Path, name: str, source: bytes) -> Path:
    notebook = root / "source" / name / f"{name}.ipynb"
    notebook.parent.mkdir(parents=True)
    notebook.write_bytes(source)
    return make_course_dir(root, releases=root / "release", source=root / "source")


_JAIL: list = []


def _course_key(name: str) -> str:
    """The key of this worker's course code for a lesson (autograder/reference.py): milliseconds,
    so it is computed for every job and an edited checkout is never judged by a stale key."""
    return reference.key(name)


def _jail() -> tuple[bool, str]:
    """Can this worker build the jail? Asked once per process."""
    if not _JAIL:
        _JAIL.append(sandbox.bwrap_works())
    return _JAIL[0]


def _preflight(job: Job, lesson: Lesson, rec: Record) -> bytes | None:
    """Can nbgrader read it? Then the notebook to grade: the submission rebuilt on the release
    (autograder/rebuild.py), with the static scan's flags and holds; None means: do not
    autograde, score 0."""
    if job.notebook is None:
        rec.status = "missing" if not job.unreadable else "malformed"
        rec.problems.append(f"the submission could not be read: {job.unreadable}; it could not be graded"
                            if job.unreadable else f"no {job.lesson}.ipynb in the submission")
        return None
    try:
        raw = json.loads(job.notebook)
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        rec.status = "malformed"
        rec.problems.append(f"the notebook is not valid JSON ({e}); it could not be graded")
        return None
    if not isinstance(raw, dict) or raw.get("nbformat") != 4 or not isinstance(raw.get("cells"), list):
        rec.status = "malformed"
        version = raw.get("nbformat") if isinstance(raw, dict) else None
        rec.problems.append(f"not a version-4 Jupyter notebook (nbformat {version!r}); it could not be graded")
        return None
    odd = [i for i, c in enumerate(raw["cells"]) if not isinstance(c, dict) or not isinstance(c.get("cell_type"), str)]
    if odd:
        rec.status = "malformed"
        rec.problems.append(f"cell(s) {', '.join(str(i + 1) for i in odd[:5])} are not notebook cells (objects with a "
                            "cell_type); it could not be graded")
        return None
    try:
        read = preflight_process.read(job.notebook, lesson.release)
    except preflight_process.OverBudget as e:  # this one submission waits for a person; the batch goes on
        rec.hold = True
        rec.flags.append(f"{e}: graded as submitted (not rebuilt on the release, not scanned) and its "
                         "points held for review")
        return job.notebook
    except preflight_process.Failed as e:
        raise RuntimeError(f"rebuilding or scanning the notebook failed: {e}") from None
    rec.problems += read["problems"]
    rec.flags += [flag["text"] for flag in read["flags"]]
    rec.hold = any(flag["hold"] for flag in read["flags"])
    return json.dumps(read["notebook"]).encode()


def _autograde(course: Path, job: Job, rec: Record) -> dict[str, list[str]]:
    """Run nbgrader on the submission; what each test cell's checks handed over, by grade id."""
    student, lesson, limits, jail = job.student, job.lesson, job.limits, _jail()[0]
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
                    f"--KernelManager.ip={sockets}/kernel/k",  # a link into the jail's own tmpfs (sandbox.py)
                    f"--Execute.timeout={limits.cell_timeout}",
                    "--Execute.interrupt_on_timeout=True", "--Execute.startup_timeout=60",
                    "--OverwriteCells.add_missing_cells=True",
                    "--LimitOutput.max_lines=200", "--LimitOutput.max_traceback=60"]
            proc = nbgrader_process.run(args, course, env, limits.memory_mb, limits.notebook_timeout)
            text = proc.stdout + proc.stderr
            happened = json.loads(files.read_bytes(events, limit_mb=256)) if events.is_file() else {}
    finally:
        cgroups.remove(groups)
    skipped = happened.get("skipped_cells", [])
    for cell in happened.get("shown_values", []):
        rec.flags.append(f"{cell} showed a value while its checks ran (nbgrader would count it as "
                         "partial credit); removed before scoring, review the cell")
    for cell in skipped:
        rec.flags.append(f"{cell['cell']} stopped the kernel while grading; graded again without "
                         "running it (review the cell)")
        rec.problems.append(f"the kernel died in {cell['cell']} (a crash, memory exhausted, or an "
                            "exit); that cell was skipped and the rest graded as usual")
    if proc.returncode == -signal.SIGKILL and "WALL LIMIT" in proc.stderr:
        rec.status = "timeout"
        rec.problems.append(f"the notebook ran past the {limits.notebook_timeout} s limit for a "
                            "whole notebook and was stopped; tests that had not run score 0")
    elif proc.returncode != 0:
        rec.status = "error"
        rec.problems.append("nbgrader could not finish grading: " + _nbgrader_reason(text))
        # the log's own words can carry what the kernel wrote (its stderr): the instructor's only
        errors = [line.strip() for line in text.splitlines() if "Error" in line]
        if errors:
            rec.flags.append("nbgrader's last error line (for review): " + errors[-1][:300])
    for line in text.splitlines():
        if "has changed! (should be" in line and "'checksum'" not in line:  # metadata restored
            rec.flags.append("restored from the source: " + line.split("] ", 1)[-1].strip())
        if "was missing from the submission" in line or "Missing grade cell" in line:
            rec.flags.append("restored a deleted cell: " + line.split("] ", 1)[-1].strip())
    checks = happened.get("checks", {})
    return checks if isinstance(checks, dict) else {}


def _nbgrader_reason(text: str) -> str:
    for needle, reason in (("DeadKernelError", "the kernel died (os._exit, a crash, or memory exhausted)"),
                           ("Kernel died", "the kernel died (os._exit, a crash, or memory exhausted)"),
                           ("MemoryError", "out of memory"),
                           ("CellTimeoutError", "a cell ran past the per-cell timeout"),
                           ("Kernel didn't respond", "the kernel did not start"),
                           ("Inconsistent checksums", "a locked cell could not be restored")):
        if needle in text:
            return reason
    return "an error in the grading run (your instructor has the details)"


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
