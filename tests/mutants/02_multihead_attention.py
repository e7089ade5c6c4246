"""Wrong answers to lesson 02's exercises that its tests must catch."""

from mutation import Mutant

SPLIT = "return x.view(B, x.shape[1], self.n_heads, self.d_head).transpose(1, 2)"
MASK = 'scores = scores.masked_fill(~mask, float("-inf"))'
CHECK = "return bool((permute_first - layer_first).abs().max() <= atol)"
MHA = ("test_mha", "test_mha_mask")  # exercise 2.1's two test cells: its mistakes cost nothing else

MUTANTS = [
    # multi-head attention
    Mutant("mha", "no guard for a query with nothing to attend to: its softmax is 0/0 = NaN",
           "        if mask is not None:  # a query with no allowed key: zeros instead of NaN\n"
           "            weights = weights.masked_fill(~mask.any(dim=-1, keepdim=True), 0.0)\n", ""),
    Mutant("mha", "scales by sqrt(d_model) instead of sqrt(d_head)",
           "/ math.sqrt(self.d_head)", "/ math.sqrt(D)"),
    Mutant("mha", "views [B, T, D] as [B, heads, T, d_head] directly: mixes positions into heads",
           SPLIT, "return x.view(B, self.n_heads, x.shape[1], self.d_head)", only=MHA),
    Mutant("mha", "concatenates without transposing back: interleaves heads and positions",
           "concat = heads.transpose(1, 2).reshape(B, T_q, D)", "concat = heads.reshape(B, T_q, D)", only=MHA),
    Mutant("mha", "forgets the output projection W_O",
           "return self.out_proj(concat), weights", "return concat, weights"),
    Mutant("mha", "splits keys and values with the query's length: breaks cross-attention",
           SPLIT, "return x.view(B, T_q, self.n_heads, self.d_head).transpose(1, 2)", visible=True),
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
    # checks that teach (issue 32)
    Mutant("equivariance", "compares the mean difference with atol instead of the largest", CHECK,
           "return bool((permute_first - layer_first).abs().mean() <= atol)", only="test_equivariance"),
]

