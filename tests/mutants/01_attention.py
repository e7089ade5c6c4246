"""Wrong answers to lesson 01's exercises that its tests must catch."""

from mutation import Mutant

SCORES = "scores = q @ k.transpose(-2, -1) / math.sqrt(d_k)"
ZERO_ROWS = "weights = weights.masked_fill(~mask.any(dim=-1, keepdim=True), 0.0)"

MUTANTS = [
    # similarity attention
    Mutant("similarity", "softmax over the queries (dim=-2): X X^T is symmetric, so alpha comes out transposed",
           "alpha = torch.softmax(scores, dim=-1)", "alpha = torch.softmax(scores, dim=-2)",
           visible=True, only="test_similarity"),
    Mutant("similarity", "X.T instead of a batched transpose: right for one sequence, wrong for a batch",
           "X @ X.transpose(-2, -1)", "X @ X.T", visible=True, only="test_similarity"),
    Mutant("similarity", "mixes by the columns of alpha (alpha^T @ X)",
           "return alpha @ X, alpha", "return alpha.transpose(-2, -1) @ X, alpha",
           visible=True, only="test_similarity"),
    Mutant("similarity", "ignores the temperature", "/ temperature  #", "#", visible=True, only="test_similarity"),
    Mutant("similarity", "multiplies by the temperature", "/ temperature  #", "* temperature  #",
           visible=True, only="test_similarity"),
    Mutant("similarity", "scales by sqrt(d) as well, as in 1.2",
           "/ temperature  #", "/ temperature / X.shape[-1] ** 0.5  #", visible=True, only="test_similarity"),
    Mutant("similarity", "cosine similarity instead of the dot product",
           "scores = X @ X.transpose(-2, -1)",
           "unit = X / X.norm(dim=-1, keepdim=True)\n    scores = unit @ unit.transpose(-2, -1)",
           visible=True, only="test_similarity"),
    Mutant("similarity", "lesson 00's naive softmax, without the shift: long vectors overflow to NaN",
           "alpha = torch.softmax(scores, dim=-1)", "alpha = scores.exp() / scores.exp().sum(dim=-1, keepdim=True)",
           only="test_similarity"),
    Mutant("similarity", "squeezes the result: a batch of one loses its dimensions",
           "return alpha @ X, alpha", "return (alpha @ X).squeeze(), alpha.squeeze()", only="test_similarity"),
    Mutant("similarity", "computes in float32 whatever comes in",
           "scores = X @ X.transpose(-2, -1)", "X = X.float()\n    scores = X @ X.transpose(-2, -1)",
           only="test_similarity"),
    # attention
    # a scaling mistake costs the unmasked test only: the mask test is built so the scale cannot matter
    Mutant("attention", "forgets the scaling", SCORES, "scores = q @ k.transpose(-2, -1)", only="test_attention"),
    Mutant("attention", "divides by d_k instead of its square root",
           SCORES, "scores = q @ k.transpose(-2, -1) / d_k", only="test_attention"),
    Mutant("attention", "softmax over the queries instead of the keys (invisible on symmetric scores)",
           "weights = torch.softmax(scores, dim=-1)", "weights = torch.softmax(scores, dim=-2)"),
    Mutant("attention", "scales by the value width d_v instead of d_k",
           "d_k = q.shape[-1]", "d_k = v.shape[-1]", only="test_attention"),
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
    # checks that teach (issue 32)
    Mutant("similarity", "computes in float32 and casts the results back to the input's dtype",
           "return alpha @ X, alpha",
           "X32 = X.float()  # float32 arithmetic\n"
           "    a32 = torch.softmax(X32 @ X32.transpose(-2, -1) / temperature, dim=-1)\n"
           "    return (a32 @ X32).to(X.dtype), a32.to(X.dtype)", only="test_similarity"),
    Mutant("attention", "computes the scores in float32 and casts them back to the input's dtype",
           SCORES, "scores = (q.float() @ k.float().transpose(-2, -1)).to(q.dtype) / math.sqrt(d_k)",
           only="test_attention"),
    Mutant("attention", "k.T instead of a batched transpose: right for one sequence, wrong for a batch",
           SCORES, "scores = q @ k.T / math.sqrt(d_k)", visible=True),
    Mutant("masks", "slices a mask made once for up to 8 tokens (as GPT code keeps a max_len buffer)",
           "return torch.ones(T, T, dtype=torch.bool).tril()",
           "return torch.ones(8, 8, dtype=torch.bool).tril()[:T, :T]", only="test_causal_mask"),
    Mutant("masks", "a max_len that is given must be longer than every length (>=): a length equal to it raises",
           "    if bool((lengths > max_len).any()):",
           "    elif bool((lengths >= max_len).any()):", only="test_padding_mask"),
]

EQUIVALENTS = [
    Mutant("attention", "einsum, the scale applied to q first, masked scores set to a large negative "
           "number and fully masked rows zeroed by multiplying",
           "d_k = q.shape[-1]\n    scores = q @ k.transpose(-2, -1) / math.sqrt(d_k)\n"
           "    if mask is not None:\n        scores = scores.masked_fill(~mask, float(\"-inf\"))\n"
           "    weights = torch.softmax(scores, dim=-1)\n"
           "    if mask is not None:  # rows with nothing to attend to: 0/0 = NaN -> 0\n"
           "        weights = weights.masked_fill(~mask.any(dim=-1, keepdim=True), 0.0)\n"
           "    return weights @ v, weights",
           "scores = torch.einsum(\"...qd,...kd->...qk\", q / q.shape[-1] ** 0.5, k)\n"
           "    if mask is not None:\n"
           "        scores = torch.where(mask, scores, torch.full_like(scores, -1e30))\n"
           "    weights = torch.softmax(scores, dim=-1)\n"
           "    if mask is not None:\n"
           "        weights = weights * mask.any(dim=-1, keepdim=True)\n"
           "    return torch.einsum(\"...qk,...kd->...qd\", weights, v), weights"),
    Mutant("similarity", "einsum for both products",
           "scores = X @ X.transpose(-2, -1) / temperature",
           "scores = torch.einsum(\"...id,...jd->...ij\", X, X) / temperature"),
]
