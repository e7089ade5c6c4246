"""Wrong answers to lesson 03's exercises that its tests must catch (MUTANTS), and correct answers
written another way that every test must pass (EQUIVALENTS)."""

from mutation import Mutant

MEAN_VAR = ("mean = x.mean(dim=-1, keepdim=True)\n"
            "        var = ((x - mean) ** 2).mean(dim=-1, keepdim=True)")
NORMALISE = "x_hat = (x - mean) / torch.sqrt(var + self.eps)"
FFN = "hidden = F.gelu(self.up(x))\n        return self.drop(self.down(hidden))"
ENC_ATTN = "a, weights = self.attn(x, x, x, mask)"
ENC_BODY = ("x = self.norm1(x + self.drop(a))\n"
            "        x = self.norm2(x + self.ffn(x))")
CAUSAL = "allowed = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()"
COMBINE = "allowed = allowed & mask"
DEC_ATTN = "x = x + self.drop(a)"
DEC_BODY = ("h = self.norm1(x)\n"
            "        a, weights = self.attn(h, h, h, allowed)\n"
            "        x = x + self.drop(a)\n"
            "        x = x + self.ffn(self.norm2(x))")
BLOCK = "block = attention + feed_forward + 2 * layer_norm"

MUTANTS = [
    # --- 3.1 LayerNorm
    Mutant("layer_norm", "statistics over dim 1 instead of the last dim: right for 2-D input only",
           MEAN_VAR, MEAN_VAR.replace("dim=-1", "dim=1"), only="test_layer_norm"),
    Mutant("layer_norm", "statistics over the batch (dim 0), like batch normalisation",
           MEAN_VAR, MEAN_VAR.replace("dim=-1", "dim=0"), only="test_layer_norm"),
    Mutant("layer_norm", "no epsilon: a constant row divides 0 by 0",
           NORMALISE, "x_hat = (x - mean) / torch.sqrt(var)", only="test_layer_norm"),
    Mutant("layer_norm", "epsilon added to the standard deviation, outside the square root",
           NORMALISE, "x_hat = (x - mean) / (torch.sqrt(var) + self.eps)", only="test_layer_norm"),
    Mutant("layer_norm", "unbiased variance (divides by d - 1), as torch.var does by default",
           "var = ((x - mean) ** 2).mean(dim=-1, keepdim=True)", "var = x.var(dim=-1, keepdim=True)",
           only="test_layer_norm"),
    Mutant("layer_norm", "forgets the learned gain and bias (a fresh LayerNorm hides it)",
           "return self.weight * x_hat + self.bias", "return x_hat", only="test_layer_norm"),
    Mutant("layer_norm", "hands the work to torch.nn.functional.layer_norm",
           "return self.weight * x_hat + self.bias",
           "return F.layer_norm(x, x.shape[-1:], self.weight, self.bias, self.eps)",
           only="test_layer_norm"),
    # --- 3.2 feed-forward
    Mutant("feed_forward", "ReLU instead of GELU", FFN,
           "hidden = F.relu(self.up(x))\n        return self.drop(self.down(hidden))",
           only="test_feed_forward"),
    Mutant("feed_forward", "GPT-2's tanh approximation instead of the exact GELU", FFN,
           "hidden = F.gelu(self.up(x), approximate='tanh')\n        return self.drop(self.down(hidden))",
           only="test_feed_forward"),
    Mutant("feed_forward", "forgets the dropout (visible checks run in eval mode only)", FFN,
           "hidden = F.gelu(self.up(x))\n        return self.down(hidden)",
           only="test_feed_forward"),
    Mutant("feed_forward", "dropout on the hidden activations instead of the output", FFN,
           "hidden = self.drop(F.gelu(self.up(x)))\n        return self.down(hidden)",
           only="test_feed_forward"),
    # --- 3.3 encoder block
    Mutant("encoder_block", "ignores the padding mask (the visible checks use none)",
           ENC_ATTN, "a, weights = self.attn(x, x, x)"),
    Mutant("encoder_block", "pre-norm instead of post-norm", ENC_BODY + "\n        return x, weights",
           "h = self.norm1(x)\n        a, weights = self.attn(h, h, h, mask)\n"
           "        x = x + self.drop(a)\n        x = x + self.ffn(self.norm2(x))\n        return x, weights",
           visible=True),
    Mutant("encoder_block", "no residual connection around the feed-forward network",
           "x = self.norm2(x + self.ffn(x))", "x = self.norm2(self.ffn(x))", visible=True),
    Mutant("encoder_block", "normalises the sub-layer output before adding it (x + LN(f(x)))",
           ENC_BODY, "x = x + self.norm1(self.drop(a))\n        x = x + self.norm2(self.ffn(x))",
           visible=True),
    Mutant("encoder_block", "no dropout on the attention output (invisible in eval mode)",
           "x = self.norm1(x + self.drop(a))", "x = self.norm1(x + a)"),
    Mutant("encoder_block", "dropout on the residual sum instead of the attention output",
           "x = self.norm1(x + self.drop(a))", "x = self.norm1(self.drop(x + a))"),
    # --- 3.4 decoder block
    Mutant("decoder_block", "no causal mask: every position sees the future", CAUSAL,
           "allowed = torch.ones(T, T, dtype=torch.bool, device=x.device)"),
    Mutant("decoder_block", "the mask's upper triangle: each position sees itself and the future",
           CAUSAL, CAUSAL.replace(".tril()", ".triu()")),
    Mutant("decoder_block", "residual added after the norm in a pre-norm block: LN(x) + f(LN(x))",
           DEC_ATTN, "x = h + self.drop(a)", visible=True),
    Mutant("decoder_block", "post-norm instead of pre-norm (causal mask kept)", DEC_BODY,
           "a, weights = self.attn(x, x, x, allowed)\n        x = self.norm1(x + self.drop(a))\n"
           "        x = self.norm2(x + self.ffn(x))", visible=True),
    Mutant("decoder_block", "drops the padding mask, keeps only the causal one", COMBINE, "pass"),
    Mutant("decoder_block", "no dropout on the attention output (invisible in eval mode)",
           DEC_ATTN, "x = x + a"),
    Mutant("decoder_block", "dropout on the residual stream (x + a) instead of the attention output",
           DEC_ATTN, "x = self.drop(x + a)"),
    # --- 3.5 parameter count
    Mutant("count_parameters", "counts only the weight matrices, not the biases",
           "attention = 4 * D * D + 4 * D\n    feed_forward = D * F_ + F_ + F_ * D + D",
           "attention = 4 * D * D\n    feed_forward = D * F_ + F_ * D"),
    Mutant("count_parameters", "forgets the LayerNorms' gains and biases", BLOCK,
           "block = attention + feed_forward"),
    Mutant("count_parameters", "forgets the segment embeddings",
           "embeddings = V * D + cfg.max_len * D + cfg.n_segments * D",
           "embeddings = V * D + cfg.max_len * D"),
    Mutant("count_parameters", "counts a separate (untied) output matrix for GPT: visible test is an encoder",
           "return embeddings + L * block + extra_norm",
           "return embeddings + L * block + extra_norm + (V * D if cfg.causal else 0)"),
    Mutant("count_parameters", "builds the model and sums its parameters instead of using the formula",
           "return embeddings + L * block + extra_norm",
           "import llmcourse.models as m\n    model = (m.GPT if cfg.causal else m.Encoder)(cfg)\n"
           "    return sum(p.numel() for p in model.parameters())"),
    # checks that teach (issue 32): float64 computed in float32 is caught by value
    Mutant("layer_norm", "statistics in float32 whatever the input (float64 comes back float64 by promotion)",
           "mean = x.mean(dim=-1, keepdim=True)",
           "x = x.float()  # float32 arithmetic\n        mean = x.mean(dim=-1, keepdim=True)",
           only="test_layer_norm"),
    Mutant("feed_forward", "the GELU computed in float32 and cast back to the input's dtype",
           "hidden = F.gelu(self.up(x))", "hidden = F.gelu(self.up(x).float()).to(x.dtype)",
           only="test_feed_forward"),
]

