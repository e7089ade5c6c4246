"""The grader's verdict (autograder/verdict.py): a test cell is judged from the values its checks
handed over, against the reference's; nothing the student's side claims about itself counts."""

import json

import pytest
import torch

from autograder import messages, verdict
from llmcourse import checks
from llmcourse.checks import exercise

VOCAB = messages.Vocabulary([])  # a lesson with no descriptions of its own: nothing is "hidden"


def record_of(monkeypatch, body, name="demo") -> str:
    """The record an exercise block hands the grader, as JSON text."""
    sent = []
    monkeypatch.setattr(checks, "_RECORDING", True)
    monkeypatch.setattr(checks, "_publish", lambda record: sent.append(json.dumps(record, allow_nan=True)))
    try:
        with exercise(name) as check:
            body(check)
    except Exception:
        pass  # the kernel's own verdict: not what is tested here
    [text] = sent
    return text


def reference_of(text: str, hidden_from=None) -> dict:
    return {"cells": {"t": {"record": json.loads(text), "hidden_from": hidden_from, "points": 1.0}}}


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
    ref = reference_of(record_of(monkeypatch, softmax_checks(good)))
    ok = verdict.judge_cell(ref, "t", [record_of(monkeypatch, softmax_checks(lambda x: x.exp() / x.exp().sum()))], VOCAB)
    assert ok.passed and ok.lines[-1] == "  all 3 checks passed"
    bad = verdict.judge_cell(ref, "t", [record_of(monkeypatch, softmax_checks(lambda x: x / x.sum()))], VOCAB)
    assert not bad.passed and "  ✗ values" in bad.lines and "  ✓ shape" in bad.lines


def test_a_forged_expected_value_changes_nothing(monkeypatch):
    """The student's record holds, for each check, whatever the kernel computed as the expected
    side (for matches_solution, its own value): the grader reads the expected side from the
    reference only."""
    ref = reference_of(record_of(monkeypatch, lambda c: c.close(torch.tensor([0.25]), [0.25], what="v")))
    forged = record_of(monkeypatch, lambda c: c.close(torch.tensor([0.5]), [0.5], what="v"))
    assert not verdict.judge_cell(ref, "t", [forged], VOCAB).passed
    ref2 = reference_of(record_of(monkeypatch, lambda c: c.matches_solution(torch.tensor([0.25]), what="v")))
    theirs = record_of(monkeypatch, lambda c: c.matches_solution(torch.tensor([0.5]), what="v"))
    assert json.loads(theirs)["checks"][0]["expected"]["values"] == [0.5]
    assert not verdict.judge_cell(ref2, "t", [theirs], VOCAB).passed


@pytest.mark.parametrize("texts, why", [
    ([], "handed over no results"),
    (["{}", "{}"], "2 sets of results"),
    (["not json"], "could not be read"),
    (['{"checks": [1, 2]}'], "not in the checks' format"),
    (["[[[[" * 10_000 + "]]]]" * 10_000], "could not be read"),
])
def test_missing_doubled_or_malformed_results_fail_with_a_reason(monkeypatch, texts, why):
    ref = reference_of(record_of(monkeypatch, softmax_checks(good)))
    found = verdict.judge_cell(ref, "t", texts, VOCAB)
    assert not found.passed and why in found.problem


def test_claims_of_passing_do_not_count(monkeypatch):
    """A record whose checks all say ok=True but hold wrong values, or that stops early."""
    ref = reference_of(record_of(monkeypatch, softmax_checks(good)))
    lying = json.loads(record_of(monkeypatch, softmax_checks(lambda x: x)))
    for c in lying["checks"]:
        c["ok"], c["why"] = True, ""
    assert not verdict.judge_cell(ref, "t", [json.dumps(lying)], VOCAB).passed
    short = json.loads(record_of(monkeypatch, softmax_checks(good)))
    short["checks"] = short["checks"][:2]
    found = verdict.judge_cell(ref, "t", [json.dumps(short)], VOCAB)
    assert not found.passed and "  ✗ 1 check not reached" in found.lines


def test_errors_fail_the_cell_and_say_what_happened(monkeypatch):
    ref = reference_of(record_of(monkeypatch, softmax_checks(good)))

    def stub(x):
        raise NotImplementedError("replace this line")

    found = verdict.judge_cell(ref, "t", [record_of(monkeypatch, softmax_checks(stub))], VOCAB)
    assert not found.passed
    assert "  ✗ not written yet: fill in the cell marked YOUR CODE HERE" in found.lines
    assert "  ✗ 3 checks not reached" in found.lines


