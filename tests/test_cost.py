"""llmcourse/cost.py: PyTorch's FLOP count with attention spelled out (lesson 07 checks against it)."""

import pytest
import torch
import torch.nn.functional as F

from llmcourse.cost import measured_flops, spelled_out_attention
from llmcourse.models import GPT, Encoder, TransformerConfig


def matmul_flops(cfg, B, T, head):
    d = cfg.d_model
    per_layer = 2 * B * T * (4 * d * d + 2 * T * d + 2 * d * cfg.d_ff)
    return cfg.n_layers * per_layer + (2 * B * T * d * cfg.vocab_size if head else 0)


@pytest.mark.parametrize("grad", [False, True])
def test_attention_is_counted_with_or_without_autograd(grad):
    # the fused CPU kernel counts as 0 FLOPs when no input needs a gradient: the count must not depend on it
    cfg = TransformerConfig.bert_like(60, d_model=16, n_heads=2, n_layers=2, d_ff=24, max_len=12)
    model = Encoder(cfg).eval()
    ids = torch.randint(0, 60, (3, 11))
    with torch.set_grad_enabled(grad):
        assert measured_flops(lambda: model(ids, torch.ones_like(ids))) == matmul_flops(cfg, 3, 11, head=False)


def test_spelled_out_attention_equals_the_fused_kernel_and_is_restored():
    q, k, v = torch.randn(3, 2, 2, 5, 4).unbind(0)
    mask = torch.tensor([[True, True, False, True, False]]).expand(5, 5)
    fused = F.scaled_dot_product_attention
    for kwargs in ({}, {"is_causal": True}, {"attn_mask": mask}):
        want = F.scaled_dot_product_attention(q, k, v, **kwargs)
        with spelled_out_attention():
            got = F.scaled_dot_product_attention(q, k, v, **kwargs)
        torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)
    with pytest.raises(RuntimeError, match="boom"), spelled_out_attention():
        raise RuntimeError("boom")
    assert F.scaled_dot_product_attention is fused


def test_a_training_step_is_three_forward_passes():
    cfg = TransformerConfig.gpt_like(50, d_model=16, n_heads=2, n_layers=2, d_ff=32, max_len=16)
    gpt = GPT(cfg)
    ids = torch.randint(0, 50, (2, 9))
    step = measured_flops(lambda: gpt(ids).logits.sum().backward())
    assert step == 3 * matmul_flops(cfg, 2, 9, head=True)
