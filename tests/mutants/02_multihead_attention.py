"""Wrong answers to lesson 02's exercises that its tests must catch."""

from mutation import Mutant

SPLIT = "return x.view(B, x.shape[1], self.n_heads, self.d_head).transpose(1, 2)"
MASK = 'scores = scores.masked_fill(~mask, float("-inf"))'
CHECK = "return bool((permute_first - layer_first).abs().max() <= atol)"

MUTANTS = [
    # multi-head attention
    Mutant("mha", "no guard for a query with nothing to attend to: its softmax is 0/0 = NaN",
           "        if mask is not None:  # a query with no allowed key: zeros instead of NaN\n"
           "            weights = weights.masked_fill(~mask.any(dim=-1, keepdim=True), 0.0)\n", ""),
    Mutant("mha", "scales by sqrt(d_model) instead of sqrt(d_head)",
           "/ math.sqrt(self.d_head)", "/ math.sqrt(D)"),
    Mutant("mha", "views [B, T, D] as [B, heads, T, d_head] directly: mixes positions into heads",
           SPLIT, "return x.view(B, self.n_heads, x.shape[1], self.d_head)"),
    Mutant("mha", "concatenates without transposing back: interleaves heads and positions",
           "concat = heads.transpose(1, 2).reshape(B, T_q, D)", "concat = heads.reshape(B, T_q, D)"),
    Mutant("mha", "forgets the output projection W_O",
           "return self.out_proj(concat), weights", "return concat, weights"),
    Mutant("mha", "splits keys and values with the query's length: breaks cross-attention",
           SPLIT, "return x.view(B, T_q, self.n_heads, self.d_head).transpose(1, 2)"),
    Mutant("mha", "reads the mask the other way round (True = blocked)",
           MASK, 'scores = scores.masked_fill(mask, float("-inf"))'),
    Mutant("mha", "assumes every mask is [T, T] and adds batch and head dimensions itself",
           MASK, 'scores = scores.masked_fill(~mask[None, None], float("-inf"))'),
    Mutant("mha", "accepts a width the heads cannot split",
           "if d_model % n_heads != 0:", "if False:"),
    # equivariance
    Mutant("equivariance", "tests invariance (output unchanged) instead of equivariance",
           "layer_first = layer(x)[:, perm]", "layer_first = layer(x)"),
    Mutant("equivariance", "permutes the output with the inverse permutation",
           "layer_first = layer(x)[:, perm]", "layer_first = layer(x)[:, perm.argsort()]"),
    Mutant("equivariance", "ignores atol", CHECK,
           "return bool((permute_first - layer_first).abs().max() <= 1e-5)"),
    Mutant("equivariance", "returns a tensor, not a bool", CHECK,
           "return (permute_first - layer_first).abs().max() <= atol"),
    # positional encoding
    Mutant("positional_encoding", "cosine at even dimensions, sine at odd",
           "pe[:, 0::2] = torch.sin(angle)\n    pe[:, 1::2] = torch.cos(angle)",
           "pe[:, 0::2] = torch.cos(angle)\n    pe[:, 1::2] = torch.sin(angle)"),
    Mutant("positional_encoding", "exponent i/d instead of 2i/d",
           "two_i = torch.arange(0, d_model, 2, dtype=torch.float32)",
           "two_i = torch.arange(d_model // 2, dtype=torch.float32)", visible=True),
    Mutant("positional_encoding", "base 1000 instead of 10000",
           "angle = pos / 10000 ** (two_i / d_model)", "angle = pos / 1000 ** (two_i / d_model)"),
    Mutant("positional_encoding", "builds the table in float64",
           "pe = torch.empty(max_len, d_model)", "pe = torch.empty(max_len, d_model, dtype=torch.float64)"),
    Mutant("positional_encoding", "does not reject an odd width", "if d_model % 2:", "if False:"),
]