def test_hidden_checks_show_no_explanation(monkeypatch):
    def body(check):
        check.close(torch.tensor([1.0]), [1.0], what="visible")  # line 1 of the body's code
        check.matches_solution(torch.tensor([1.0]), what="hidden")

    ref = json.loads(record_of(monkeypatch, body))
    hidden_from = ref["checks"][1]["line"] - 1  # the second check is below the hidden marker
    wrong = record_of(monkeypatch, lambda c: (c.close(torch.tensor([2.0]), [1.0], what="visible"),
                                               c.matches_solution(torch.tensor([2.0]), what="hidden")))
    found = verdict.judge_cell(reference_of(json.dumps(ref), hidden_from=hidden_from), "t", [wrong], VOCAB)
    visible_at, hidden_at = found.lines.index("  ✗ visible"), found.lines.index("  ✗ hidden")
    assert found.lines[visible_at + 1].startswith("      at index (0,) expected 1")
    assert hidden_at == len(found.lines) - 1  # nothing under it


def test_a_reason_carrying_a_piece_of_a_hidden_test_is_not_shown(monkeypatch):
    from nbformat.v4 import new_code_cell

    secret = "torch.tensor([7.0, 8.0, 9.0]) * 123.5"
    cell = new_code_cell("with exercise('x') as check:\n    check.true(True, 'a')\n"
                         f"    ### BEGIN HIDDEN TESTS\n    z = {secret}\n    ### END HIDDEN TESTS\n",
                         metadata={"nbgrader": {"grade": True, "grade_id": "t", "points": 1}})
    vocab = messages.Vocabulary([cell])
    ref = reference_of(record_of(monkeypatch, lambda c: c.true(True, "a")))
    leak = record_of(monkeypatch, lambda c: c.true(False, "a", f"see {secret}"))
    plain = record_of(monkeypatch, lambda c: c.true(False, "a", "the rows do not sum to 1"))
    assert verdict.judge_cell(ref, "t", [leak], vocab).lines == ["demo:", "  ✗ a"]
    assert verdict.judge_cell(ref, "t", [plain], vocab).lines == ["demo:", "  ✗ a", "      the rows do not sum to 1"]


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
    ref = reference_of(record_of(monkeypatch, softmax_checks(good)))
    record = json.loads(record_of(monkeypatch, softmax_checks(good)))
    record["checks"][1]["value"] = value
    found = verdict.judge_cell(ref, "t", [json.dumps(record)], VOCAB)
    assert not found.passed and found.lines[1:3] == ["  ✓ shape", "  ✗ values"]


def test_a_deeply_nested_value_does_not_stop_the_grader(monkeypatch):
    ref = reference_of(record_of(monkeypatch, lambda c: c.equal([1, 2], [1, 2], what="list")))
    record = json.loads(record_of(monkeypatch, lambda c: c.equal([1, 2], [1, 2], what="list")))
    deep = {"list": [1, 2]}
    for _ in range(400):
        deep = {"list": [deep, 2]}
    record["checks"][0]["value"] = deep
    text = json.dumps(record)
    assert not verdict.judge_cell(ref, "t", [text], VOCAB).passed


def test_numbers_compare_within_the_tolerance_and_counts_exactly(monkeypatch):
    def checks(loss, counts, count):
        return lambda c: (c.matches_solution(loss, atol=1e-4, what="loss"),
                          c.matches_solution(counts, what="counts"), c.matches_solution(count, what="count"))

    ref = reference_of(record_of(monkeypatch, checks([0.5, 1.25], [3, 4], 7)))
    close = record_of(monkeypatch, checks([0.50003, 1.25002], [3, 4], 7))
    assert verdict.judge_cell(ref, "t", [close], VOCAB).passed
    off_by_one = record_of(monkeypatch, checks([0.5, 1.25], [3, 5], 7))
    assert not verdict.judge_cell(ref, "t", [off_by_one], VOCAB).passed
    assert not verdict.judge_cell(ref, "t", [record_of(monkeypatch, checks([0.5, 1.25], [3, 4], 8))], VOCAB).passed
