"""The test-cell helpers: clear messages, and not fooled by student code in the same process."""

import contextlib
import io
import traceback

import numpy as np
import pytest
import torch

from llmcourse import checks
from llmcourse.checks import exercise


def run(body):
    """Run checks in an exercise block; return "ok", or what a failure showed: the printed lines
    and the error's one line."""
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            with exercise("demo") as check:
                body(check)
    except AssertionError as e:
        return f"{out.getvalue()}{e}"
    finally:
        print(out.getvalue(), end="")  # for capsys
    return "ok"


def test_passing_checks(capsys):
    def body(check):
        check.shape(torch.zeros(2, 3), (2, 3))
        check.close(torch.tensor([1.0, 2.0]), [1.0, 2.0 + 1e-8])
        check.equal(3, 3)
        check.true(torch.tensor(True), "a one-element bool tensor")

    assert run(body) == "ok"
    assert "all 4 checks passed" in capsys.readouterr().out


def test_failure_says_expected_and_got():
    message = run(lambda c: c.close(torch.tensor([1.0, 2.5]), [1.0, 2.0], what="values"))
    assert "1 of 1 checks failed" in message and "expected 2" in message and "got 2.5" in message


def test_failures_do_not_stop_later_checks(capsys):
    def body(check):
        check.equal(1, 2, what="first")
        check.equal(1, 1, what="second")

    message = run(body)
    out = capsys.readouterr().out
    assert "1 of 2 checks failed" in message and "✓ second" in out


def test_nan_is_reported_as_overflow():
    message = run(lambda c: c.close(torch.tensor([float("nan"), 1.0]), [0.5, 1.0]))
    assert "nan" in message and "overflow" in message


def test_shape_mismatch():
    assert "expected shape (2, 3), got (3, 2)" in run(lambda c: c.shape(torch.zeros(3, 2), (2, 3)))
    assert "expected shape" in run(lambda c: c.close(torch.zeros(3), torch.zeros(4)))


def test_matching_infinities_are_equal():
    assert run(lambda c: c.close(torch.tensor([-float("inf"), 0.0]), [-float("inf"), 0.0])) == "ok"


class AlwaysEqual:
    def __eq__(self, other):
        return True

    def __bool__(self):
        return True


def test_objects_with_a_lying_eq_are_rejected():
    assert "AlwaysEqual" in run(lambda c: c.close(AlwaysEqual(), [1.0]))
    assert "expected 3" in run(lambda c: c.equal(AlwaysEqual(), 3))
    assert "AlwaysEqual" in run(lambda c: c.true(AlwaysEqual(), "truthy object"))


def test_tensor_subclass_with_patched_methods_is_rejected():
    class Liar(torch.Tensor):
        def __sub__(self, other):
            return torch.zeros(())

    fake = torch.tensor([9.0]).as_subclass(Liar)
    assert "Liar" in run(lambda c: c.close(fake, [1.0]))


def test_patching_tensor_methods_does_not_fool_close(monkeypatch):
    monkeypatch.setattr(torch.Tensor, "numpy", lambda self, *a, **k: np.array([1.0]))
    monkeypatch.setattr(torch.Tensor, "detach", lambda self: torch.tensor([1.0]))
    assert "got 9" in run(lambda c: c.close(torch.tensor([9.0]), [1.0]))


@pytest.mark.parametrize("owner,name", [(torch, "allclose"), (np.testing, "assert_allclose"),
                                        (torch.Tensor, "__eq__")])
def test_replaced_test_helpers_fail_every_check(monkeypatch, owner, name):
    monkeypatch.setattr(owner, name, lambda *a, **k: True)
    message = run(lambda c: c.equal(1, 1))
    assert "test environment was modified" in message


def test_avoids_catches_library_shortcut_and_restores_it():
    def cheat(x):
        return torch.softmax(x, dim=-1)

    original = torch.softmax
    assert "calls torch.softmax" in run(lambda c: c.avoids(["torch.softmax"], cheat, torch.zeros(3)))
    assert torch.softmax is original
    assert run(lambda c: c.avoids(["torch.softmax"], lambda x: x.exp(), torch.zeros(3))) == "ok"


def test_raises():
    def bad(x):
        raise ValueError("wrong shape")

    assert run(lambda c: c.raises(ValueError, bad, 1)) == "ok"
    assert "nothing was raised" in run(lambda c: c.raises(ValueError, lambda x: x, 1))
    assert "got ValueError" in run(lambda c: c.raises(TypeError, bad, 1))


