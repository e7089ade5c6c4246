"""The grading kernel's jail: a Jupyter kernel spec that starts ipykernel under bubblewrap and
prlimit.

Inside the jail the student's code sees an empty root with, read-only, the system (/usr, /etc),
the Python installation, the virtual environment, the course package `llmcourse/` and the data;
the only writable places are a private, size-capped scratch folder (its working directory,
/scratch), a private /tmp and the kernel's connection folder. No folder the grader reads is
writable: nbgrader's own output folder is not mounted, so nothing the kernel leaves there (a
symlink to another student's notebook, to the gradebook) can be followed from outside. The
solutions, the gradebook, the course folder and the other submissions are simply not there.
The kernel runs as an unprivileged uid with every capability dropped, so grading as root (as
containers and CI do) does not let it remount the read-only binds. There is no network
(--unshare-net: the kernel talks to nbgrader over Unix sockets, which is why grading uses
ZeroMQ's ipc transport); prlimit caps each process's memory, file sizes and CPU time, and where
the machine allows it a cgroup caps the memory and process count of the whole job
(autograder/cgroups.py).

`python -m autograder.sandbox CONNECTION_FILE` is what the kernel spec runs: it builds the
bwrap command from the settings nbgrader's environment carries (LLMCOURSE_SANDBOX_*) and execs it.
"""

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from llmcourse.check_records import RECORD_ENV

from . import cgroups
from .course import REPO

KERNEL_NAME = "llmcourse-sandbox"


@dataclass
class Limits:
    cell_timeout: int = 60          # seconds per cell (nbgrader's Execute.timeout)
    notebook_timeout: int = 600     # seconds for a whole notebook, kernel start included
    memory_mb: int = 4096           # address space of the kernel (RLIMIT_AS)
    output_mb: int = 20             # size of the graded notebook, outputs included
    processes: int = 1024           # RLIMIT_NPROC (threads count too: torch starts many)
    tmp_mb: int = 512               # size of the jail's private /tmp
    scratch_mb: int = 256           # size of the kernel's working folder (/scratch)
    file_mb: int = 100              # largest file the kernel may write (RLIMIT_FSIZE)


