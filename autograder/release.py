"""Build the student releases (notebooks/) from the solutions (solutions/) with nbgrader.

A release is replaced only when nothing would be lost: every notebook it writes carries a stamp
(a hash of its own content, in the notebook's metadata), and an existing notebook is overwritten
only if it still matches its stamp (nobody typed into it, ran it or saved it since it was
generated) or git holds it exactly as it is. Otherwise the release stops and names the files
(ReleaseWouldOverwrite); `--force` overwrites them anyway.
"""

import hashlib
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from .course import RELEASES, lessons, make_course_dir, nbgrader

STAMP = "llmcourse"  # the notebook metadata key holding {"generated": <sha256 of the rest>}


class ReleaseWouldOverwrite(Exception):
    """A release would overwrite notebooks that were changed after they were generated."""


def generate(selected: list[str] | None = None, releases: Path = RELEASES,
             course_dir: Path | None = None, force: bool = False) -> list[Path]:
    """Run nbgrader generate_assignment for each lesson, writing releases/<lesson>/.

    Everything is generated into a staging folder first, so a failure leaves the previous
    releases untouched. The gradebook it fills (cells, points, the hidden tests' source) lives in
    course_dir; by default that is a throwaway folder, since grading sets up its own.
    """
    selected = selected or lessons()
    with tempfile.TemporaryDirectory(prefix="llmcourse-release-") as tmp:
        staging = Path(tmp) / "release"
        course = make_course_dir(Path(course_dir or Path(tmp) / "course"), releases=staging)
        for lesson in selected:
            nbgrader("generate_assignment", lesson, "--force", course_dir=course)
            for notebook in (staging / lesson).rglob("*.ipynb"):
                stamp(notebook)
        replace(staging, Path(releases), selected, force)
    return [Path(releases) / lesson for lesson in selected]


def release(selected: list[str] | None = None, releases: Path = RELEASES, validate: bool = True,
            force: bool = False) -> list[Path]:
    """The `release` command: generate the releases into a staging folder, check them with
    nbgrader's validator (autograder/validate.py: every solution passes, every untouched release
    fails), and only then replace releases/<lesson>; raise ReleaseRefused naming every lesson and
    cell that is wrong. validate=False only generates."""
    from .validate import ReleaseRefused, check

    selected = selected or lessons()
    if not validate:
        return generate(selected, releases, force=force)
    with tempfile.TemporaryDirectory(prefix="llmcourse-validate-") as tmp:
        staging = Path(tmp) / "release"
        generate(selected, releases=staging)
        wrong = check(selected, staging)
        if wrong:
            raise ReleaseRefused("release refused:\n" + "\n".join(f"  - {w}" for w in wrong))
        replace(staging, Path(releases), selected, force)
    return [Path(releases) / lesson for lesson in selected]


def replace(staging: Path, releases: Path, selected: list[str], force: bool = False) -> None:
    """Move staging/<lesson> to releases/<lesson> (no stale files from an earlier release), after
    checking that no notebook there was changed since it was generated."""
    changed = [] if force else [p for lesson in selected if (releases / lesson).is_dir()
                                for p in sorted((releases / lesson).rglob("*.ipynb")) if not safe_to_replace(p)]
    if changed:
        raise ReleaseWouldOverwrite(
            "not released: these notebooks changed after they were generated (answers typed in, run, "
            "or saved), and git does not hold them as they are:\n"
            + "\n".join(f"  - {p}" for p in changed)
            + "\nMove or commit your work, then release again; or release with --force to overwrite them.")
    for lesson in selected:
        target = releases / lesson
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(staging / lesson, target)


def _digest(nb: dict) -> str:
    rest = {**nb, "metadata": {k: v for k, v in nb.get("metadata", {}).items() if k != STAMP}}
    return hashlib.sha256(json.dumps(rest, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def stamp(notebook: Path) -> None:
    """Record in the notebook what it is as generated (written as nbformat writes notebooks)."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    nb.setdefault("metadata", {})[STAMP] = {"generated": _digest(nb)}
    notebook.write_text(json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def safe_to_replace(notebook: Path) -> bool:
    """Whether overwriting the notebook loses nothing: it is as generated, or git holds it."""
    try:
        nb = json.loads(notebook.read_text(encoding="utf-8"))
        if nb.get("metadata", {}).get(STAMP, {}).get("generated") == _digest(nb):
            return True
    except (ValueError, AttributeError, UnicodeDecodeError):
        pass  # not a notebook we wrote; git may still hold it
    try:
        status = subprocess.run(["git", "status", "--porcelain", "--ignored", "--", notebook.name],
                                cwd=notebook.parent, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return status.returncode == 0 and status.stdout.strip() == ""
