"""The static scan reads code as Python does: course code is never held, attacks are.

The course's own code is the first test of a rule: every solution and every release with its
solution typed in (markers stripped) must scan without a hold, so a rule that catches the course's
own code (as `eval(` once caught `model.eval()`) can never land again.
"""

import re

import nbformat
import pytest

from autograder.course import lessons, release_notebook, solution_notebook
from autograder.scan import scan_cells

from nbcells import SOLUTION, meta, source

MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) (SOLUTION|HIDDEN TESTS)[^\n]*\n?", re.M)


def held(*cells: str) -> list[str]:
    return [f.rule for f in scan_cells([{"cell_type": "code", "source": c} for c in cells]) if f.hold]


def flagged(*cells: str) -> list[str]:
    return [f.rule for f in scan_cells([{"cell_type": "code", "source": c} for c in cells])]


def answered_release(lesson: str) -> list[dict]:
    """The release with each stub replaced by the solution's body, as a student types it."""
    solution = {meta(c).get("grade_id"): c for c in nbformat.read(solution_notebook(lesson), as_version=4).cells}
    cells = []
    for cell in nbformat.read(release_notebook(lesson), as_version=4).cells:
        text = source(cell)
        ref = solution.get(meta(cell).get("grade_id"))
        if meta(cell).get("solution") and ref is not None:
            text = MARKERS.sub("", source(ref))
        cells.append({"cell_type": cell.cell_type, "source": text})
    return cells


@pytest.mark.parametrize("lesson", lessons())
def test_course_code_is_never_held(lesson):
    for name, cells in (
            ("solution", [{"cell_type": c.cell_type, "source": MARKERS.sub("", c.source)}
                          for c in nbformat.read(solution_notebook(lesson), as_version=4).cells]),
            ("answered release", answered_release(lesson))):
        holds = [str(f) for f in scan_cells(cells) if f.hold]
        assert not holds, f"{lesson} ({name}): the course's own code is held: {holds}"
    assert SOLUTION  # the release really had answer cells to fill in
    assert any(meta(c).get("solution") for c in nbformat.read(release_notebook(lesson), as_version=4).cells)


@pytest.mark.parametrize("code", [
    "model.eval()\nwith torch.no_grad():\n    logits = model(x)",
    "model = torch.compile(model)",
    "pattern = re.compile(r'\\w+')",
    "net.train(); net.eval()",
    "print('do not eval( this', \"exec(\")  # a comment with compile( and sys.modules",
    "'''a docstring that says import builtins and __import__'''",
    "if 'google.colab' in sys.modules:\n    pass",
    "import inspect\nsig = inspect.signature(softmax)",
    "%time y = softmax(x)",
    "%%timeit\nsoftmax(x)",
    "torch.backends.cudnn.benchmark = True",
    "self.weight = nn.Parameter(torch.ones(3))",
    "class Block(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.eval_mode = False",
    "def compile(x):\n    return x\ncompile(3)",
    "history = []\nhistory.append(1)",
    "plt.rcParams['figure.figsize'] = (4, 3)",
])
def test_ordinary_code_is_not_held(code):
    assert held("import torch, re, sys\nimport torch.nn as nn\nimport matplotlib.pyplot as plt", code) == []


@pytest.mark.parametrize("code", [
    # patching a library or the checks, under any name
    "torch.allclose = lambda *a, **k: True",
    "import torch as t\nt.allclose = lambda *a, **k: True",
    "T = torch\nT.equal = lambda *a: True",
    "from torch import testing\ntesting.assert_close = print",
    "setattr(torch, 'allclose', lambda *a, **k: True)",
    "torch.Tensor.__eq__ = lambda a, b: True",
    "type(x).__eq__ = lambda a, b: True",
    "import llmcourse.checks as c\nc.Checks.close = lambda *a, **k: None",
    "from llmcourse import checks",
    "from llmcourse.checks import Checks",
    "import llmcourse\nllmcourse.checks.exercise = None",
    # the interpreter and the import system
    "import builtins\nbuiltins.print = lambda *a: None",
    "__builtins__.print = None",
    "import sys\nsys.modules['llmcourse.checks'] = fake",
    "import sys\nm = sys.modules['llmcourse.checks']",
    "from sys import modules\nmodules.pop('torch')",
    "import importlib\nimportlib.reload(torch)",
    "m = __import__('llm' + 'course.checks')",
    "exec('torch.allclose = None')",
    "eval(compile('1', 'x', 'eval'))",
    "code = 'x = 1'  # a '#' inside a string does not end the line\nexec(code)",
    "s = 'a # b'; exec(s)",
    "getattr(torch, name)(x)",
    "vars(torch)['allclose'] = None",
    "globals()['softmax'] = f",
    "torch.__dict__['allclose'] = None",
    "f.__code__ = g.__code__",
    # IPython and the call stack
    "get_ipython().events.register('pre_run_cell', hook)",
    "ip = get_ipython()\nip.input_transformers_post.append(rewrite)",
    "import IPython\nIPython.get_ipython().run_cell('x')",
    "import sys\nsys.settrace(tracer)",
    "print(_ih[-1])",
    "print(In[-1])",
    "import inspect\nsrc = inspect.stack()[1].frame",
    "from inspect import currentframe as cf\ncf().f_back",
    "import sys\nsys._getframe(1).f_globals",
    "import linecache",
    "import gc\ngc.get_objects()",
    "%run evil.py",
    "%load_ext evil",
    "%%writefile llmcourse.py\nx = 1",
    "%%time\nimport builtins",
])
def test_attacks_are_held(code):
    assert held("import torch, sys", code), f"not held: {code!r}"