EQUIVALENTS = [
    Mutant("mha", "creates out_proj first and the input projections in another order (same names)",
           "        self.q_proj = nn.Linear(d_model, d_model, bias=bias)\n"
           "        self.k_proj = nn.Linear(d_model, d_model, bias=bias)\n"
           "        self.v_proj = nn.Linear(d_model, d_model, bias=bias)\n"
           "        self.out_proj = nn.Linear(d_model, d_model, bias=bias)\n",
           "        self.out_proj = nn.Linear(d_model, d_model, bias=bias)\n"
           "        self.k_proj = nn.Linear(d_model, d_model, bias=bias)\n"
           "        self.v_proj = nn.Linear(d_model, d_model, bias=bias)\n"
           "        self.q_proj = nn.Linear(d_model, d_model, bias=bias)\n"),
    Mutant("mha", "einsum over [B, T, heads, d_head] without transposes, the scale applied to q first, masked "
           "scores set to a large negative number and fully masked rows zeroed by multiplying",
           "        def split(x):  # [B, T, D] -> [B, heads, T, d_head]\n"
           "            return x.view(B, x.shape[1], self.n_heads, self.d_head).transpose(1, 2)\n"
           "\n"
           "        q, k, v = split(self.q_proj(query)), split(self.k_proj(key)), split(self.v_proj(value))\n"
           "        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_head)\n"
           "        if mask is not None:\n"
           "            scores = scores.masked_fill(~mask, float(\"-inf\"))\n"
           "        weights = scores.softmax(dim=-1)\n"
           "        if mask is not None:  # a query with no allowed key: zeros instead of NaN\n"
           "            weights = weights.masked_fill(~mask.any(dim=-1, keepdim=True), 0.0)\n"
           "        heads = weights @ v                                    # [B, heads, T_q, d_head]\n"
           "        concat = heads.transpose(1, 2).reshape(B, T_q, D)      # the concatenation\n",
           "        h, d = self.n_heads, self.d_head\n"
           "        q = self.q_proj(query).unflatten(-1, (h, d)) * d ** -0.5   # [B, T_q, h, d]\n"
           "        k = self.k_proj(key).unflatten(-1, (h, d))\n"
           "        v = self.v_proj(value).unflatten(-1, (h, d))\n"
           "        scores = torch.einsum(\"bqhd,bkhd->bhqk\", q, k)\n"
           "        if mask is not None:\n"
           "            scores = torch.where(mask, scores, torch.full_like(scores, -1e30))\n"
           "        weights = torch.softmax(scores, dim=-1)\n"
           "        if mask is not None:\n"
           "            weights = weights * mask.any(dim=-1, keepdim=True)\n"
           "        concat = torch.einsum(\"bhqk,bkhd->bqhd\", weights, v).flatten(2)\n"),
    Mutant("mha", "one fused input projection: the three weight matrices concatenated, one F.linear, "
           "then chunked (q, k and v still read from query, key and value)",
           "        q, k, v = split(self.q_proj(query)), split(self.k_proj(key)), split(self.v_proj(value))\n",
           "        W = torch.cat([self.q_proj.weight, self.k_proj.weight, self.v_proj.weight])\n"
           "        b = None if self.q_proj.bias is None else torch.cat(\n"
           "            [self.q_proj.bias, self.k_proj.bias, self.v_proj.bias])\n"
           "        Wq, Wk, Wv = W.chunk(3)\n"
           "        bq, bk, bv = (None, None, None) if b is None else b.chunk(3)\n"
           "        if query is key and key is value:  # self-attention: a single matrix product\n"
           "            q, k, v = torch.nn.functional.linear(query, W, b).chunk(3, dim=-1)\n"
           "        else:\n"
           "            q = torch.nn.functional.linear(query, Wq, bq)\n"
           "            k = torch.nn.functional.linear(key, Wk, bk)\n"
           "            v = torch.nn.functional.linear(value, Wv, bv)\n"
           "        q, k, v = split(q), split(k), split(v)\n"),
    Mutant("equivariance", "torch.no_grad, and the comparison as a tensor's .all().item()",
           "    with torch.inference_mode():\n"
           "        permute_first = layer(x[:, perm])\n"
           "        layer_first = layer(x)[:, perm]\n"
           "    return bool((permute_first - layer_first).abs().max() <= atol)\n",
           "    with torch.no_grad():\n"
           "        a, b = layer(x[:, perm]), layer(x).index_select(1, perm)\n"
           "    return (a - b).abs().le(atol).all().item()\n"),
    Mutant("positional_encoding", "a loop over the sine/cosine pairs, the frequencies in Python floats",
           "    pos = torch.arange(max_len, dtype=torch.float32)[:, None]          # [max_len, 1]\n"
           "    two_i = torch.arange(0, d_model, 2, dtype=torch.float32)           # 2i = 0, 2, 4, ...\n"
           "    angle = pos / 10000 ** (two_i / d_model)                           # [max_len, d_model/2]\n"
           "    pe = torch.empty(max_len, d_model)\n"
           "    pe[:, 0::2] = torch.sin(angle)\n"
           "    pe[:, 1::2] = torch.cos(angle)\n",
           "    pos = torch.arange(max_len).float()\n"
           "    pe = torch.zeros(max_len, d_model)\n"
           "    for i in range(d_model // 2):\n"
           "        angle = pos / 10000 ** (2 * i / d_model)\n"
           "        pe[:, 2 * i] = angle.sin()\n"
           "        pe[:, 2 * i + 1] = angle.cos()\n"),
    Mutant("positional_encoding", "torch.stack of sin and cos, interleaved by a reshape, frequencies via exp and log",
           "    pe = torch.empty(max_len, d_model)\n"
           "    pe[:, 0::2] = torch.sin(angle)\n"
           "    pe[:, 1::2] = torch.cos(angle)\n",
           "    freq = torch.exp(-math.log(10000.0) * two_i / d_model)\n"
           "    angle = pos * freq\n"
           "    pe = torch.stack([angle.sin(), angle.cos()], dim=-1).reshape(max_len, d_model)\n"),
]
