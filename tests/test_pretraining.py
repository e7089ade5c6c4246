"""Lesson 04's training loop (llmcourse.pretraining.pretrain): a step budget, snapshots for lesson
05, and a second call on the model it trained continues from its checkpoint."""

from types import SimpleNamespace

import torch
import torch.nn.functional as F


def test_pretrain_counts_steps_keeps_snapshots_and_continues_from_its_checkpoint(tmp_path, monkeypatch, capsys):
    from llmcourse import pretraining
    from llmcourse.models import GPT, TransformerConfig

    monkeypatch.setenv("LLMCOURSE_ARTIFACTS", str(tmp_path))
    sizes = SimpleNamespace(batch_size=4, warmup_steps=1, log_every=1, eval_every=2, plot_every=60.0,
                            snapshot_at=(0.5,))
    torch.manual_seed(0)
    model = GPT(TransformerConfig.gpt_like(20, d_model=8, n_heads=2, n_layers=1, d_ff=16, max_len=6, dropout=0.0))
    stream = torch.randint(0, 20, (200,), generator=torch.Generator().manual_seed(0))
    val = [(rows, rows) for rows in pretraining.to_blocks(stream[:60], 6).split(4)]

    def loss(net, inputs, labels):
        logits = net(inputs).logits[:, :-1]
        return F.cross_entropy(logits.reshape(-1, 20), labels[:, 1:].reshape(-1))

    def run(snapshots):
        return pretraining.pretrain(model, stream, 6, lambda rows: (rows, rows), loss, val, name="toy", lr=1e-2,
                                    betas=(0.9, 0.95), weight_decay=0.0, steps=4, seconds=600, title="toy",
                                    sizes=sizes, device=torch.device("cpu"), snapshots=snapshots)

    snapshots = []
    first = run(snapshots)
    assert first["steps"] == 4 and first["train_tokens_seen"] == 4 * 4 * 6
    assert [tokens for tokens, _ in snapshots] == [0, 2 * 24, 4 * 24]  # start, half the budget, end
    assert (tmp_path / "checkpoints" / "toy.pt").is_file()
    capsys.readouterr()
    again = run(None)
    assert "continuing toy from its checkpoint: run 2, from step 4" in capsys.readouterr().out
    assert again["steps"] == 8  # 4 more steps, counted on from the first run's
    model.load_state_dict(GPT(model.cfg).state_dict())  # other weights: a new model starts from step 0
    assert run(None)["steps"] == 4
