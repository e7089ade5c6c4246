"""Device choice, mode switch, seeding."""

import random

import numpy as np
import pytest
import torch

from llmcourse import device, mode
from llmcourse.seeding import seed_everything


def test_cpu_when_no_gpu(monkeypatch, capsys):
    monkeypatch.delenv(device.ENV, raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(device, "mps_usable", lambda: False)
    assert device.pick_device() == torch.device("cpu")
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "device: cpu" in out and device.ENV in out


def test_cuda_preferred_over_mps(monkeypatch):
    monkeypatch.delenv(device.ENV, raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(device, "mps_usable", lambda: True)
    monkeypatch.setattr(device, "describe", lambda d: d.type)
    assert device.pick_device(verbose=False).type == "cuda"


def test_mps_when_no_cuda(monkeypatch):
    monkeypatch.delenv(device.ENV, raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(device, "mps_usable", lambda: True)
    assert device.pick_device(verbose=False).type == "mps"


def test_mps_refused_on_old_torch(monkeypatch):
    class FakeMPS:
        @staticmethod
        def is_available():
            return True

    monkeypatch.setattr(torch.backends, "mps", FakeMPS)
    monkeypatch.setattr(torch, "__version__", "2.1.0")
    assert not device.mps_usable()
    monkeypatch.setattr(torch, "__version__", "2.13.0+cpu")
    assert device.mps_usable()


def test_env_override(monkeypatch):
    monkeypatch.setenv(device.ENV, "cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert device.pick_device(verbose=False) == torch.device("cpu")


def test_env_asking_for_missing_gpu_is_a_clear_error(monkeypatch):
    monkeypatch.setenv(device.ENV, "cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="does not have"):
        device.pick_device(verbose=False)


def test_mode_defaults_follow_the_gpu(monkeypatch):
    monkeypatch.delenv(mode.ENV, raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert mode.current_mode() == "fast"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert mode.current_mode() == "full"


def test_mode_override_and_bad_value(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setenv(mode.ENV, "FAST")
    assert mode.current_mode() == "fast"
    monkeypatch.setenv(mode.ENV, "test")
    assert mode.current_mode() == "test"
    monkeypatch.setenv(mode.ENV, "quick")
    with pytest.raises(ValueError, match="test, fast, full"):
        mode.current_mode()


def test_test_mode_is_never_a_default(monkeypatch):
    monkeypatch.delenv(mode.ENV, raising=False)
    monkeypatch.delenv(mode.SMOKE_ENV, raising=False)
    for gpu in (False, True):
        monkeypatch.setattr(torch.cuda, "is_available", lambda: gpu)
        assert mode.current_mode() != "test"
    monkeypatch.setenv(mode.SMOKE_ENV, "1")  # the smoke test is of full mode's sizes, never test's
    monkeypatch.setenv(mode.ENV, "test")
    with pytest.raises(ValueError, match="unset one of them"):
        mode.current_mode()


def sizes_cell(lesson: str) -> dict[str, dict]:
    """{mode: sizes} as the lesson's sizes cell (right after the setup cell) declares them."""
    import ast

    import nbformat

    from autograder.course import solution_notebook

    cells = nbformat.read(solution_notebook(lesson), as_version=4).cells
    setup = next(i for i, c in enumerate(cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "setup")
    call = ast.parse(cells[setup + 1].source).body[-1].value
    assert ast.unparse(call.func) == "lesson.use_sizes", f"{lesson}: the cell after setup declares no sizes"

    def values(node):  # dict(a=1, ...) or {"a": 1, ...}
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "dict" and not node.args:
            return {k.arg: ast.literal_eval(k.value) for k in node.keywords}
        return ast.literal_eval(node)
    return {k.arg: values(k.value) for k in call.keywords}


def test_every_lesson_declares_sizes_for_every_mode_with_the_same_names():
    from autograder.course import lessons

    for lesson in lessons():
        declared = sizes_cell(lesson)
        smoke = declared.pop("smoke", {})
        assert set(declared) == {"test", "fast", "full"} == set(mode.MODES), f"{lesson}: sizes for {sorted(declared)}"
        for name in ("test", "full"):
            assert declared[name].keys() == declared["fast"].keys(), f"{lesson}: {name} and fast name different sizes"
        for name, value in smoke.items():  # a smoke test of full mode only lowers full's counts
            full = declared["full"][name]
            if isinstance(value, tuple):
                assert set(value) <= set(full), f"{lesson}: smoke {name}={value} is not a part of full's {full}"
            elif full is not None:
                assert value <= full, f"{lesson}: smoke {name}={value} is more than full's {full}"


def test_lessons_with_long_full_runs_declare_a_smoke_test():
    for lesson in ("04_pretraining", "05_finetuning", "06_gpt", "07_efficiency"):
        assert sizes_cell(lesson).get("smoke"), f"{lesson}: no smoke sizes, so CI cannot test full mode"


def test_smoke_uses_full_sizes_with_lowered_counts_and_refuses_shapes(monkeypatch, capsys):
    from llmcourse.notebook import Lesson

    monkeypatch.setenv(mode.SMOKE_ENV, "1")
    monkeypatch.delenv(mode.ENV, raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert mode.current_mode() == "full"
    lesson = Lesson("x", torch.device("cpu"), "full")
    sizes = lesson.use_sizes(test=dict(d_model=4, train_steps=1), fast=dict(d_model=8, train_steps=5),
                             full=dict(d_model=256, train_steps=9000), smoke=dict(train_steps=3))
    assert (sizes.d_model, sizes.train_steps) == (256, 3)
    assert "smoke test" in capsys.readouterr().out
    with pytest.raises(ValueError, match="not: d_model"):
        lesson.use_sizes(test=dict(d_model=4), fast=dict(d_model=8), full=dict(d_model=256), smoke=dict(d_model=8))
    monkeypatch.setenv(mode.ENV, "fast")
    with pytest.raises(ValueError, match="unset one of them"):
        mode.current_mode()
    monkeypatch.setenv(mode.SMOKE_ENV, "0")  # off: the smoke sizes are ignored
    assert Lesson("x", torch.device("cpu"), "full").use_sizes(
        test=dict(n_steps=1), fast=dict(n_steps=1), full=dict(n_steps=9), smoke=dict(n_steps=2)).n_steps == 9


def test_use_sizes_keeps_the_current_modes_and_refuses_mismatches(capsys):
    from llmcourse.notebook import Lesson

    lesson = Lesson("x", torch.device("cpu"), "fast")
    assert lesson.use_sizes(test=dict(n=0), fast=dict(n=1), full=dict(n=9)).n == 1 and lesson.sizes.n == 1
    assert "sizes (fast): n=1" in capsys.readouterr().out
    assert Lesson("x", torch.device("cpu"), "test").use_sizes(test=dict(n=0), fast=dict(n=1), full=dict(n=9)).n == 0
    with pytest.raises(ValueError, match=r"only in some of them: \{'test': \['m'\]\}"):
        lesson.use_sizes(test=dict(n=1, m=2), fast=dict(n=1), full=dict(n=9))
    with pytest.raises(ValueError, match="exactly the modes test, fast, full; missing: test"):
        lesson.use_sizes(fast=dict(n=1), full=dict(n=9))  # a lesson written before test mode
    with pytest.raises(ValueError, match="not a mode: quick"):
        lesson.use_sizes(test=dict(n=1), fast=dict(n=1), full=dict(n=9), quick=dict(n=1))


def test_seed_everything_repeats_all_generators():
    def draw():
        return random.random(), np.random.rand(), torch.rand(1).item()

    gen = seed_everything(123)
    first, g1 = draw(), torch.rand(1, generator=gen).item()
    gen = seed_everything(123)
    assert draw() == first and torch.rand(1, generator=gen).item() == g1
    seed_everything(124)
    assert draw() != first


def test_results_are_recorded_and_merged(monkeypatch, tmp_path):
    from llmcourse import results

    monkeypatch.setenv("LLMCOURSE_ARTIFACTS", str(tmp_path))
    results.record("99_demo", accuracy=0.5)
    results.record("99_demo", loss=1.25, note="fast")
    assert results.load("99_demo") == {"accuracy": 0.5, "loss": 1.25, "note": "fast"}
    with pytest.raises(ValueError, match="finite"):
        results.record("99_demo", loss=float("nan"))
    results.clear("99_demo")
    assert results.load("99_demo") == {}


def test_claims_print_one_line_and_are_kept_with_the_results(monkeypatch, tmp_path, capsys):
    import numpy as np

    from autograder.run_course import report, saved_results
    from llmcourse import results

    monkeypatch.setenv("LLMCOURSE_ARTIFACTS", str(tmp_path))
    results.record("99_demo", accuracy=0.5)
    assert results.claim("99_demo", "a", "A beats B", shown=np.float64(0.9) > 0.8, evidence="0.9 vs 0.8") is True
    assert results.claim("99_demo", "b", "C beats D", shown=False, evidence=results.spread([1, 2, 3])) is False
    assert capsys.readouterr().out.splitlines()[-2:] == [
        "claim: A beats B — 0.9 vs 0.8 — shown", "claim: C beats D — 2 ± 1 (n=3) — not shown"]
    results.claim("99_demo", "a", "A beats B", shown=False, evidence="0.7 vs 0.8")  # a rerun replaces it
    saved = saved_results("99_demo")
    assert saved["results"] == {"accuracy": 0.5}
    assert [(c["statement"], c["shown"]) for c in saved["claims"]] == [("A beats B", False), ("C beats D", False)]
    table = report([dict(lesson="99_demo", run_s=1.0, grade_s=1.0, score=1, max_score=1, ok=True, **saved)], "fast")
    assert "Claims (0 of 2 shown)" in table and "claim: A beats B — 0.7 vs 0.8 — not shown" in table
    for bad in (1, 0.9, "yes", None):  # a verdict is a comparison, not a number that might be one
        with pytest.raises(TypeError, match="True or False"):
            results.claim("99_demo", "c", "E", shown=bad, evidence="x")
    with pytest.raises(ValueError, match="non-empty"):
        results.claim("99_demo", "c", "E", shown=True, evidence="")
    with pytest.raises(ValueError, match="kept for claim"):
        results.record("99_demo", claims=1)


def test_progress_bars_never_redraw_from_another_thread(capsys):
    from tqdm import tqdm

    from llmcourse.notebook import start_lesson

    start_lesson("x")
    assert tqdm.monitor_interval == 0  # the monitor thread would send widget messages off the main thread
