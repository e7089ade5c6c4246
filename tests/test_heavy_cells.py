"""Heavy cells: the cell tag `heavy` is the one way a lesson marks a demo or training cell that
grading skips (autograder/grading_execute.py). These checks keep the tags honest:

- a cell that trains, loads the data set or a pretrained model is tagged (graded cells excepted:
  they must run while grading, on toy inputs);
- no cell that runs while grading reads a name that only heavy cells define (it would fail
  with a NameError in every graded submission);
- no lesson keeps a hand-written grading branch.

How long each untagged cell takes is checked where the notebooks run (test_notebooks.py, at test
sizes), since only an executed notebook knows. A cell slow only at fast sizes is not caught here;
the main job's executed notebooks (build/executed/) carry every cell's time.
"""

import ast
import builtins

import nbformat
import pytest

from autograder.course import lessons, solution_notebook
from autograder.grading_execute import is_heavy
from autograder.scan import python_code

from nbcells import meta

# Calls that mean "this cell trains or loads something big" when made at a cell's top level.
HEAVY_CALLS = {"backward", "load_imdb", "load_pretrained", "pretrained_encoder", "from_pretrained",
               "train_tokenizer", "balanced_subset"}
HEAVY_PREFIXES = ("train", "pretrain", "fine_tune", "finetune", "fit")
IPYTHON_NAMES = {"display", "get_ipython", "In", "Out", "_"}


def _tree(cell) -> ast.Module:
    return ast.parse(python_code(cell.source))


def _run_now(tree: ast.Module):
    """The nodes a cell evaluates when it runs: everything outside its def/class/lambda bodies
    (those run only when called)."""
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        yield node
        todo.extend(ast.iter_child_nodes(node))


def _top_level_calls(tree: ast.Module) -> set[str]:
    """Names of the functions a cell calls when it runs."""
    return {n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", "")
            for n in _run_now(tree) if isinstance(n, ast.Call)}


def _binds(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names


def _reads(tree: ast.Module) -> set[str]:
    return {n.id for n in _run_now(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def code_cells(lesson):
    return [c for c in nbformat.read(solution_notebook(lesson), as_version=4).cells if c.cell_type == "code"]


@pytest.mark.parametrize("lesson", lessons())
def test_training_and_loading_cells_are_heavy(lesson):
    for cell in code_cells(lesson):
        if is_heavy(cell) or meta(cell).get("grade") or meta(cell).get("solution"):
            continue
        calls = _top_level_calls(_tree(cell))
        heavy = sorted(c for c in calls if c in HEAVY_CALLS or c.startswith(HEAVY_PREFIXES))
        assert not heavy, (f"{lesson}: a cell calls {heavy} but is not tagged heavy (grading would run "
                           f"it):\n{cell.source[:300]}")


@pytest.mark.parametrize("lesson", lessons())
def test_cells_that_run_while_grading_need_no_heavy_cell(lesson):
    light, only_heavy = set(dir(builtins)) | IPYTHON_NAMES, set()
    for cell in code_cells(lesson):
        tree = _tree(cell)
        if is_heavy(cell):
            only_heavy |= _binds(tree) - light
            continue
        missing = (_reads(tree) - _binds(tree) - light) & only_heavy
        what = meta(cell).get("grade_id") or "a demo cell"
        assert not missing, (f"{lesson}: {what} runs while grading but reads {sorted(missing)}, which only "
                             f"heavy cells define:\n{cell.source[:300]}")
        light |= _binds(tree)
        only_heavy -= light


@pytest.mark.parametrize("lesson", lessons())
def test_no_lesson_branches_on_grading(lesson):
    for cell in code_cells(lesson):
        assert "lesson.grading" not in cell.source and "NBGRADER_EXECUTION" not in cell.source, (
            f"{lesson}: tag the cell `heavy` instead of branching on grading:\n{cell.source[:200]}")


def test_graded_cells_are_never_heavy():
    for lesson in lessons():
        for cell in code_cells(lesson):
            assert not (is_heavy(cell) and (meta(cell).get("grade") or meta(cell).get("solution"))), (
                f"{lesson}: {meta(cell).get('grade_id')} is graded and tagged heavy: it would never run")
