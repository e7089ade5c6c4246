"""The grader's verdict on one test cell: from values alone, outside the student's process.

The student's kernel only hands over values (the record of the cell's `exercise` block, taken
out of the notebook by autograder/grading_execute.py); nothing it prints, shows, concludes or
computes as an expected value is consulted. Check by check, in the order the reference run made
them (autograder/reference.py), the student's value is compared with the reference's expected
value, with the reference's kind and tolerance, by the same function the checks use in the kernel (llmcourse.checks.judge). A test
cell passes when every check of the reference passed and the block raised nothing.

Its feedback is written here too, in the checks' own shapes, from the lesson's descriptions:
the explanation under a failed visible check (expected and got, or the check's own reason if it
holds no piece of a hidden test), nothing under a hidden one.
"""

import json
from dataclasses import dataclass, field

from llmcourse.checks import judge

from . import messages


@dataclass
class Verdict:
    passed: bool
    lines: list[str] = field(default_factory=list)  # the feedback, one check a line
    problem: str = ""  # why the cell's record could not be used, if it could not


def read_record(texts: list[str]) -> tuple[dict | None, str]:
    """The one record a test cell handed over, or (None, why not)."""
    if not texts:
        return None, "its checks handed over no results (the cell stopped early, or they did not run)"
    if len(texts) > 1:
        return None, f"it handed over {len(texts)} sets of results instead of one (review the cell)"
    try:
        record = json.loads(texts[0])
    except (ValueError, RecursionError):
        return None, "its results could not be read"
    if not (isinstance(record, dict) and isinstance(record.get("checks"), list)
            and all(isinstance(c, dict) for c in record["checks"])):
        return None, "its results are not in the checks' format"
    return record, ""


def judge_cell(reference: dict, grade_id: str, texts: list[str], vocab: messages.Vocabulary) -> Verdict:
    """The verdict on test cell `grade_id` of a submission, from what its checks handed over."""
    cell = reference["cells"][grade_id]
    expected_record, hidden_from = cell["record"], cell["hidden_from"]
    record, problem = read_record(texts)
    lines = [f"{expected_record['exercise']}:"]
    if record is None:
        return Verdict(False, lines + [f"  ✗ no results: {problem}"], problem)
    theirs, error = record["checks"], record.get("error")
    all_ok = len(theirs) >= len(expected_record["checks"])
    for i, (want, mine) in enumerate(zip(expected_record["checks"], theirs)):
        hidden = hidden_from is not None and (want.get("line") or 0) > hidden_from
        what = _what(vocab, grade_id, want["what"], mine.get("what"))
        try:
            ok, why = judge(want["kind"], mine.get("value"), want["expected"], float(want["atol"]), float(want["rtol"]))
        except (RecursionError, ValueError, TypeError, AttributeError, KeyError):  # a value in no shape a check makes
            ok, why = False, "the value could not be compared"
        all_ok &= ok
        lines.append(f"  {'✓' if ok else '✗'} {what}")
        if not ok and not hidden:
            if want["kind"] == "plain" and want["expected"] is True and isinstance(mine.get("why"), str):
                why = mine["why"]  # true / raises / avoids: the check's own reason says more
            lines += [f"      {line.strip()}" for line in why.splitlines()[:messages.WHY_LINES] if vocab.safe(line)]
    missing = len(expected_record["checks"]) - len(theirs)
    if isinstance(error, dict):
        all_ok = False
        lines.append(_error_line(vocab, error))
    if missing > 0:
        lines.append(f"  ✗ {missing} check{'s' * (missing != 1)} not reached")
    if all_ok:
        lines.append(f"  all {len(expected_record['checks'])} checks passed")
    return Verdict(all_ok, lines)


def _what(vocab: messages.Vocabulary, grade_id: str, reference_what: str, their_what) -> str:
    """The student's own description when it is one the lesson can print (an f-string's values
    are theirs), else the reference's."""
    if isinstance(their_what, str) and vocab.allows(grade_id, their_what)[0]:
        return their_what
    return reference_what


def _error_line(vocab: messages.Vocabulary, error: dict) -> str:
    name = str(error.get("type", ""))
    if name == "NotImplementedError":
        return "  ✗ not written yet: fill in the cell marked YOUR CODE HERE"
    return "  ✗ your code raised " + messages.error_text(vocab, name, str(error.get("message", "")))

