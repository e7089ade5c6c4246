"""Refuse a release that would grade wrongly: with nbgrader's validator, every solution must pass
all its tests and every untouched release must fail every test cell (a test cell that passes on
the release gives points for nothing)."""

import tempfile
from pathlib import Path

import nbformat

from .course import RELEASES, lessons as all_lessons, release_notebook, solution_notebook


class ReleaseRefused(Exception):
    pass


def _grade_id(notebook: Path, source: str) -> str:
    for i, cell in enumerate(nbformat.read(notebook, as_version=4).cells):
        if cell.source.strip() == source.strip():
            return cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {i}"
    return "a cell starting " + repr(source.strip()[:60])


def _validator(invert: bool, sockets: str):
    from nbgrader.validator import Validator
    from traitlets.config import Config

    config = Config()
    config.KernelManager.transport, config.KernelManager.ip = "ipc", f"{sockets}/k"  # no TCP, no warning
    config.Validator.invert = invert
    config.Validator.ignore_checksums = True  # solutions have none; releases are freshly made
    config.Execute.timeout = 180
    validator = Validator(config=config)
    # Grade the way grading does: heavy demo cells skipped (autograder/grading_execute.py).
    from nbgrader.preprocessors import Execute

    from .grading_execute import GradingExecute
    validator.preprocessors = [GradingExecute if p is Execute else p for p in validator.preprocessors]
    return validator


def problems(lesson: str, releases: Path = RELEASES) -> list[str]:
    """What is wrong with one lesson's solution and release, in words; [] when all is well."""
    found = []
    solution, release = solution_notebook(lesson), release_notebook(lesson, releases)
    with tempfile.TemporaryDirectory(prefix="lv-", dir="/tmp") as sockets:
        failed = _validator(False, sockets).validate(str(solution)).get("failed", [])
        passed = _validator(True, sockets).validate(str(release)).get("passed", [])
    for cell in failed:
        error = (cell.get("raw_error") or "").strip().splitlines()
        found.append(f"{lesson}: the solution fails {_grade_id(solution, cell['source'])}: "
                     + (error[-1][:300] if error else "no response"))
    for cell in passed:
        found.append(f"{lesson}: the untouched release PASSES {_grade_id(release, cell['source'])}: "
                     "its visible checks must call the student's code so that a blank notebook fails")
    return found


def check(selected: list[str] | None = None, releases: Path = RELEASES) -> list[str]:
    return [p for lesson in (selected or all_lessons()) for p in problems(lesson, releases)]
