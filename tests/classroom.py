"""Submissions shaped the way students make them, for grading tests.

A student opens the *release*, types an answer in place of each stub (no solution markers),
maybe adds a scratch cell, maybe runs everything, and saves from JupyterLab; the LMS then names
the file its own way. Nothing here hands the grader the course's own solutions/ files.

Answer styles:
- "typed": the solution's body as a student would type it (markers gone);
- "rewritten": the same logic in another hand: local variables renamed, comments dropped,
  code re-laid out (via the AST), and for some exercises a different construction altogether
  (ALTERNATES: explicit loops, other torch calls);
- "wrong": the lesson's first mutant from tests/mutants (a plausible mistake);
- "blank": the release untouched.
"""

import ast
import re
import uuid

import nbformat

from autograder.course import release_notebook, solution_notebook
from mutation import mutants
from nbcells import meta, source

MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[^\n]*\n?", re.M)

# Correct answers built differently from the solution (another loop shape, other calls).
ALTERNATES = {
    ("00_setup", "softmax"): '''import torch


def softmax(x: torch.Tensor) -> torch.Tensor:
    top = torch.max(x, dim=-1, keepdim=True).values
    numerator = torch.exp(x - top)
    return numerator / torch.sum(numerator, -1, keepdim=True)
''',
    ("01_attention", "masks"): '''def causal_mask(T: int) -> torch.Tensor:
    allowed = torch.zeros(T, T, dtype=torch.bool)
    for query in range(T):
        for key in range(query + 1):
            allowed[query, key] = True
    return allowed


def padding_mask(lengths, max_len=None):
    sizes = [int(n) for n in lengths]
    width = max(sizes) if max_len is None else max_len
    if any(n > width for n in sizes):
        raise ValueError(f"a sequence is longer than max_len={width}")
    rows = [[position < n for position in range(width)] for n in sizes]
    return torch.tensor(rows, dtype=torch.bool).reshape(len(sizes), width)
''',
}


class _RenameLocals(ast.NodeTransformer):
    """Give every local variable of each top-level function or method another name."""

    def __init__(self, names: dict[str, str]):
        self.names = names

    def visit_Name(self, node):
        if node.id in self.names:
            node.id = self.names[node.id]
        return node


def rewrite(code: str) -> str:
    """The same program in another hand: locals renamed, comments gone, re-laid out."""
    tree = ast.parse(code)
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    functions += [m for c in tree.body if isinstance(c, ast.ClassDef) for m in c.body
                  if isinstance(m, ast.FunctionDef)]
    for fn in functions:
        params = {a.arg for n in ast.walk(fn) if isinstance(n, ast.arguments)
                  for a in [*n.posonlyargs, *n.args, *n.kwonlyargs, n.vararg, n.kwarg] if a}
        declared = {name for n in ast.walk(fn) if isinstance(n, (ast.Global, ast.Nonlocal)) for name in n.names}
        stored = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        local = stored - params - declared
        _RenameLocals({name: f"my_{name}" for name in local}).visit(fn)
    return ast.unparse(tree) + "\n"


def _answers(lesson: str, style: str) -> dict[str, str]:
    """{grade_id: the answer cell's full source} for one student."""
    solution = nbformat.read(solution_notebook(lesson), as_version=4)
    answers = {meta(c)["grade_id"]: MARKERS.sub("", source(c)) for c in solution.cells if meta(c).get("solution")}
    if style == "rewritten":
        answers = {gid: ALTERNATES.get((lesson, gid)) or rewrite(code) for gid, code in answers.items()}
    elif style == "wrong":
        mistake = mutants(lesson)[0]
        if mistake.find not in answers[mistake.cell]:
            raise LookupError(f"{lesson}: the first mutant's text is not in the typed answer")
        answers[mistake.cell] = answers[mistake.cell].replace(mistake.find, mistake.replace, 1)
    return answers


def submission(lesson: str, style: str) -> nbformat.NotebookNode:
    """The release of `lesson` with a student's answers typed in (style: typed, rewritten,
    wrong, blank), a scratch cell of their own, saved the way JupyterLab saves."""
    nb = nbformat.read(release_notebook(lesson), as_version=4)
    answers = {} if style == "blank" else _answers(lesson, style)
    cells = []
    for cell in nb.cells:
        gid = meta(cell).get("grade_id")
        if gid in answers:
            cell.source = answers[gid]
            cell.metadata["tags"] = []
        cells.append(cell)
        if gid in answers and style != "blank":
            scratch = nbformat.v4.new_code_cell("# my own check\nnotes = [1, 2, 3]\nprint(len(notes))")
            scratch.metadata["scrolled"] = True
            cells.append(scratch)
    nb.cells = cells
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python", "version": "3.11.7", "mimetype": "text/x-python",
                                    "file_extension": ".py", "pygments_lexer": "ipython3",
                                    "codemirror_mode": {"name": "ipython", "version": 3},
                                    "nbconvert_exporter": "python"}
    nb.nbformat_minor = 5
    for cell in nb.cells:
        cell.setdefault("id", uuid.uuid4().hex[:8])
    return nb


def executed(nb: nbformat.NotebookNode, path) -> nbformat.NotebookNode:
    """Run it as the student's "Run All" would (errors and all), at test sizes (conftest's mode)."""
    from autograder.execute import execute

    return execute(path, notebook=nb, allow_errors=True, timeout=300,
                   env={"OMP_NUM_THREADS": "1"}).notebook


def jupyterlab_bytes(nb: nbformat.NotebookNode) -> bytes:
    """JupyterLab's file format: one-space indent, sources as line lists, a final newline."""
    return (nbformat.writes(nb, version=4) + "\n").encode()
