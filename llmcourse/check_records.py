"""How the checks' values reach the grader (llmcourse/checks.py writes, autograder reads): kept
apart from the checks so that the grader's side reads them without importing torch.

RECORD_ENV set to VALUES (the student's graded run): each check, as it is made, hands over one
display output of type MIME holding only the value it looked at, `{"value": ...}`. Set to
REFERENCE (the grader's trusted run of the solution): the output also holds the check's kind,
description, expected value, tolerance, own verdict and line, from which the grader judges.
"""

RECORD_ENV = "LLMCOURSE_RECORD_CHECKS"
VALUES = "1"
REFERENCE = "reference"
MIME = "text/vnd.llmcourse.checks+json"  # the display output type that carries one check's value
