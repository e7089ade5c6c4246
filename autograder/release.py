"""Build the student releases (notebooks/) from the solutions (solutions/) with nbgrader."""

import shutil
import tempfile
from pathlib import Path

from .course import RELEASES, lessons, make_course_dir, nbgrader


def generate(selected: list[str] | None = None, releases: Path = RELEASES,
             course_dir: Path | None = None) -> list[Path]:
    """Run nbgrader generate_assignment for each lesson, writing releases/<lesson>/.

    The gradebook it fills (cells, points, the hidden tests' source) lives in course_dir; by
    default that is a throwaway folder, since grading sets up its own.
    """
    selected = selected or lessons()
    with tempfile.TemporaryDirectory(prefix="llmcourse-release-") as tmp:
        course = make_course_dir(Path(course_dir or tmp), releases=releases)
        for lesson in selected:
            target = Path(releases) / lesson
            if target.exists():
                shutil.rmtree(target)  # no stale files from an earlier release
            nbgrader("generate_assignment", lesson, "--force", course_dir=course)
    return [Path(releases) / lesson for lesson in selected]
