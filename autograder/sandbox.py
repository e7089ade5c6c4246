"""The grading kernel's jail: a Jupyter kernel spec that starts ipykernel under bubblewrap and
prlimit.

Inside the jail the student's code sees an empty root with, read-only, the system (/usr, /etc),
the Python installation, the virtual environment, the course package `llmcourse/` and the data.
Nothing of the host is writable there: the only writable places are tmpfs mounts of the jail's
own, each size-capped and nosuid/nodev (/scratch, its working directory; /tmp; /dev/shm; and
/run/kernel, where the kernel binds its ZeroMQ sockets), gone when the jail ends. nbgrader's
output folder, the solutions, the gradebook, the course folder and the other submissions are
not there. The kernel has no capabilities, and no uid of root's: an unprivileged grader's uid
through a user namespace, or, when grading as root (containers, CI), an unprivileged account
(`nobody`) that bwrap's namespaces are entered as, so it reads only world-readable files. There
is no network (the kernel talks to nbgrader over Unix sockets: ZeroMQ's ipc transport); prlimit
caps each process's memory, file sizes and CPU time, and where the machine allows it a cgroup
caps the memory (tmpfs pages included) and process count of the whole job (autograder/cgroups.py).

`python -m autograder.sandbox CONNECTION_FILE` is what the kernel spec runs: it builds the
bwrap command from the settings nbgrader's environment carries (LLMCOURSE_SANDBOX_*) and runs it
(run_jailed).
"""

import json
import os
import pwd
import shutil
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from llmcourse.check_records import RECORD_ENV

from . import cgroups, files
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
    shm_mb: int = 64                # size of the jail's /dev/shm (the rest of /dev is read-only)


def bwrap_works() -> tuple[bool, str]:
    """(True, "") when bubblewrap can build the grading jail here, as the kernel will run in it:
    the same namespaces, the same account, the interpreter and the course readable by it."""
    if shutil.which("bwrap") is None:
        return False, "bubblewrap (bwrap) is not installed: apt-get install bubblewrap"
    try:
        args = jail(Limits())
    except ValueError as e:  # AUTOGRADER_JAIL_USER names root or nobody
        return False, str(e)
    probe = args + [str(Path(sys.prefix) / "bin" / "python"), "-c",
                    f"import ipykernel; open({str(REPO / 'llmcourse' / '__init__.py')!r}).close()"]
    proc = subprocess.run(probe, capture_output=True, text=True)
    if proc.returncode != 0:
        account = outer_account()
        who = f"uid {account[0]}" if account else "this user"
        return False, (f"bubblewrap cannot build the jail here, or {who} cannot read the Python "
                       f"installation and the course (make them world-readable): "
                       f"{proc.stderr.strip()[-300:]}")
    return True, ""


