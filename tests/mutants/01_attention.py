"""Wrong answers to lesson 01's exercises that its tests must catch."""

from mutation import Mutant

SHIFT = "shifted = x - x.amax(dim=dim, keepdim=True)"
NORMALISE = "return weights / weights.sum(dim=dim, keepdim=True)"
SCORES = "scores = q @ k.transpose(-2, -1) / math.sqrt(d_k)"
ZERO_ROWS = "weights = weights.masked_fill(~mask.any(dim=-1, keepdim=True), 0.0)"

MUTANTS = [
    # softmax
    Mutant("softmax", "no shift: exp(1000) overflows to inf and inf/inf is NaN",
           SHIFT, "shifted = x"),
    Mutant("softmax", "always shifts along the last dimension, whatever dim is",
           SHIFT, "shifted = x - x.amax(dim=-1, keepdim=True)"),
    Mutant("softmax", "normalises along the last dimension, whatever dim is",
           NORMALISE, "return weights / weights.sum(dim=-1, keepdim=True)"),
    Mutant("softmax", "shifts by the global maximum: rows far below it underflow to 0/0",
           SHIFT, "shifted = x - x.max()"),
    # attention
    Mutant("attention", "forgets the scaling", SCORES, "scores = q @ k.transpose(-2, -1)"),
    Mutant("attention", "divides by d_k instead of its square root",
           SCORES, "scores = q @ k.transpose(-2, -1) / d_k"),
    Mutant("attention", "softmax over the queries instead of the keys (invisible on symmetric scores)",
           "weights = softmax(scores, dim=-1)", "weights = softmax(scores, dim=-2)"),
    Mutant("attention", "scales by the value width d_v instead of d_k",
           "d_k = q.shape[-1]", "d_k = v.shape[-1]"),
    Mutant("attention", "reads the mask the other way round (True = blocked)",
           "scores = scores.masked_fill(~mask, float(\"-inf\"))",
           "scores = scores.masked_fill(mask, float(\"-inf\"))"),
    Mutant("attention", "leaves fully masked rows as NaN", ZERO_ROWS, "pass"),
    Mutant("attention", "uses torch's fused attention for the output",
           "return weights @ v, weights",
           "return F.scaled_dot_product_attention(q, k, v, attn_mask=mask), weights"),
    # masks
    Mutant("masks", "upper triangle: each token sees the future",
           "return torch.ones(T, T, dtype=torch.bool).tril()",
           "return torch.ones(T, T, dtype=torch.bool).triu()"),
    Mutant("masks", "strictly below the diagonal: a token cannot see itself",
           "return torch.ones(T, T, dtype=torch.bool).tril()",
           "return torch.ones(T, T, dtype=torch.bool).tril(-1)"),
    Mutant("masks", "off by one: one padding position counted as real",
           "return torch.arange(max_len) < lengths[:, None]",
           "return torch.arange(max_len) <= lengths[:, None]"),
    Mutant("masks", "ignores max_len", "if max_len is None:\n        max_len", "if True:\n        max_len"),
    Mutant("masks", "never checks that the lengths fit",
           "if bool((lengths > max_len).any()):", "if False:"),
    Mutant("masks", "squeezes the lengths (to accept [B, 1] too): a batch of one becomes a 0-d tensor",
           "lengths = torch.as_tensor(lengths)", "lengths = torch.as_tensor(lengths).squeeze()"),
]
