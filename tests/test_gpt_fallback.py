"""Lesson 04 pretrains the student's own MyGPT, and the course's GPT when MyGPT is not right yet:
the rest of the lesson (and lesson 05) must run either way, and the lesson must say which."""

import torch
import torch.nn as nn

from conftest import load_notebook
from nbcells import solution_cells, source

from autograder.course import release_notebook, solution_notebook

LESSON = "04_pretraining"


def given_helpers() -> dict:
    """The lesson's given cell that defines gpt_problem and as_course_gpt, run on its own."""
    nb = load_notebook(solution_notebook(LESSON))
    [cell] = [c for c in nb["cells"] if "def gpt_problem(" in source(c)]
    namespace = {"torch": torch}
    exec(source(cell), namespace)
    return namespace


def my_gpt(notebook_path, **replace) -> type:
    text = source(solution_cells(load_notebook(notebook_path))["assemble_gpt"])
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    namespace = {}
    exec(text, namespace)
    return namespace["MyGPT"]


def test_the_solution_is_pretrained_and_saved_as_the_course_gpt():
    helpers = given_helpers()
    MyGPT = my_gpt(solution_notebook(LESSON))
    assert helpers["gpt_problem"](MyGPT) is None
    from llmcourse.models import GPT, TransformerConfig

    model = MyGPT(TransformerConfig.gpt_like(30, d_model=8, n_heads=2, n_layers=1, d_ff=16, max_len=6)).eval()
    saved = helpers["as_course_gpt"](model).eval()
    ids = torch.randint(0, 30, (2, 6))
    assert isinstance(saved, GPT) and torch.allclose(saved(ids).logits, model(ids).logits, atol=1e-6)


def test_the_unwritten_release_stub_and_a_wrong_model_are_named_not_trained():
    helpers = given_helpers()
    stub = my_gpt(release_notebook(LESSON))
    assert "NotImplementedError" in helpers["gpt_problem"](stub)
    no_final_norm = my_gpt(solution_notebook(LESSON), **{"h = self.final_norm(h)": "h = h"})
    assert "differ" in helpers["gpt_problem"](no_final_norm)

    class Broken(nn.Module):  # not even the right weights
        def __init__(self, cfg):
            super().__init__()
            self.layer = nn.Linear(2, 2)

    assert "Error" in helpers["gpt_problem"](Broken)