LN_INIT = ("self.eps = eps\n"
           "        self.weight = nn.Parameter(torch.ones(d_model))\n"
           "        self.bias = nn.Parameter(torch.zeros(d_model))\n")
LN_FORWARD = (MEAN_VAR + "\n        " + NORMALISE + "\n        return self.weight * x_hat + self.bias")
FFN_INIT = ("self.up = nn.Linear(d_model, d_ff)\n"
            "        self.down = nn.Linear(d_ff, d_model)\n"
            "        self.drop = nn.Dropout(dropout)\n")
BLOCK_INIT = ("self.attn = MultiHeadAttention(d_model, n_heads, dropout)\n"
              "        self.norm1 = LayerNorm(d_model, eps)\n"
              "        self.ffn = FeedForward(d_model, d_ff, dropout)\n"
              "        self.norm2 = LayerNorm(d_model, eps)\n"
              "        self.drop = nn.Dropout(dropout)\n")
BLOCK_INIT_REVERSED = ("self.drop = nn.Dropout(dropout)\n"
                       "        self.norm2 = LayerNorm(d_model, eps)\n"
                       "        self.ffn = FeedForward(d_model, d_ff, dropout)\n"
                       "        self.norm1 = LayerNorm(d_model, eps)\n"
                       "        self.attn = MultiHeadAttention(d_model, n_heads, dropout)\n")


