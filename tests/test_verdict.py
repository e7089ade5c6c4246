"""The grader's verdict (autograder/verdict.py): a test cell is judged from the values its checks
handed over, paired in order with the reference's checks; nothing else the student's side sends
(how many checks, their kinds, expected values, verdicts, words) counts or reaches the feedback."""

import json
import math

import numpy as np
import pytest
import torch

from autograder import verdict
from llmcourse import checks
from llmcourse.checks import compare_arrays, exercise


def run_block(monkeypatch, body, *, reference: bool, name="demo") -> tuple[list[str], str | None]:
    """The messages an exercise block hands the grader (JSON texts) and the error it ended with."""
    sent = []
    monkeypatch.setattr(checks, "_RECORDING", True)
    monkeypatch.setattr(checks, "_REFERENCE", reference)
    monkeypatch.setattr(checks, "_publish", lambda message: sent.append(json.dumps(message, allow_nan=True)))
    error = None
    try:
        with exercise(name) as check:
            body(check)
    except Exception as e:  # the kernel's own verdict: not what is tested here
        error = type(e).__name__
    return sent, error


def values_of(monkeypatch, body) -> list[str]:
    return run_block(monkeypatch, body, reference=False)[0]


def reference_of(monkeypatch, body, hidden_from=None) -> dict:
    texts, _ = run_block(monkeypatch, body, reference=True)
    checks_ = [json.loads(t) for t in texts]
    record = {"exercise": checks_[0]["exercise"], "checks": checks_}
    return {"cells": {"t": {"record": record, "hidden_from": hidden_from, "points": 1.0}}}


def judge(monkeypatch, ref, body):
    texts, error = run_block(monkeypatch, body, reference=False)
    return verdict.judge_cell(ref, "t", texts, error)


def softmax_checks(f):
    def body(check):
        x = torch.tensor([[1.0, 2.0, 3.0]])
        check.shape(f(x), (1, 3), what="shape")
        check.matches_solution(f(x), atol=1e-6, what="values")
        check.true(bool((f(x) >= 0).all()), "non-negative", "found a negative weight")
    return body


def good(x):
    return torch.softmax(x, -1)


def test_correct_values_pass_and_wrong_ones_fail(monkeypatch):
    ref = reference_of(monkeypatch, softmax_checks(good))
    ok = judge(monkeypatch, ref, softmax_checks(lambda x: x.exp() / x.exp().sum()))
    assert ok.passed and ok.lines[-1] == "  all 3 checks passed"
    bad = judge(monkeypatch, ref, softmax_checks(lambda x: x / x.sum()))
    assert not bad.passed and "  ✗ values" in bad.lines and "  ✓ shape" in bad.lines


def test_a_graded_kernel_hands_over_values_and_nothing_else(monkeypatch):
    """No expected value, kind, tolerance, verdict or description leaves a graded kernel: a hook
    that rewrites each message so that value := expected has nothing to copy."""
    texts = values_of(monkeypatch, lambda c: (c.close(torch.tensor([0.5]), [0.25], what="v"),
                                              c.equal(3, 4, what="n"), c.true(False, "t", "why")))
    assert [set(json.loads(t)) for t in texts] == [{"value"}] * 3
    assert "0.25" not in "".join(texts) and "why" not in "".join(texts)


def test_the_expected_side_comes_from_the_reference_only(monkeypatch):
    ref = reference_of(monkeypatch, lambda c: c.close(torch.tensor([0.25]), [0.25], what="v"))
    assert not judge(monkeypatch, ref, lambda c: c.close(torch.tensor([0.5]), [0.5], what="v")).passed
    ref2 = reference_of(monkeypatch, lambda c: c.matches_solution(torch.tensor([0.25]), what="v"))
    assert not judge(monkeypatch, ref2, lambda c: c.matches_solution(torch.tensor([0.5]), what="v")).passed


@pytest.mark.parametrize("texts, why", [
    ([], "handed over no results"),
    (['{"value": 1}'] * 4, "4 results for its 3 checks"),
])
def test_missing_or_extra_results_fail_with_a_reason(monkeypatch, texts, why):
    ref = reference_of(monkeypatch, softmax_checks(good))
    found = verdict.judge_cell(ref, "t", texts)
    assert not found.passed and why in found.problem and found.contradicts_a_pass


