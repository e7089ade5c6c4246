"""The grader's verdict on one test cell: from values alone, outside the student's process.

Everything the student's process sends is a claim: a kernel can send any values, as a function can
return any. So the kernel's messages are read as values only (one per check, in the order it made
them; autograder/grading_execute.py takes them out of the notebook), and everything else comes
from the grader's trusted run of the reference solution (autograder/reference.py): how many checks
the cell makes and in which order, each one's kind, tolerance, expected value and description.
The i-th value is compared with the reference's i-th check by the same function the checks use in
the kernel (llmcourse.checks.judge). A test cell passes when the kernel handed over exactly the
reference's number of values, every one passed, and the cell raised nothing (an error the kernel
admits to is believed: it only costs the student).

Its feedback is written here too, from a fixed vocabulary: the reference's exercise name and
check descriptions, ✓/✗, and under a failed visible check the reference's expected value and a
reason in the grader's words. Nothing the kernel wrote is quoted, so nothing it read (a hidden
test, in any encoding) reaches the page.
"""

import json
from dataclasses import dataclass, field

import numpy as np

from llmcourse.checks import ChecksFailed, array_from, judge, _fmt, _short_repr

from . import messages


@dataclass
class Verdict:
    passed: bool
    lines: list[str] = field(default_factory=list)  # the feedback, one check a line
    problem: str = ""  # why the cell's values could not be used, if they could not
    # the kernel judges some checks itself (all but matches_solution); one of those failing here,
    # or values that are not one per check, contradicts a kernel that says its cell passed
    contradicts_a_pass: bool = False


def read_values(texts: list[str]) -> list:
    """The value of each message, in order (None where a message is not one a check writes)."""
    values = []
    for text in texts:
        try:
            message = json.loads(text)
        except (ValueError, RecursionError):
            message = None
        values.append(message.get("value") if isinstance(message, dict) else None)
    return values


def judge_cell(reference: dict, grade_id: str, texts: list[str], error: str | None = None) -> Verdict:
    """The verdict on test cell `grade_id` of a submission, from the messages its checks handed
    over (`texts`) and the name of the error the cell ended with, if any."""
    cell = reference["cells"][grade_id]
    expected_record, hidden_from = cell["record"], cell["hidden_from"]
    wanted = expected_record["checks"]
    lines = [f"{expected_record['exercise']}:"]
    values = read_values(texts)
    error_line = [messages.error_line(error)] if error is not None else []
    if len(values) > len(wanted):
        problem = (f"it handed over {len(values)} results for its {len(wanted)} checks "
                   "(something besides the checks wrote them: review the cell)")
        return Verdict(False, lines + [f"  ✗ no results: {problem}"] + error_line, problem, True)
    if not values and error is None:
        problem = "its checks handed over no results (they did not run)"
        return Verdict(False, lines + [f"  ✗ no results: {problem}"], problem, True)
    all_checks_ok, contradicts = True, False
    for want, value in zip(wanted, values):
        hidden = hidden_from is not None and (want.get("line") or 0) > hidden_from
        try:
            ok, _ = judge(want["kind"], value, want["expected"], float(want["atol"]), float(want["rtol"]))
        except (RecursionError, ValueError, TypeError, AttributeError, KeyError):  # a value in no shape a check makes
            ok = False
        all_checks_ok &= ok
        contradicts |= not ok and want.get("ok") is not None
        lines.append(f"  {'✓' if ok else '✗'} {want['what']}")
        if not ok and not hidden:
            lines += [f"      {line}" for line in _why(want, value)]
    if error in (ChecksFailed.__name__, "AssertionError") and not all_checks_ok:
        error_line = []  # what the kernel's checks raise when one fails: the ✗ above says it
    lines += error_line
    all_ok = all_checks_ok and error is None
    missing = len(wanted) - len(values)
    if missing > 0:
        all_ok = False
        contradicts |= error is None  # every check ran without an error, yet some sent nothing
        lines.append(f"  ✗ {missing} check{'s' * (missing != 1)} not reached")
    if all_ok:
        lines.append(f"  all {len(wanted)} checks passed")
    return Verdict(all_ok, lines, contradicts_a_pass=contradicts)


def _why(want: dict, value) -> list[str]:
    """Why a visible check failed, in the grader's words and the reference's values only."""
    if want["kind"] == "close":
        expected = array_from(want["expected"])
        try:
            got_shape = array_from(value).shape
        except Exception:
            return ["your result is not a tensor, array or number"]
        if got_shape != expected.shape:
            return [f"expected shape {expected.shape}; your result has another shape"]
        why = [f"your values differ from the expected ones by more than the tolerance "
               f"(atol {want['atol']:g}, rtol {want['rtol']:g}), or are not finite"]
        if expected.size <= 12:
            why.append(f"expected {_fmt(np.asarray(expected))}")
        return why
    if want["expected"] is True:  # true, raises, avoids: the description says what was wanted
        return []
    return [f"expected {_short_repr(_plain(want['expected']))}"]


def _plain(data):
    """A recorded plain value as the value it was ({"tuple": [2, 3]} -> (2, 3))."""
    if isinstance(data, dict) and len(data) == 1 and type(next(iter(data.values()))) is list:
        kind, items = next(iter(data.items()))
        return (tuple if kind == "tuple" else list)(_plain(v) for v in items)
    return data