def protections() -> dict[str, str]:
    """{protection: "on" or why it is off}, for the start banner and the report."""
    ok, why = bwrap_works()
    jail = "on" if ok else f"OFF ({why})"
    prlimit = "on" if shutil.which("prlimit") else "OFF (prlimit not found: no memory/process limits)"
    return {"filesystem jail (solutions, gradebook, other submissions hidden)": jail,
            "read-only environment; only a private, size-capped scratch folder writable": jail,
            "no network": jail,
            "kernel unprivileged (no capabilities; an unprivileged account outside when grading as root)": jail,
            "nothing of the host writable in the jail (size-capped private tmpfs only)": jail,
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


SCRATCH = "/scratch"             # the kernel's working folder inside the jail: a private tmpfs
KERNEL_DIR = "/run/kernel"      # its sockets: a tmpfs of the jail's own, reached from outside
CONNECTION = "/run/connection.json"  # a copy of the connection file, made for the jail
JAIL_UID = 65534                # "nobody": the kernel's uid inside the jail, with no capabilities
JAIL_USER_ENV = "AUTOGRADER_JAIL_USER"  # the account the kernel runs as when grading as root
SOCKETS = 5                     # shell, iopub, stdin, control, heartbeat


def outer_account() -> tuple[int, int] | None:
    """(uid, gid) the kernel runs as on the host when the grader is root; None when the grader is
    not root (a user namespace then maps the jail's uid to the grader's own, unprivileged one).
    A user namespace made by root maps the jail's uid to root outside, so root does not use one:
    the kernel becomes an unprivileged account instead (`nobody`, or AUTOGRADER_JAIL_USER) and
    reaches only what that account may read: world-readable files."""
    if os.geteuid() != 0:
        return None
    name = os.environ.get(JAIL_USER_ENV) or "nobody"
    try:
        account = pwd.getpwuid(int(name)) if name.isdigit() else pwd.getpwnam(name)
        uid, gid = account.pw_uid, account.pw_gid
    except KeyError:
        if not name.isdigit():
            raise ValueError(f"{JAIL_USER_ENV}={name!r}: no such account") from None
        uid = gid = int(name)
    if uid == 0 or gid == 0:
        raise ValueError(f"{JAIL_USER_ENV}={name!r} is root: the kernel needs an unprivileged account")
    return uid, gid


def kernel_env() -> dict:
    """A clean environment: nothing from the grader's environment leaks in except these."""
    keep = ("LANG", "LC_ALL", "LLMCOURSE_MODE", "LLMCOURSE_DEVICE", "NBGRADER_EXECUTION",
            "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE", "LLMCOURSE_IMDB", RECORD_ENV)
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env.update(PATH=f"{sys.prefix}/bin:/usr/local/bin:/usr/bin:/bin", HOME="/tmp", IPYTHONDIR="/tmp/ipython",
               TMPDIR="/tmp", MPLBACKEND="Agg", MPLCONFIGDIR="/tmp/mpl", PYTHONPATH=str(REPO),
               HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_DATASETS_OFFLINE="1",
               PYTHONDONTWRITEBYTECODE="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               JUPYTER_RUNTIME_DIR="/tmp/jupyter-runtime")
    return env


def jail(limits: Limits, data: dict[str, int] | None = None, info_fd: int | None = None) -> list[str]:
    """bwrap + prlimit arguments for a program (appended by the caller) in the jail. Nothing of
    the host is writable there: every writable place is a size-capped tmpfs of the jail's own
    (nosuid, nodev), gone with it. `data` are files made for the jail from open file descriptors
    ({path in the jail: fd}, read-only); `info_fd` receives bwrap's JSON (the jail's pid)."""
    account = outer_account()
    if account is None:  # an unprivileged grader: the jail's uid is ours outside
        args = ["bwrap", "--unshare-all", "--unshare-user", "--uid", str(JAIL_UID), "--gid", str(JAIL_UID),
                "--cap-drop", "ALL"]
        become = []
    else:  # root: private namespaces but no user namespace; the program becomes the account
        args = ["bwrap", "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
                "--unshare-cgroup-try"]
        become = ["setpriv", f"--reuid={account[0]}", f"--regid={account[1]}", "--clear-groups",
                  "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
    args += ["--die-with-parent", "--new-session", "--tmpfs", "/", "--dev", "/dev", "--proc", "/proc"]
    for mb, path in ((limits.shm_mb, "/dev/shm"), (limits.tmp_mb, "/tmp"), (limits.scratch_mb, SCRATCH),
                     (1, KERNEL_DIR)):
        args += ["--perms", "1777", "--size", str(mb * 2**20), "--tmpfs", path]
    args += ["--remount-ro", "/dev"]  # bwrap's /dev is a tmpfs without a size: only its shm is writable
    mounts = sorted(_read_only_mounts(), key=lambda p: len(p.parts))
    for folder in _parents(mounts):  # made by us, 0755: the account must be able to walk to the mounts
        args += ["--perms", "0755", "--dir", str(folder)]
    for path in mounts:
        args += ["--ro-bind", str(path), str(path)]
    args += _symlinks()
    for path, fd in (data or {}).items():
        args += ["--perms", "0444", "--ro-bind-data", str(fd), path]
    if info_fd is not None:
        args += ["--info-fd", str(info_fd)]
    args += ["--remount-ro", "/", "--chdir", SCRATCH, "--clearenv"]
    for key, value in kernel_env().items():
        args += ["--setenv", key, value]
    return args + become + [
        "prlimit", f"--as={limits.memory_mb * 2**20}", f"--nproc={limits.processes}",
        f"--fsize={limits.file_mb * 2**20}", "--core=0", f"--cpu={limits.notebook_timeout * 2}"]


def _parents(mounts: list[Path]) -> list[Path]:
    """Folders above the mount points that no mount provides, outermost first."""
    parents = {parent for m in mounts for parent in m.parents if parent != Path("/")}
    inside = [p for p in parents if any(p == m or m in p.parents for m in mounts)]
    return sorted(parents - set(inside), key=lambda p: len(p.parts))


def run_jailed(connection_file: str, limits: Limits) -> int:
    """Run ipykernel in the jail; return its exit status.

    The kernel binds its ZeroMQ sockets in the jail's own KERNEL_DIR tmpfs. The grader's client
    reaches them through a link that this launcher (running as the grader) makes where the
    connection file says they are: <that folder> -> /proc/<jail>/root/run/kernel. So no folder
    of the host is writable in the jail. When grading as root, the folder is made read-only once
    the kernel's sockets are there: the kernel cannot swap a socket for a link to a host socket.
    """
    connection = json.loads(files.read_bytes(Path(connection_file), limit_mb=1))
    link = Path(connection["ip"]).parent
    data_r, data_w = os.pipe()
    os.write(data_w, json.dumps({**connection, "ip": f"{KERNEL_DIR}/k"}).encode())
    os.close(data_w)
    info_r, info_w = os.pipe()
    args = jail(limits, data={CONNECTION: data_r}, info_fd=info_w) + [
        str(Path(sys.prefix) / "bin" / "python"), "-m", "ipykernel_launcher", "-f", CONNECTION]
    proc = subprocess.Popen(args, pass_fds=(data_r, info_w))
    os.close(data_r)
    os.close(info_w)
    with open(info_r, "rb") as info:  # bwrap writes it once the jail exists, then closes it
        raw = info.read()
    if not raw:  # bwrap failed before making the jail: its message is on stderr
        return proc.wait()
    sockets = Path(f"/proc/{json.loads(raw)['child-pid']}/root") / KERNEL_DIR.lstrip("/")
    link.unlink(missing_ok=True)
    link.symlink_to(sockets)
    try:
        if outer_account() is not None:
            _lock_when_bound(sockets, proc)
        return proc.wait()
    finally:
        link.unlink(missing_ok=True)


def _lock_when_bound(sockets: Path, proc: subprocess.Popen, timeout: float = 60) -> None:
    """Make the kernel's socket folder root's and read-only once its sockets are bound (before any
    student code runs): from then on the kernel can neither remove them nor plant links there."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            entries = list(os.scandir(sockets))
            if len(entries) >= SOCKETS and all(stat.S_ISSOCK(e.stat(follow_symlinks=False).st_mode)
                                               for e in entries):
                os.chmod(sockets, 0o555)
                return
        except OSError:  # the jail is not there yet, or is gone
            pass
        time.sleep(0.02)


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
        sys.exit(run_jailed(connection_file, limits))
    folder = Path(json.loads(Path(connection_file).read_text())["ip"]).parent
    folder.mkdir(mode=0o700, exist_ok=True)  # no jail: the sockets are where the client looks
    args = unjailed_command(connection_file, limits)
    os.execvp(args[0], args)


if __name__ == "__main__":
    main(sys.argv[1:])
