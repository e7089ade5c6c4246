"""Lesson 04 pretrains the student's own MyBERT and MyGPT, and the course's MaskedLM or GPT when
the student's model is not right yet: the rest of the lesson (and lesson 05, which loads the saved
models and the BERT's snapshots in the course classes) must run either way, and the lesson must
say which."""

import torch
import torch.nn as nn

from conftest import load_notebook
from nbcells import solution_cells, source

from autograder.course import release_notebook, solution_notebook

LESSON = "04_pretraining"


def given_helpers(defines: str) -> dict:
    """The lesson's given cell that defines `defines` (and its conversions), run on its own."""
    nb = load_notebook(solution_notebook(LESSON))
    [cell] = [c for c in nb["cells"] if f"def {defines}(" in source(c)]
    namespace = {"torch": torch}
    exec(source(cell), namespace)
    return namespace


def student_class(notebook_path, grade_id: str, name: str, **replace) -> type:
    """Class `name` from the solution cell `grade_id` of a notebook, with text replaced first."""
    text = source(solution_cells(load_notebook(notebook_path))[grade_id])
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    namespace = {}
    exec(text, namespace)
    return namespace[name]


def my_bert(notebook_path, **replace) -> type:
    return student_class(notebook_path, "assemble_bert", "MyBERT", **replace)


def my_gpt(notebook_path, **replace) -> type:
    return student_class(notebook_path, "assemble_gpt", "MyGPT", **replace)


def test_the_solution_is_pretrained_and_saved_as_the_course_bert(tmp_path):
    helpers = given_helpers("bert_problem")
    MyBERT = my_bert(solution_notebook(LESSON))
    assert helpers["bert_problem"](MyBERT) is None
    from llmcourse.models import MaskedLM, TransformerConfig, load_model, save_model

    model = MyBERT(TransformerConfig.bert_like(30, d_model=8, n_heads=2, n_layers=1, d_ff=16, max_len=6)).eval()
    ids = torch.randint(0, 30, (2, 6))
    reloaded = load_model(save_model(helpers["as_course_bert"](model), tmp_path / "tiny_bert"))
    assert isinstance(reloaded, MaskedLM)
    assert torch.allclose(reloaded(ids).logits, model(ids).logits, atol=1e-6)
    # a snapshot (taken under MyBERT's names) loads into the course class, as lesson 05 does
    course = MaskedLM(model.cfg).eval()
    course.load_state_dict(helpers["course_bert_state"](model.state_dict()))
    assert torch.allclose(course(ids).logits, model(ids).logits, atol=1e-6)
    # a MaskedLM's own state (the fallback's snapshots) is left as it is
    state = course.state_dict()
    assert helpers["course_bert_state"](state).keys() == state.keys()


def test_the_unwritten_release_stub_and_a_wrong_bert_are_named_not_trained():
    helpers = given_helpers("bert_problem")
    stub = my_bert(release_notebook(LESSON))
    assert "NotImplementedError" in helpers["bert_problem"](stub)
    no_segments = my_bert(solution_notebook(LESSON), **{" + self.segment(segments)": ""})
    assert "differ" in helpers["bert_problem"](no_segments)
    unselected = my_bert(solution_notebook(LESSON), **{"scored = h if predict_at is None else h[predict_at]": "scored = h"})
    assert "predict_at" in helpers["bert_problem"](unselected)

    class Broken(nn.Module):  # not even the right weights
        def __init__(self, cfg):
            super().__init__()
            self.layer = nn.Linear(2, 2)

    assert "Error" in helpers["bert_problem"](Broken)


def test_the_lesson_falls_back_to_the_course_bert_and_says_so():
    """The heavy cell that pretrains the BERT chooses by bert_problem and prints why it falls back."""
    nb = load_notebook(solution_notebook(LESSON))
    [cell] = [source(c) for c in nb["cells"] if "problem = bert_problem(MyBERT)" in source(c)]
    assert "bert = MaskedLM(" in cell and "does not reproduce" in cell
    [save] = [source(c) for c in nb["cells"] if 'artifacts_dir() / "tiny_bert"' in source(c)]
    assert "save_model(as_course_bert(bert)" in save and "course_bert_state(state)" in save


def test_the_solution_is_pretrained_and_saved_as_the_course_gpt():
    helpers = given_helpers("gpt_problem")
    MyGPT = my_gpt(solution_notebook(LESSON))
    assert helpers["gpt_problem"](MyGPT) is None
    from llmcourse.models import GPT, TransformerConfig

    model = MyGPT(TransformerConfig.gpt_like(30, d_model=8, n_heads=2, n_layers=1, d_ff=16, max_len=6)).eval()
    saved = helpers["as_course_gpt"](model).eval()
    ids = torch.randint(0, 30, (2, 6))
    assert isinstance(saved, GPT) and torch.allclose(saved(ids).logits, model(ids).logits, atol=1e-6)


def test_the_unwritten_release_stub_and_a_wrong_gpt_are_named_not_trained():
    helpers = given_helpers("gpt_problem")
    stub = my_gpt(release_notebook(LESSON))
    assert "NotImplementedError" in helpers["gpt_problem"](stub)
    no_final_norm = my_gpt(solution_notebook(LESSON), **{"h = self.final_norm(h)": "h = h"})
    assert "differ" in helpers["gpt_problem"](no_final_norm)

    class Broken(nn.Module):  # not even the right weights
        def __init__(self, cfg):
            super().__init__()
            self.layer = nn.Linear(2, 2)

    assert "Error" in helpers["gpt_problem"](Broken)
