"""Wrong answers to lesson 03's exercises that its tests must catch."""

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
]
