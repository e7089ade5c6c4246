"""The instructor's path through nbgrader's own CLI and gradebook: solutions get full marks,
untouched releases get zero."""

import shutil

import pytest

from autograder import gradebook
from autograder.course import lessons, make_course_dir, nbgrader, release_notebook, solution_notebook
from autograder.release import generate


@pytest.mark.slow
def test_solutions_score_full_marks_and_releases_zero(tmp_path):
    course = make_course_dir(tmp_path / "course", releases=tmp_path / "release")
    generate(releases=tmp_path / "release", course_dir=course)
    for lesson in lessons():
        for student, notebook in (("solution", solution_notebook(lesson)),
                                  ("blank", release_notebook(lesson, tmp_path / "release"))):
            folder = course / "submitted" / student / lesson
            folder.mkdir(parents=True)
            shutil.copy(notebook, folder / f"{lesson}.ipynb")
        nbgrader("autograde", lesson, "--force", course_dir=course)
        got = gradebook.scores(course, lesson)
        score, max_score = got["solution"]
        assert max_score > 0, f"{lesson} has no points"
        assert score == max_score, (f"{lesson}: the solution scores {score}/{max_score}; failing cells: "
                                    f"{gradebook.cell_scores(course, lesson, 'solution')}")
        assert got["blank"][0] == 0, (f"{lesson}: the untouched release scores {got['blank'][0]}; "
                                      f"cells: {gradebook.cell_scores(course, lesson, 'blank')}")
