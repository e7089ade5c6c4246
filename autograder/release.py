"""Build the student releases (notebooks/) from the solutions (solutions/) with nbgrader."""

import shutil
import tempfile
from pathlib import Path

from .course import RELEASES, lessons, make_course_dir, nbgrader


def generate(selected: list[str] | None = None, releases: Path = RELEASES,
             course_dir: Path | None = None) -> list[Path]:
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
        for lesson in selected:
            target = Path(releases) / lesson
            if target.exists():
                shutil.rmtree(target)  # no stale files from an earlier release
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(staging / lesson, target)
    return [Path(releases) / lesson for lesson in selected]


def release(selected: list[str] | None = None, releases: Path = RELEASES, validate: bool = True) -> list[Path]:
    """The `release` command: generate the releases into a staging folder, check them with
    nbgrader's validator (autograder/validate.py: every solution passes, every untouched release
    fails), and only then replace releases/<lesson>; raise ReleaseRefused naming every lesson and
    cell that is wrong. validate=False only generates."""
    from .validate import ReleaseRefused, check

    selected = selected or lessons()
    if not validate:
        return generate(selected, releases)
    with tempfile.TemporaryDirectory(prefix="llmcourse-validate-") as tmp:
        staging = Path(tmp) / "release"
        generate(selected, releases=staging)
        wrong = check(selected, staging)
        if wrong:
            raise ReleaseRefused("release refused:\n" + "\n".join(f"  - {w}" for w in wrong))
        for lesson in selected:
            target = Path(releases) / lesson
            shutil.rmtree(target, ignore_errors=True)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(staging / lesson, target)
    return [Path(releases) / lesson for lesson in selected]
