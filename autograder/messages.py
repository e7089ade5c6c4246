"""The fixed vocabulary feedback may take from a student's run: names of exceptions.

Feedback is the grader's verdict (autograder/verdict.py) in the lesson's own words: the exercise
names and check descriptions come from the grader's trusted run of the solution, the reasons are
the grader's sentences. Nothing the student's process wrote is quoted: code a student wrote can
read the running test cell (hidden part included) and put it into any text it writes (an error
message, a description, an exception's class name), plainly, in pieces, reversed or encoded, and
no filter of such text can know every encoding. What does come from the run, the type of an error
a cell raised, is shown only when it is one of Python's built-in exception names; any other is
"an error".
"""

import builtins

EXCEPTIONS = frozenset(name for name, value in vars(builtins).items()
                       if isinstance(value, type) and issubclass(value, BaseException))
KERNEL_DIED = "KernelDied"  # the error autograder/grading_execute.py gives a cell that killed the kernel


def error_name(ename) -> str:
    """The error's type as feedback may show it: a built-in exception's name, else "an error"."""
    return ename if isinstance(ename, str) and (ename in EXCEPTIONS or ename == KERNEL_DIED) else "an error"


def error_line(ename) -> str:
    """The feedback line of a test cell that ended with an error."""
    if ename == "NotImplementedError":
        return "  ✗ not written yet: fill in the cell marked YOUR CODE HERE"
    return f"  ✗ your code raised {error_name(ename)}"
