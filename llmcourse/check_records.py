"""How a test block's checks reach the grader (llmcourse/checks.py writes, autograder reads):
kept apart from the checks so that the grader's side reads them without importing torch."""

RECORD_ENV = "LLMCOURSE_RECORD_CHECKS"  # "1": every `exercise` block hands over a record
MIME = "text/vnd.llmcourse.checks+json"  # the display output type that carries a block's record