EQUIVALENTS = [
    # --- 3.1 LayerNorm
    Mutant("layer_norm", "bias created before weight, eps last; torch.var with unbiased=False instead of a "
           "mean of squares",
           (LN_INIT + "\n    def forward(self, x: torch.Tensor) -> torch.Tensor:\n        ### BEGIN SOLUTION\n"
            "        # Statistics of each token's own features (the last dim); the biased variance, as torch.\n"
            "        " + LN_FORWARD),
           "self.bias = nn.Parameter(torch.zeros(d_model))\n"
           "        self.weight = nn.Parameter(torch.ones(d_model))\n"
           "        self.eps = eps\n"
           "\n    def forward(self, x: torch.Tensor) -> torch.Tensor:\n        ### BEGIN SOLUTION\n"
           "        mu = x.mean(-1, keepdim=True)\n"
           "        sigma2 = x.var(-1, keepdim=True, unbiased=False)\n"
           "        return (x - mu) / (sigma2 + self.eps).sqrt() * self.weight + self.bias"),
    Mutant("layer_norm", "torch.var_mean(correction=0), multiplication by rsqrt, addcmul for gain and bias",
           LN_FORWARD,
           "var, mean = torch.var_mean(x, dim=-1, keepdim=True, correction=0)\n"
           "        return torch.addcmul(self.bias, self.weight, (x - mean) * torch.rsqrt(var + self.eps))"),
    # --- 3.2 feed-forward
    Mutant("feed_forward", "layers created in the opposite order; F.linear, GELU written with erf, F.dropout",
           (FFN_INIT + "\n    def forward(self, x: torch.Tensor) -> torch.Tensor:\n        ### BEGIN SOLUTION\n"
            "        " + FFN),
           "self.drop = nn.Dropout(dropout)\n"
           "        self.down = nn.Linear(d_ff, d_model)\n"
           "        self.up = nn.Linear(d_model, d_ff)\n"
           "\n    def forward(self, x: torch.Tensor) -> torch.Tensor:\n        ### BEGIN SOLUTION\n"
           "        h = F.linear(x, self.up.weight, self.up.bias)\n"
           "        h = 0.5 * h * (1.0 + torch.erf(h / 2 ** 0.5))\n"
           "        return F.dropout(F.linear(h, self.down.weight, self.down.bias), self.drop.p, self.training)"),
    # --- 3.3 encoder block
    Mutant("encoder_block", "sub-modules created in the opposite order; keyword arguments, the residual sums "
           "written the other way round, new names",
           (BLOCK_INIT + "\n    def forward(self, x: torch.Tensor, mask=None):\n        ### BEGIN SOLUTION\n"
            "        " + ENC_ATTN + "\n        " + ENC_BODY + "\n        return x, weights"),
           BLOCK_INIT_REVERSED +
           "\n    def forward(self, x: torch.Tensor, mask=None):\n        ### BEGIN SOLUTION\n"
           "        attended, weights = self.attn(query=x, key=x, value=x, mask=mask)\n"
           "        h = self.norm1(self.drop(attended) + x)\n"
           "        out = self.norm2(self.ffn(h) + h)\n"
           "        return out, weights"),
    # --- 3.4 decoder block
    Mutant("decoder_block", "sub-modules created in the opposite order; the causal mask from arange comparisons, "
           "combined with logical_and, mask given by keyword",
           (BLOCK_INIT + "\n    def forward(self, x: torch.Tensor, mask=None):\n        ### BEGIN SOLUTION\n"
            "        T = x.shape[1]\n        " + CAUSAL + "  # j <= i\n"
            "        if mask is not None:\n            " + COMBINE + "\n        " + DEC_BODY
            + "\n        return x, weights"),
           BLOCK_INIT_REVERSED +
           "\n    def forward(self, x: torch.Tensor, mask=None):\n        ### BEGIN SOLUTION\n"
           "        pos = torch.arange(x.size(1), device=x.device)\n"
           "        allowed = pos[:, None] >= pos[None, :]\n"
           "        if mask is not None:\n"
           "            allowed = torch.logical_and(mask, allowed)\n"
           "        n = self.norm1(x)\n"
           "        a, weights = self.attn(n, n, n, mask=allowed)\n"
           "        h = self.drop(a) + x\n"
           "        return h + self.ffn(self.norm2(h)), weights"),
    # --- 3.5 parameter count
    Mutant("count_parameters", "the lesson's closed formula VD + T_max D + SD + L(4D^2 + 2DF + F + 9D) + 2D",
           "return embeddings + L * block + extra_norm",
           "return (V + cfg.max_len + cfg.n_segments + 2) * D + L * (4 * D * D + 2 * D * F_ + F_ + 9 * D)"),
]
