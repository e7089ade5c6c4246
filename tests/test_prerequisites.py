"""A lesson that needs an earlier lesson's model and finds none (a fresh Colab runtime: every
notebook gets its own) trains it with the earlier lesson's recipe instead of skipping its
experiments (llmcourse.prerequisites)."""

import json

import pytest
from test_runtime import sizes_cell

from autograder.course import solution_notebook
from autograder.execute import execute


def test_the_recipes_train_at_the_earlier_lessons_sizes():
    """The package keeps lesson 04's sizes and the part of lesson 05's its classifier depends on:
    a sizes cell changed without them would train a different model than the lesson does."""
    from llmcourse.prerequisites import CLASSIFIER_SIZES, PRETRAINING_SIZES

    assert PRETRAINING_SIZES == sizes_cell("04_pretraining"), (
        "lesson 04's sizes cell and llmcourse.prerequisites.PRETRAINING_SIZES differ: change both")
    lesson05 = sizes_cell("05_finetuning")
    for mode, sizes in CLASSIFIER_SIZES.items():
        assert sizes == {k: lesson05[mode][k] for k in sizes}, (
            f"lesson 05's {mode} sizes and llmcourse.prerequisites.CLASSIFIER_SIZES differ: change both")


def test_a_missing_model_is_named_priced_and_left_untrained_when_asked(tmp_path, monkeypatch, capsys):
    import torch

    from llmcourse import prerequisites

    monkeypatch.setenv("LLMCOURSE_ARTIFACTS", str(tmp_path))
    assert prerequisites.ensure("tiny_gpt", train=False, device=torch.device("cpu")) is None
    out = capsys.readouterr().out
    assert f"No tiny GPT in {tmp_path / 'tiny_gpt'}" in out and "lesson 04" in out
    assert "6 steps of 8 windows of 32 tokens" in out and "s a step measured on this cpu" in out  # test sizes
    assert "Not trained (TRAIN_MISSING = False)" in out
    assert not (tmp_path / "tiny_gpt").exists()


def test_a_saved_model_is_used_as_it_is(tmp_path, monkeypatch, capsys):
    from llmcourse import prerequisites

    monkeypatch.setenv("LLMCOURSE_ARTIFACTS", str(tmp_path))
    (tmp_path / "sentiment_classifier").mkdir()
    (tmp_path / "sentiment_classifier" / "head.json").write_text("{}")
    assert prerequisites.ensure("sentiment_classifier") == tmp_path / "sentiment_classifier"
    assert capsys.readouterr().out == ""
    with pytest.raises(ValueError, match="not a model a lesson saves"):
        prerequisites.ensure("tiny_t5")


# What each lesson's experiments leave in its results file when they ran (not skipped).
RAN = {"05_finetuning": ["accuracy_tiny_8", "accuracy_tiny_16"],
       "06_gpt": ["as_asked_before", "as_asked_after"],
       "07_efficiency": ["accuracy_tiny_distilled", "accuracy_tiny_labels"],
       "08_limits": ["failure_own_pretrained_sarcasm", "gpt_names_p_value"]}
SKIP_TEXT = ("Skipping", "are skipped", "or set TRAIN_MISSING = True")  # what the lessons print when they skip


@pytest.mark.slow
@pytest.mark.parametrize("lesson", sorted(RAN))
def test_a_lesson_on_a_fresh_runtime_trains_what_it_needs_and_runs_its_experiments(lesson, tmp_path, artifacts):
    run = execute(solution_notebook(lesson), mode="test", env={"LLMCOURSE_ARTIFACTS": str(tmp_path)},
                  timeout=900, save_to=artifacts / "executed" / f"{lesson}-fresh-artifacts.ipynb")
    print(f"{lesson} on a fresh artifacts folder: {run.seconds:.1f} s")
    assert run.error is None, f"{lesson} fails on a fresh artifacts folder:\n{run.error[-3000:]}"
    printed = "".join(o.get("text", "") for c in run.notebook.cells if c.cell_type == "code"
                      for o in c.get("outputs", []))
    assert "trained here in" in printed  # the earlier lesson's model was trained, and said so
    assert "measured on this cpu" in printed  # after its time was estimated
    for text in SKIP_TEXT:
        assert text not in printed, f"{lesson} still skips something: {printed[printed.index(text) - 300:][:500]}"
    recorded = json.loads((tmp_path / "results" / f"{lesson}.json").read_text())
    missing = [key for key in RAN[lesson] if key not in recorded]
    assert not missing, f"{lesson}'s experiments recorded no {missing}: {sorted(recorded)}"
    if lesson == "05_finetuning":  # the snapshot curve and the GPT stretch ran too
        assert "validation accuracy by pretraining tokens" in printed and "judged positive" in printed