# A test cell as the release has it (the scan skips the release's own cells in grading, but their
# names count); a student may also copy one into a scratch cell to try it.
TEST_CELL = """from llmcourse.checks import exercise

with exercise("softmax") as check:
    out = softmax(torch.ones(3))
    check.shape(out, (3,))
    check.close(out, [1 / 3] * 3, what="uniform")
"""


@pytest.mark.parametrize("code", [
    # the running test's `check` and `exercise`, reached from the student's function
    "def softmax(x):\n    check._record = lambda *a, **k: True\n    return x",
    "def softmax(x):\n    type(check).close = lambda *a, **k: True\n    return x",
    "def softmax(x):\n    c = check.__class__\n    c.close = c.shape = lambda *a, **k: True\n    return x",
    "def softmax(x):\n    check.failed.clear()\n    return x",
    "def softmax(x):\n    setattr([exercise][0], '__exit__', lambda *a: True)\n    return x",
    "def softmax(x):\n    global check\n    check = None\n    return x",
    "softmax = lambda x: check.passed.append('x') or x",
    "class Sneaky:\n    def __init__(self):\n        self.c = check",
    # at the top level, between test cells
    "type(check).close = lambda *a, **k: True",
    "setattr(exercise, '__exit__', lambda *a: True)",
    "helpers = [check, exercise]",
    "exercise.__exit__ = lambda *a: True",
    "import __main__\n__main__.check",
])
def test_reaching_into_the_running_checks_is_held(code):
    assert held("import torch", TEST_CELL, code), f"not held: {code!r}"


@pytest.mark.parametrize("code", [
    TEST_CELL,  # a copy of a test cell, to try it
    "def softmax(x):\n    check = x.exp()\n    return check / check.sum()",  # a local of that name
    "def fit(xs):\n    for check in xs:\n        print(check)",
    "with exercise('mine') as check:\n    check.true(True, what='my own check')",
])
def test_ordinary_uses_of_those_names_are_not_held(code):
    assert held("import torch", TEST_CELL, code) == []


@pytest.mark.parametrize("code", [
    # looking a module up by its name only reads it (issue 29: this line held a correct lesson 00)
    "print(sys.modules['torch'].__file__)",
    "path = sys.modules['torch'].__file__",
    "m = sys.modules.get('numpy')\nprint(m.__version__)",
    "names = sorted(sys.modules.keys())",
    "print(len(sys.modules), 'modules loaded')",
    "t = sys.modules['torch']\nprint(t.ones(2))",
])
def test_reading_sys_modules_is_not_held(code):
    assert held("import sys", code) == []


@pytest.mark.parametrize("code", [
    # what can change a result through sys.modules is still held
    "sys.modules['torch'].allclose = lambda *a, **k: True",
    "t = sys.modules['torch']\nt.allclose = lambda *a, **k: True",
    "sys.modules.get('torch').equal = lambda *a: True",
    "m = sys.modules['llmcourse.checks']",
    "sys.modules.get('llmcourse.checks').exercise",
    "del sys.modules['torch']",
    "sys.modules.pop('llmcourse.checks')",
    "m = sys.modules['llm' + 'course.checks']",
    "for m in list(sys.modules.values()):\n    m.allclose = None",
    "table = sys.modules",
    "setattr(sys.modules['torch'], 'allclose', None)",
])
def test_changing_modules_through_sys_modules_is_held(code):
    assert held("import sys", code), f"not held: {code!r}"


@pytest.mark.parametrize("code, rule", [
    ("import os\nos._exit(0)", "exits the kernel"),
    ("sys.exit()", "exits the kernel"),
    ("import socket\nsocket.create_connection(('127.0.0.1', 80))", "network or processes"),
    ("import subprocess as sp\nsp.run(['ls'])", "network or processes"),
    ("!ls /", "network or processes"),
    ("open('/course/gradebook.db')", "refers to grader files"),
    ("class X:\n    def __eq__(self, other):\n        return True", "defines custom equality"),
])
def test_suspicious_code_is_flagged_but_not_held(code, rule):
    rules = flagged("import sys", code)
    assert rule in rules and not held("import sys", code)


def test_a_cell_that_does_not_parse_is_still_scanned():
    rules = flagged("def f(:\n    torch.allclose = None\n    exec('x')")
    assert "does not parse as Python (scanned as tokens)" in rules and held("def f(:\n    exec('x')")
    assert not held("def f(:\n    model.eval()  # exec( in a comment")


def test_cells_of_the_course_are_skipped_but_their_imports_count():
    setup = "import torch as tt"
    flags = scan_cells([{"cell_type": "code", "source": setup},
                        {"cell_type": "code", "source": "tt.allclose = None"},
                        {"cell_type": "markdown", "source": "exec(x)"},
                        "not a cell", {"cell_type": "code", "source": ["tt.", 3, "\n"]}], {setup})
    assert [(f.cell, f.hold) for f in flags] == [(1, True), (4, False)]  # 4: "tt.3" does not parse


def test_one_cell_one_verdict_per_rule():
    flags = scan_cells([{"cell_type": "code", "source": "import sys\nsys.modules['llmcourse.checks'] = None"},
                        {"cell_type": "code", "source": "import os\nos._exit(0)"},
                        {"cell_type": "code", "source": "x = torch.ones(3)  # an ordinary cell"}])
    assert {(f.cell, f.hold) for f in flags} == {(0, True), (1, False)}
    assert len({(f.cell, f.rule, f.line) for f in flags}) == len(flags)