def test_not_implemented_propagates(capsys):
    def body(check):
        raise NotImplementedError("replace this line")

    with pytest.raises(NotImplementedError):
        with exercise("demo"):
            body(None)
    assert "not written yet" in capsys.readouterr().out


def test_nothing_tampered_at_rest():
    assert checks.tampering() == []


def test_warnings_inside_a_check_become_notes_not_stderr(capsys):
    import warnings

    from llmcourse.checks import exercise

    with exercise("warns") as check:
        warnings.warn("deprecated thing", DeprecationWarning)
        warnings.warn("deprecated thing", DeprecationWarning)  # reported once
        check.true(True, "still checks")
    out = capsys.readouterr()
    assert out.err == "", "nbgrader scores a test cell with stderr output as failed"
    assert out.out.count("note: DeprecationWarning: deprecated thing") == 1


def test_the_check_object_cannot_be_rewired():
    with pytest.raises(AssertionError):
        with exercise("rewired") as check:
            with pytest.raises(AttributeError):
                check._record = lambda *a, **k: True
            with pytest.raises(AttributeError):
                check.failed = []
            check.equal(1, 2)


@pytest.mark.parametrize("owner, name", [(checks.Checks, "close"), (checks.Checks, "_record"),
                                         (checks.exercise, "__exit__"), (checks.exercise, "__enter__")])
def test_checks_replaced_while_a_test_runs_fail_it(monkeypatch, owner, name):
    """Student code called from a test cell patches the checks' own class: that cell fails, and
    so does every later one."""
    def student_function():
        monkeypatch.setattr(owner, name, lambda *a, **k: True)
        return 1
    with pytest.raises(AssertionError, match="modified"):
        with exercise("patched mid-test") as check:
            check.equal(student_function(), 1)
    assert checks.tampering() == [f"llmcourse.checks.{owner.__name__}"]
    with pytest.raises(AssertionError, match="modified"):
        with exercise("the next test"):
            pass


# --- what a student sees when a check fails or their code raises --------------------------------
def test_a_failed_exercise_lists_its_checks_once_and_ends_in_one_line(capsys):
    """The ✗ lines are printed once; the error that fails the cell is one short line, and IPython
    shows that line instead of a traceback into this package (`_render_traceback_`)."""
    with pytest.raises(AssertionError) as raised:  # still an AssertionError: the cell fails
        with exercise("stable softmax") as check:
            check.equal(1, 1, what="first")
            check.equal(1, 2, what="second")
            check.equal(1, 3, what="third")
    out = capsys.readouterr().out
    error = raised.value
    assert type(error) is checks.ChecksFailed
    assert str(error) == "stable softmax: 2 of 3 checks failed"
    assert error._render_traceback_() == ["stable softmax: 2 of 3 checks failed"]
    shown = out + "\n".join(error._render_traceback_())
    assert shown.count("second") == 1 and shown.count("third") == 1 and shown.count("✓ first") == 1


def student_function(x):
    raise ValueError("my own bug")


@pytest.mark.parametrize("call", ["avoids", "raises"])
def test_the_students_error_keeps_their_frames_without_ours(call):
    """check.avoids / check.raises call the student's function from llmcourse/checks.py: its
    error's traceback keeps the test's line and the student's frames, none of the package's."""
    with pytest.raises((ValueError, NotImplementedError)) as raised:
        with exercise("demo") as check:
            if call == "avoids":
                check.avoids(["torch.softmax"], student_function, 1)
            else:  # NotImplementedError goes through check.raises: a stub not written yet
                check.raises(TypeError, lambda: (_ for _ in ()).throw(NotImplementedError("stub")))
    files = [frame.filename for frame in traceback.extract_tb(raised.value.__traceback__)]
    assert checks.__file__ not in files, files
    assert files.count(__file__) >= 2  # the test's `with` line and the function that raised


def test_the_exception_class_is_watched_like_the_checks(monkeypatch):
    """Replacing how the failure shows (to hide it) is tampering, as replacing the checks is."""
    monkeypatch.setattr(checks.ChecksFailed, "_render_traceback_", lambda self: [])
    assert checks.tampering() == ["llmcourse.checks.ChecksFailed"]
