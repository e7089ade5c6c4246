"""Full mode without a GPU: lessons 04 to 07 with full mode's shapes and settings (sequence
length 512, batch sizes, model widths, bf16 autocast on the CPU) but a few steps and batches
(LLMCOURSE_SMOKE=1), so that a bug only full mode would hit fails CI."""

import json

import pytest

from autograder.course import solution_notebook
from autograder.execute import execute


@pytest.mark.slow
@pytest.mark.xdist_group("smoke")  # one worker, in order: 05 to 07 load what 04 and 05 saved
def test_lessons_04_to_07_run_with_full_modes_shapes(tmp_path):
    env = {"LLMCOURSE_SMOKE": "1", "LLMCOURSE_ARTIFACTS": str(tmp_path)}  # not the fast runs' artifacts
    printed = {}
    for lesson in ("04_pretraining", "05_finetuning", "06_gpt", "07_efficiency"):
        run = execute(solution_notebook(lesson), mode="full", env=env, timeout=900)
        print(f"{lesson} smoke: {run.seconds:.1f} s")
        assert run.error is None, f"{lesson} fails with full mode's shapes:\n{run.error[-3000:]}"
        printed[lesson] = "".join(o.get("text", "") for c in run.notebook.cells if c.cell_type == "code"
                                  for o in c.get("outputs", []))
        assert "sizes (full, smoke test" in printed[lesson]
    assert "max_len=512" in printed["05_finetuning"]  # lesson 05 really used full mode's sequence length
    results = json.loads((tmp_path / "results" / "05_finetuning.json").read_text())
    assert results["mode"] == "full" and results["seeds"] == 2
    assert (tmp_path / "tiny_bert" / "snapshots").is_dir()
    assert (tmp_path / "sentiment_classifier").is_dir()  # lesson 06 judged with lesson 05's classifier
    gpt = json.loads((tmp_path / "results" / "06_gpt.json").read_text())
    assert gpt["mode"] == "full" and "as_asked_after" in gpt  # fine-tuned lesson 04's GPT and judged it
    costs = json.loads((tmp_path / "results" / "07_efficiency.json").read_text())
    assert costs["mode"] == "full"  # every model of lesson 07 trained, scored and timed:
    assert {"accuracy_tiny_distilled", "accuracy_minilm_lora", "accuracy_minilm_int8", "accuracy_teacher"} <= set(costs)