def test_extra_results_fail_even_when_the_first_ones_are_right(monkeypatch):
    """A forged set of messages first, then the real ones (or the other way round): more values
    than the reference has checks scores 0, whatever the first ones hold."""
    ref = reference_of(monkeypatch, softmax_checks(good))
    right = values_of(monkeypatch, softmax_checks(good))
    assert verdict.judge_cell(ref, "t", right).passed
    assert not verdict.judge_cell(ref, "t", right + right).passed
    assert not verdict.judge_cell(ref, "t", right + ['{"value": true}']).passed


@pytest.mark.parametrize("text", ["not json", "[1, 2]", '{"no value": 1}', "[[[[" * 10_000 + "]]]]" * 10_000])
def test_a_message_in_no_shape_a_check_writes_fails_its_check(monkeypatch, text):
    ref = reference_of(monkeypatch, softmax_checks(good))
    texts = values_of(monkeypatch, softmax_checks(good))
    texts[1] = text
    found = verdict.judge_cell(ref, "t", texts)
    assert not found.passed and found.lines[1:3] == ["  ✓ shape", "  ✗ values"]


def test_errors_fail_the_cell_and_say_what_happened(monkeypatch):
    ref = reference_of(monkeypatch, softmax_checks(good))

    def stub(x):
        raise NotImplementedError("replace this line")

    found = judge(monkeypatch, ref, softmax_checks(stub))
    assert not found.passed and not found.contradicts_a_pass
    assert "  ✗ not written yet: fill in the cell marked YOUR CODE HERE" in found.lines
    assert "  ✗ 3 checks not reached" in found.lines
    ok_values = values_of(monkeypatch, softmax_checks(good))
    assert not verdict.judge_cell(ref, "t", ok_values, "ValueError").passed  # values right, but it raised


def test_feedback_quotes_nothing_the_kernel_wrote(monkeypatch):
    """Descriptions are the reference's (an f-string's values included), reasons the grader's, and
    an error's type only a built-in exception's name: a class or message named after a hidden
    test, or the student's values, never reach the page."""
    ref = reference_of(monkeypatch, lambda c: (c.close(torch.tensor([1.0, 2.0]), [1.0, 2.0], what=f"rows {2}"),
                                               c.true(True, "holds", ""), c.equal(3, 3, what="count")))
    secret = "x_torch_manual_seed_hidden"
    leak_class = type(secret, (Exception,), {})

    def body(c):
        c.close(torch.tensor([1.0, 777.25]), [1.0, 2.0], what=f"rows {secret}")
        c.true(False, "holds", f"see {secret}")
        c.equal(4, 3, what=f"count {secret}")
        raise leak_class(secret)

    texts, _ = run_block(monkeypatch, body, reference=False)
    found = verdict.judge_cell(ref, "t", texts, leak_class.__name__)
    page = "\n".join(found.lines)
    assert secret not in page and "777" not in page, page
    assert found.lines == ["demo:", "  ✗ rows 2",
                           "      your values differ from the expected ones by more than the tolerance "
                           "(atol 1e-06, rtol 1e-05), or are not finite",
                           "      expected [1. 2.]", "  ✗ holds", "  ✗ count", "      expected 3",
                           "  ✗ your code raised an error"]
    builtin = verdict.judge_cell(ref, "t", texts, "ZeroDivisionError")
    assert builtin.lines[-1] == "  ✗ your code raised ZeroDivisionError"


def test_hidden_checks_show_no_explanation(monkeypatch):
    def body(check):
        check.close(torch.tensor([1.0]), [1.0], what="visible")  # line 1 of the body's code
        check.matches_solution(torch.tensor([1.0]), what="hidden")

    ref = reference_of(monkeypatch, body)
    cell = ref["cells"]["t"]
    cell["hidden_from"] = cell["record"]["checks"][1]["line"] - 1  # the second check is hidden
    found = judge(monkeypatch, ref, lambda c: (c.close(torch.tensor([2.0]), [1.0], what="visible"),
                                               c.matches_solution(torch.tensor([2.0]), what="hidden")))
    visible_at, hidden_at = found.lines.index("  ✗ visible"), found.lines.index("  ✗ hidden")
    assert found.lines[visible_at + 2] == "      expected [1.]"
    assert hidden_at == len(found.lines) - 1  # nothing under it


