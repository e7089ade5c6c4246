"""A static scan of what a student wrote, for the instructor's manual review.

It proves nothing on its own (the jail and the checks are the protections); it points a human at
code that has no business in an exercise: patching test helpers or the interpreter, sys.modules
tricks, reading the grader's files, exiting early, reaching the network or other processes.
"""

import re
from dataclasses import dataclass

RULES = [
    ("patches a library or test helper", r"\b(torch|np|numpy|math|builtins|checks|llmcourse|testing)"
                                          r"(\.\w+)+\s*=(?!=)"),
    ("patches a library or test helper", r"\bsetattr\s*\(\s*(torch|np|numpy|math|builtins|checks|llmcourse)"),
    ("touches the test helpers", r"llmcourse\.checks|from\s+llmcourse\s+import\s+checks|_ORIGINAL|\btampering\b"),
    ("touches builtins", r"\bimport\s+builtins|__builtins__"),
    ("sys.modules trick", r"sys\.modules|importlib\.reload|__import__"),
    ("exits the kernel", r"os\._exit|sys\.exit|\bexit\s*\(|\bquit\s*\(|os\.kill|signal\.\w+"),
    ("hooks IPython", r"run_cell|set_custom_exc|showtraceback|\bsys\.settrace|sys\.setprofile"),
    ("reads the call stack (hidden tests)", r"inspect\.(stack|currentframe|getsource|getouterframes)|"
                                            r"sys\._getframe|linecache|f_back|\b_ih\b|\bIn\s*\["),
    ("refers to grader files", r"gradebook|solutions/|autograded|submitted/|\.db\b|/work/|nbgrader"),
    ("dynamic code (may hide the above)", r"\b(exec|eval|compile)\s*\(|\bgetattr\s*\(\s*(sys|torch|np|builtins)|"
                                          r"\bglobals\s*\(\)\s*\[|__dict__\s*\["),
    ("network or processes", r"\bsocket\b|urllib|requests\.|http\.client|subprocess|os\.system|os\.popen|ctypes"),
    ("defines custom equality", r"def\s+__(eq|ne|bool|float|array|torch_function)__"),
]
# Code that can fake a test result: a submission with any of these has its points held (a manual
# score of 0 in the gradebook) until an instructor has looked at it in formgrader.
HOLD = {"patches a library or test helper", "touches the test helpers", "touches builtins",
        "sys.modules trick", "hooks IPython", "reads the call stack (hidden tests)",
        "dynamic code (may hide the above)"}
_COMPILED = [(why, re.compile(pattern)) for why, pattern in RULES]


@dataclass
class Flag:
    cell: int        # index of the cell in the submitted notebook
    rule: str
    line: str        # the offending line, quoted in the report

    @property
    def hold(self) -> bool:
        return self.rule in HOLD

    def __str__(self):
        return f"cell {self.cell}: {self.rule}: {self.line}"


def scan_cells(cells: list[dict], release_sources: set[str]) -> list[Flag]:
    """Flags for the code cells a student wrote or changed (cells identical to a cell of the
    release are the course's own code and are skipped)."""
    flags = []
    for index, cell in enumerate(cells):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        if source.strip() in release_sources:
            continue
        for line in source.splitlines():
            code = line.split("#", 1)[0]
            if code.strip() == "from llmcourse.checks import exercise":
                continue  # a copied test cell, tried out by hand
            for why, regex in _COMPILED:
                if regex.search(code):
                    flags.append(Flag(index, why, line.strip()[:160]))
                    break
    return flags
