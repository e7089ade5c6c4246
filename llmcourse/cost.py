"""What a forward pass costs, as PyTorch itself counts it: lesson 07 checks its FLOP formula here.

torch.utils.flop_counter.FlopCounterMode counts each matrix product [M, K] @ [K, N] as 2·M·K·N.
It does not see inside every attention kernel: on the CPU, scaled_dot_product_attention on inputs
that need no gradient runs a fused kernel it counts as 0 FLOPs (checked with torch 2.13). So the
count runs with attention spelled out as softmax(QKᵀ/√d)·V, the same products the kernel does.
"""

import contextlib
import math

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode


def _spelled_out_attention(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None, **_):
    scores = q @ k.transpose(-2, -1) * (1 / math.sqrt(q.shape[-1]) if scale is None else scale)
    if is_causal:
        attn_mask = torch.ones(q.shape[-2], k.shape[-2], dtype=torch.bool, device=q.device).tril()
    if attn_mask is not None:
        scores = scores.masked_fill(~attn_mask, float("-inf")) if attn_mask.dtype == torch.bool else scores + attn_mask
    return F.dropout(scores.softmax(dim=-1), dropout_p) @ v


@contextlib.contextmanager
def spelled_out_attention():
    """Inside the block, F.scaled_dot_product_attention is the textbook formula (for counting)."""
    fused = F.scaled_dot_product_attention
    F.scaled_dot_product_attention = _spelled_out_attention
    try:
        yield
    finally:
        F.scaled_dot_product_attention = fused


def measured_flops(run) -> int:
    """The FLOPs PyTorch counts while `run()` executes (forward, and backward if run() does one)."""
    with spelled_out_attention(), FlopCounterMode(display=False) as counter:
        run()
    return counter.get_total_flops()