def test_only_a_check_the_kernel_judged_can_contradict_its_pass(monkeypatch):
    """An honest wrong answer caught by a hidden matches_solution check: the kernel never judged
    it, so its pass was no claim. A failed check the kernel judged itself (its expected value was
    in the kernel) is."""
    ref = reference_of(monkeypatch, softmax_checks(good))
    hidden_wrong = judge(monkeypatch, ref, softmax_checks(lambda x: torch.softmax(2 * x, -1)))
    assert not hidden_wrong.passed and not hidden_wrong.contradicts_a_pass
    texts = values_of(monkeypatch, softmax_checks(good))
    texts[0] = json.dumps({"value": {"tuple": [3, 1]}})  # the shape check, judged in the kernel
    assert verdict.judge_cell(ref, "t", texts).contradicts_a_pass


def test_inputs_are_the_same_in_every_run_and_the_notebook_keeps_its_random_state():
    torch.manual_seed(123)
    before = torch.rand(3)
    torch.manual_seed(123)
    drawn = []
    for _ in range(2):
        with exercise("seeded") as check:
            drawn.append(torch.rand(2))
            check.true(True, "ran")
    assert torch.equal(drawn[0], drawn[1])
    assert torch.equal(torch.rand(3), before)  # as if the blocks had never run


@pytest.mark.parametrize("value", [
    {"shape": [3], "values": ["a", "b", "c"]},
    {"shape": [2, 2], "values": [1.0]},
    {"shape": "x", "values": 5},
    {"list": [{"list": [{"list": []}]}] * 3},
    "nested " * 1000,
    None,
])
def test_a_value_in_no_shape_a_check_makes_fails_that_check_only(monkeypatch, value):
    ref = reference_of(monkeypatch, softmax_checks(good))
    texts = values_of(monkeypatch, softmax_checks(good))
    texts[1] = json.dumps({"value": value})
    found = verdict.judge_cell(ref, "t", texts)
    assert not found.passed and found.lines[1:3] == ["  ✓ shape", "  ✗ values"]


def test_a_deeply_nested_value_does_not_stop_the_grader(monkeypatch):
    ref = reference_of(monkeypatch, lambda c: c.equal([1, 2], [1, 2], what="list"))
    deep = {"list": [1, 2]}
    for _ in range(400):
        deep = {"list": [deep, 2]}
    assert not verdict.judge_cell(ref, "t", [json.dumps({"value": deep})]).passed


def test_numbers_compare_within_the_tolerance_and_counts_exactly(monkeypatch):
    def checks_(loss, counts, count):
        return lambda c: (c.matches_solution(loss, atol=1e-4, what="loss"),
                          c.matches_solution(counts, what="counts"), c.matches_solution(count, what="count"))

    ref = reference_of(monkeypatch, checks_([0.5, 1.25], [3, 4], 7))
    assert judge(monkeypatch, ref, checks_([0.50003, 1.25002], [3, 4], 7)).passed
    assert not judge(monkeypatch, ref, checks_([0.5, 1.25], [3, 5], 7)).passed
    assert not judge(monkeypatch, ref, checks_([0.5, 1.25], [3, 4], 8)).passed


INF, NAN = math.inf, math.nan


@pytest.mark.parametrize("got, want, ok", [
    ([-INF], [-INF], True), ([INF, 1.0], [INF, 1.0], True),   # equal infinities match
    ([0.0], [-INF], False), ([-1e308], [-INF], False), ([INF], [-INF], False), ([NAN], [-INF], False),
    ([0.0], [INF], False), ([0.0], [NAN], False), ([NAN], [NAN], False),  # nothing else does
    ([NAN], [1.0], False), ([INF], [1.0], False),
])
def test_infinite_and_nan_expected_values_match_exactly(got, want, ok):
    """With want = -inf, atol + rtol * |want| is infinite: it must not let anything through."""
    assert compare_arrays(np.array(got), np.array(want), 1e-6, 1e-5)[0] is ok
    recorded = [{"shape": [len(v)], "values": v} for v in (got, want)]
    assert checks.judge("close", *recorded, 1e-6, 1e-5)[0] is ok


def test_a_failed_check_is_said_by_its_line_not_by_an_error_line(monkeypatch):
    """A kernel's failed checks end the cell in ChecksFailed: the feedback lists the ✗ line once
    and adds no "your code raised" line for it."""
    ref = reference_of(monkeypatch, lambda c: (c.equal(2, 2, what="two"), c.equal(2, 2, what="sum")))
    texts, error = run_block(monkeypatch, lambda c: (c.equal(2, 2, what="two"), c.equal(3, 2, what="sum")),
                             reference=False)
    assert error == "ChecksFailed"
    found = verdict.judge_cell(ref, "t", texts, error)
    assert found.lines == ["demo:", "  ✓ two", "  ✗ sum", "      expected 2"] and not found.passed
