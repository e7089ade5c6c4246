"""Shared training helpers."""

import torch

from llmcourse import training
from llmcourse.training import LossPlot, Throughput, autocast, maybe_compile


def matmul_dtype(**kwargs):
    with autocast(torch.device("cpu"), **kwargs):
        return (torch.ones(2, 2) @ torch.ones(2, 2)).dtype


def test_autocast_is_a_no_op_on_cpu(monkeypatch):
    monkeypatch.delenv("LLMCOURSE_SMOKE", raising=False)
    assert matmul_dtype() == torch.float32
    monkeypatch.setattr(training, "cpu_has_bf16", lambda: True)
    assert matmul_dtype() == torch.float32  # exercises never ask: their checks are machine-independent


def test_bf16_on_cpu_only_where_asked_and_native(monkeypatch):
    monkeypatch.delenv("LLMCOURSE_SMOKE", raising=False)
    monkeypatch.setattr(training, "cpu_has_bf16", lambda: False)
    assert matmul_dtype(cpu=True) == torch.float32
    monkeypatch.setattr(training, "cpu_has_bf16", lambda: True)
    assert matmul_dtype(cpu=True) == torch.bfloat16


def test_a_smoke_test_of_full_mode_takes_the_bf16_path(monkeypatch):
    monkeypatch.setenv("LLMCOURSE_SMOKE", "1")
    monkeypatch.setattr(training, "cpu_has_bf16", lambda: False)
    assert matmul_dtype() == torch.bfloat16


def test_no_compile_on_cpu_by_default():
    model = torch.nn.Linear(2, 2)
    assert maybe_compile(model, torch.device("cpu")) is model


def test_throughput_counts_items():
    meter = Throughput()
    meter.add(1000)
    meter.add(500)
    assert meter.items == 1500 and meter.per_second() > 0


def test_loss_plot_draws_every_series():
    plot = LossPlot("demo", every=1e9)
    for step in range(5):
        plot.add(step, train=1.0 / (step + 1))
    plot.add(4, val=0.3)
    fig = plot.done()
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == ["train", "val"]
    assert list(ax.lines[0].get_ydata()) == [1.0, 0.5, 1 / 3, 0.25, 0.2]


def test_compile_that_fails_on_first_call_falls_back_to_the_plain_model(monkeypatch, capsys):
    def broken_compile(model):
        def run(*args, **kwargs):
            raise RuntimeError("no C compiler")
        return run

    monkeypatch.setattr(torch, "compile", broken_compile)
    model = torch.nn.Linear(2, 2)
    net = maybe_compile(model, torch.device("cpu"), enabled=True)
    x = torch.ones(1, 2)
    assert torch.equal(net(x), model(x)) and torch.equal(net(x), model(x))
    assert capsys.readouterr().out.count("running uncompiled") == 1


def test_compile_that_works_is_used(monkeypatch):
    calls = []
    monkeypatch.setattr(torch, "compile", lambda model: lambda x: calls.append(1) or model(x))
    model = torch.nn.Linear(2, 2)
    net = maybe_compile(model, torch.device("cpu"), enabled=True)
    net(torch.ones(1, 2))
    net(torch.ones(1, 2))
    assert len(calls) == 2


def test_checks_compute_in_float32_even_in_a_smoke_test(monkeypatch):
    from llmcourse.checks import exercise

    monkeypatch.setenv("LLMCOURSE_SMOKE", "1")
    with exercise("float32 inside a check") as check:
        inside = matmul_dtype(cpu=True)
        check.true(True, "runs")
    assert inside == torch.float32 and matmul_dtype() == torch.bfloat16
