"""Each exercise's tests catch plausible wrong answers, and each hidden test earns its place."""

import pytest
import nbformat

from mutation import MUTANTS_DIR, equivalents, mutants, mutated_notebook, outcome
from nbcells import has_hidden, solution_cells, graded_test_cells

from autograder.course import lessons, solution_notebook

CASES = [pytest.param(lesson, m, id=f"{lesson}-{m.cell}-{i}",
                      marks=pytest.mark.xdist_group(f"mutants-{lesson}"))
         for lesson in lessons() for i, m in enumerate(mutants(lesson))]


@pytest.mark.parametrize("lesson", lessons())
def test_every_exercise_has_two_mutants(lesson):
    assert (MUTANTS_DIR / f"{lesson}.py").exists(), f"tests/mutants/{lesson}.py is missing"
    nb = nbformat.read(solution_notebook(lesson), as_version=4)
    counts = {gid: 0 for gid in solution_cells(nb)}
    for m in mutants(lesson):
        assert m.cell in counts, f"mutant for unknown solution cell {m.cell!r}"
        counts[m.cell] += 1
        mutated_notebook(lesson, m)  # raises if its text is not found exactly once
    thin = {gid: n for gid, n in counts.items() if n < 2}
    assert not thin, f"{lesson}: exercises with fewer than two mutants: {thin}"


@pytest.mark.slow
@pytest.mark.parametrize("lesson,mutant", CASES)
def test_mutant_is_caught(lesson, mutant):
    result = outcome(lesson, mutant)
    assert not result.solution_errors, (
        f"the mutant breaks the solution cell itself ({result.solution_errors}); a wrong answer "
        "should define the function and fail the tests")
    assert result.failed, f"{lesson}: no test caught this wrong answer in {mutant.cell!r}: {mutant.why}"
    if mutant.visible:
        assert result.failed_visible, (f"{lesson}: only the hidden tests catch {mutant.why!r}; the visible "
                                       "checks should, so a student learns of it before handing in")
    # Feedback is the grader's verdict in words: a failed test names what failed.
    for gid, shown in result.feedback.items():
        if gid in result.failed:
            assert "✗" in shown, f"{lesson}/{gid}: feedback names no failure:\n{shown}"
        else:
            assert "checks passed" in shown, f"{lesson}/{gid}: a passed test's feedback:\n{shown}"
    if mutant.only:  # one test cell, or the cells of one exercise (a tuple)
        allowed = {mutant.only} if isinstance(mutant.only, str) else set(mutant.only)
        assert result.failed <= allowed, (f"{lesson}: {mutant.why!r} costs {sorted(result.failed)}, "
                                          f"not only {sorted(allowed)}: one mistake should cost one exercise")


@pytest.mark.slow
@pytest.mark.parametrize("lesson,mutant", [
    pytest.param(lesson, m, id=f"{lesson}-{m.cell}-{i}", marks=pytest.mark.xdist_group(f"mutants-{lesson}"))
    for lesson in lessons() for i, m in enumerate(equivalents(lesson))])
def test_a_correct_answer_written_another_way_gets_full_marks(lesson, mutant):
    """Judged as the grader judges (values against the solution's): an honest student whose code
    differs from the solution (another parameter order, other calls) loses nothing."""
    result = outcome(lesson, mutant)
    assert not result.failed and not result.solution_errors, (
        f"{lesson}: {mutant.why!r} is correct but fails {sorted(result.failed)}: "
        f"{ {g: result.feedback.get(g) for g in result.failed} }")


@pytest.mark.slow
@pytest.mark.parametrize("lesson", [pytest.param(l, marks=pytest.mark.xdist_group(f"mutants-{l}"))
                                    for l in lessons()])
def test_every_hidden_test_catches_what_visible_tests_miss(lesson):
    nb = nbformat.read(solution_notebook(lesson), as_version=4)
    hidden = {gid for gid, c in graded_test_cells(nb).items() if has_hidden(c)}
    results = [outcome(lesson, m) for m in mutants(lesson)]
    useless = {gid for gid in hidden
               if not any(gid in r.failed and gid not in r.failed_visible for r in results)}
    assert not useless, (
        f"{lesson}: the hidden tests of {sorted(useless)} catch no mutant that the visible tests "
        f"miss; add a mutant to tests/mutants/{lesson}.py that passes the visible checks and fails "
        "the hidden ones (or make the hidden tests stricter)")