def bwrap_works() -> tuple[bool, str]:
    """(True, "") when bubblewrap can build a jail with user and network namespaces here."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return False, "bubblewrap (bwrap) is not installed: apt-get install bubblewrap"
    probe = [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
             "--unshare-all", "--die-with-parent", "true"]
    proc = subprocess.run(probe, capture_output=True, text=True)
    if proc.returncode != 0:
        return False, f"bubblewrap cannot create namespaces here: {proc.stderr.strip()[:300]}"
    return True, ""


def protections() -> dict[str, str]:
    """{protection: "on" or why it is off}, for the start banner and the report."""
    ok, why = bwrap_works()
    jail = "on" if ok else f"OFF ({why})"
    prlimit = "on" if shutil.which("prlimit") else "OFF (prlimit not found: no memory/process limits)"
    return {"filesystem jail (solutions, gradebook, other submissions hidden)": jail,
            "read-only environment; only a private, size-capped scratch folder writable": jail,
            "no network": jail,
            "kernel unprivileged (no capabilities, uid nobody) even when grading as root": jail,
            "memory, process and file-size limits per process (prlimit)": prlimit,
            "memory and process limits per job (cgroup)": cgroups.available(),
            "per-cell timeout and per-notebook wall limit": "on",
            "test cells and metadata restored from the source (nbgrader)": "on",
            "tampering checks (llmcourse.checks) and static scan": "on"}


def install_kernel(jupyter_dir: Path) -> Path:
    """Write the sandbox kernel spec under jupyter_dir/kernels/ (put jupyter_dir on JUPYTER_PATH)."""
    spec_dir = Path(jupyter_dir) / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {"argv": [sys.executable, "-m", "autograder.sandbox", "{connection_file}"],
            "display_name": "Python 3 (grading jail)", "language": "python",
            "interrupt_mode": "message",
            "env": {"PYTHONPATH": str(REPO)}}
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1))
    return spec_dir


def _read_only_mounts() -> list[Path]:
    """What the kernel needs to see: system, interpreter, venv, the llmcourse package, data."""
    venv = Path(sys.prefix)
    base = Path(sys.base_prefix)
    mounts = [Path("/usr"), Path("/etc"), base, venv, REPO / "llmcourse"]
    data = REPO / "data"
    if data.is_dir():
        mounts.append(data)
        mounts += [p.resolve() for p in data.iterdir() if p.is_symlink() and p.resolve().exists()]
    for extra in os.environ.get("LLMCOURSE_SANDBOX_READONLY", "").split(os.pathsep):
        if extra:
            mounts.append(Path(extra))
    return [m for m in dict.fromkeys(mounts) if m.exists()]


def _symlinks() -> list[str]:
    args = []
    for name in ("bin", "sbin", "lib", "lib64", "lib32", "libx32"):
        p = Path("/") / name
        if p.is_symlink():
            args += ["--symlink", os.readlink(p), str(p)]
        elif p.is_dir():
            args += ["--ro-bind", str(p), str(p)]
    return args


SCRATCH = "/scratch"   # the kernel's working folder inside the jail: a private tmpfs
JAIL_UID = 65534       # "nobody": the kernel's uid inside the jail, with no capabilities


def kernel_env(connection_dir: Path) -> dict:
    """A clean environment: nothing from the grader's environment leaks in except these."""
    keep = ("LANG", "LC_ALL", "LLMCOURSE_MODE", "LLMCOURSE_DEVICE", "NBGRADER_EXECUTION",
            "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE", "LLMCOURSE_IMDB", RECORD_ENV)
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env.update(PATH=f"{sys.prefix}/bin:/usr/local/bin:/usr/bin:/bin", HOME="/tmp", IPYTHONDIR="/tmp/ipython",
               TMPDIR="/tmp", MPLBACKEND="Agg", MPLCONFIGDIR="/tmp/mpl", PYTHONPATH=str(REPO),
               HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_DATASETS_OFFLINE="1",
               PYTHONDONTWRITEBYTECODE="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               JUPYTER_RUNTIME_DIR=str(connection_dir))
    return env


def jail(limits: Limits, writable: list[Path] = (), readable: list[Path] = ()) -> list[str]:
    """bwrap + prlimit arguments for a program (appended by the caller) in the jail. `writable`
    are folders the program must write to (the kernel's socket folder), nothing else."""
    args = ["bwrap", "--unshare-all", "--unshare-user", "--uid", str(JAIL_UID), "--gid", str(JAIL_UID),
            "--cap-drop", "ALL", "--die-with-parent", "--new-session",
            "--tmpfs", "/", "--dev", "/dev", "--proc", "/proc",
            "--size", str(limits.tmp_mb * 2**20), "--tmpfs", "/tmp",
            "--size", str(limits.scratch_mb * 2**20), "--tmpfs", SCRATCH]
    for path in [*_read_only_mounts(), *readable]:
        args += ["--ro-bind", str(path), str(path)]
    args += _symlinks()
    for path in writable:
        args += ["--bind", str(path), str(path)]
    args += ["--remount-ro", "/", "--chdir", SCRATCH, "--clearenv"]
    for key, value in kernel_env((list(writable) or [Path(SCRATCH)])[-1]).items():
        args += ["--setenv", key, value]
    return args + ["prlimit", f"--as={limits.memory_mb * 2**20}", f"--nproc={limits.processes}",
                   f"--fsize={limits.file_mb * 2**20}", "--core=0", f"--cpu={limits.notebook_timeout * 2}"]


def command(connection_file: str, limits: Limits) -> list[str]:
    """The bwrap + prlimit command line that runs ipykernel on connection_file."""
    connection = Path(connection_file).resolve()
    # ZeroMQ's ipc sockets live at <ip>-<port>; grading points `ip` at a per-job folder
    sockets = Path(json.loads(connection.read_text())["ip"]).resolve().parent
    return jail(limits, writable=[sockets], readable=[connection]) + [
        str(Path(sys.prefix) / "bin" / "python"), "-m", "ipykernel_launcher", "-f", connection_file]


def unjailed_command(connection_file: str, limits: Limits) -> list[str]:
    """When bubblewrap is unavailable: only prlimit (said loudly at start and in the report)."""
    args = []
    if shutil.which("prlimit"):
        args = ["prlimit", f"--as={limits.memory_mb * 2**20}", f"--fsize={limits.file_mb * 2**20}", "--core=0"]
    return args + [sys.executable, "-m", "ipykernel_launcher", "-f", connection_file]


def limits_from_env() -> Limits:
    raw = os.environ.get("LLMCOURSE_SANDBOX_LIMITS")
    return Limits(**json.loads(raw)) if raw else Limits()


def main(argv: list[str]) -> None:
    connection_file = argv[0]
    limits = limits_from_env()
    cgroups.join(os.environ.get(cgroups.ENV, ""))  # the job's limits hold for all it starts
    if os.environ.get("LLMCOURSE_SANDBOX_JAIL", "1") == "1":
        args = command(connection_file, limits)
    else:
        args = unjailed_command(connection_file, limits)
    os.execvp(args[0], args)


if __name__ == "__main__":
    main(sys.argv[1:])
