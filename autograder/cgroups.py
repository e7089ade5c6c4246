"""Limits for a grading job as a whole: one cgroup per job caps the memory (tmpfs pages of the
jail's /tmp and /scratch included) and the number of processes of everything the job starts,
so forked children cannot add up past the limit that prlimit sets for each process alone.

Needs a writable cgroup hierarchy (root on most Linux machines and CI; v1 or v2). Elsewhere
`create` returns nothing and grading says that per-job limits are off; prlimit still limits each
process.
"""

import os
import signal
import time
import uuid
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
ENV = "LLMCOURSE_SANDBOX_CGROUPS"  # the job's cgroup folders, os.pathsep-separated
PARENT = "llmcourse-grading"


def _v2() -> bool:
    return (ROOT / "cgroup.controllers").is_file()


def _write(path: Path, value) -> None:
    path.write_text(str(value))


def create(memory_mb: int, processes: int) -> list[Path]:
    """Make the job's cgroup(s) with these limits; [] when the machine does not allow it."""
    name = f"job-{uuid.uuid4().hex[:12]}"
    made: list[Path] = []
    try:
        if _v2():
            parent = ROOT / PARENT
            parent.mkdir(exist_ok=True)
            for level in (ROOT, parent):  # let the job's group have memory and pids controllers
                _write(level / "cgroup.subtree_control", "+memory +pids")
            job = parent / name
            job.mkdir()
            made.append(job)
            _write(job / "memory.max", memory_mb * 2**20)
            if (job / "memory.swap.max").exists():
                _write(job / "memory.swap.max", 0)
            _write(job / "pids.max", processes)
        else:
            for controller, limits in (("memory", {"memory.limit_in_bytes": memory_mb * 2**20}),
                                       ("pids", {"pids.max": processes})):
                if not (ROOT / controller).is_dir():
                    raise OSError(f"no {controller} controller")
                job = ROOT / controller / PARENT / name
                job.mkdir(parents=True)
                made.append(job)
                for key, value in limits.items():
                    _write(job / key, value)
                if controller == "memory" and (job / "memory.memsw.limit_in_bytes").exists():
                    _write(job / "memory.memsw.limit_in_bytes", memory_mb * 2**20)  # no escape to swap
        return made
    except OSError:
        remove(made)
        return []


def available() -> str:
    """'on', or why per-job limits are off (for the protections banner)."""
    made = create(64, 16)
    if made:
        remove(made)
        return "on"
    return f"OFF (no writable cgroup hierarchy at {ROOT}; each process is still limited by prlimit)"


def join(folders: str) -> None:
    """Move this process (and so everything it starts) into the job's cgroup(s)."""
    for folder in filter(None, folders.split(os.pathsep)):
        _write(Path(folder) / "cgroup.procs", os.getpid())


def remove(folders: list[Path]) -> None:
    """Kill what is left of the job and delete its cgroup(s)."""
    for folder in folders:
        for _ in range(50):
            try:
                pids = [int(p) for p in (folder / "cgroup.procs").read_text().split()]
            except OSError:
                break
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.1)
        try:
            folder.rmdir()
        except OSError:
            pass
