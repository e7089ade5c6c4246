"""The Transformer models of lessons 03-05: a BERT-style encoder and a GPT-style decoder.

One readable file, no framework magic. Lesson 03 builds the same pieces by hand; this module is
the reference the later lessons train (a tiny BERT and a tiny GPT) and the home of the BERT weight
mapping that loads a real pretrained model into `Encoder`.

Attention here goes through torch.nn.functional.scaled_dot_product_attention, which runs a fused
kernel on a GPU and does not spell out the formula the lessons ask students to write.

Shapes: B batch, T tokens, D model width, H heads, V vocabulary.
Masks: `attention_mask` is [B, T] with 1 (or True) for real tokens and 0 for padding, as in
Hugging Face. Inside attention a boolean mask means True = "may attend".
"""

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class TransformerConfig:
    vocab_size: int
    d_model: int = 256
    n_heads: int = 4
    n_layers: int = 4
    d_ff: int = 1024
    max_len: int = 128
    n_segments: int = 2  # token-type (sentence A/B) embeddings; 0 for none
    dropout: float = 0.1
    pre_norm: bool = False  # False: post-norm (original Transformer, BERT); True: pre-norm (GPT-2)
    causal: bool = False  # decoder: each token attends to itself and the past only
    ln_eps: float = 1e-12
    gelu: str = "none"  # "none": exact erf GELU (BERT); "tanh": the approximation (GPT-2)
    pad_id: int = 0

    def __post_init__(self):
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model={self.d_model} must be divisible by n_heads={self.n_heads}")

    @classmethod
    def bert_like(cls, vocab_size: int, **overrides) -> "TransformerConfig":
        return cls(vocab_size=vocab_size, **overrides)

    @classmethod
    def gpt_like(cls, vocab_size: int, **overrides) -> "TransformerConfig":
        defaults = dict(n_segments=0, pre_norm=True, causal=True, ln_eps=1e-5, gelu="tanh")
        return cls(vocab_size=vocab_size, **{**defaults, **overrides})


class SelfAttention(nn.Module):
    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        d = cfg.d_model
        self.n_heads, self.causal, self.dropout = cfg.n_heads, cfg.causal, cfg.dropout
        self.query, self.key, self.value = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
        self.out = nn.Linear(d, d)

    def forward(self, x, allowed=None, need_weights: bool = False):
        """x [B, T, D]; allowed: bool, broadcastable to [B, H, T, T], True = may attend.
        Returns (y [B, T, D], weights [B, H, T, T] or None)."""
        B, T, D = x.shape
        q, k, v = (proj(x).view(B, T, self.n_heads, D // self.n_heads).transpose(1, 2)
                   for proj in (self.query, self.key, self.value))
        p = self.dropout if self.training else 0.0
        is_causal = self.causal and allowed is None  # lets the fused kernel skip building a mask
        if self.causal and allowed is not None:
            allowed = allowed & torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
        weights = None
        if need_weights:
            # The fused kernel never materialises the weights; attending over the identity
            # matrix returns them (softmax(...) @ I), and then we apply them to v ourselves.
            eye = torch.eye(T, dtype=q.dtype, device=q.device).expand(B, self.n_heads, T, T)
            weights = F.scaled_dot_product_attention(q, k, eye, attn_mask=allowed, is_causal=is_causal)
            y = F.dropout(weights, p, self.training) @ v
        else:
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, dropout_p=p, is_causal=is_causal)
        return self.out(y.transpose(1, 2).reshape(B, T, D)), weights


class FeedForward(nn.Module):
    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.up, self.down = nn.Linear(cfg.d_model, cfg.d_ff), nn.Linear(cfg.d_ff, cfg.d_model)
        self.gelu = nn.GELU(approximate=cfg.gelu)

    def forward(self, x):
        return self.down(self.gelu(self.up(x)))


class Block(nn.Module):
    """Attention and feed-forward sub-layers, each wrapped in a residual connection.

    post-norm: x = LN(x + f(x))   -- BERT. pre-norm: x = x + f(LN(x))  -- GPT-2 (trains deeper
    stacks without warm-up tricks, since the residual path is never normalised away).
    """

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.pre_norm = cfg.pre_norm
        self.attn, self.ff = SelfAttention(cfg), FeedForward(cfg)
        self.norm1 = nn.LayerNorm(cfg.d_model, eps=cfg.ln_eps)
        self.norm2 = nn.LayerNorm(cfg.d_model, eps=cfg.ln_eps)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x, allowed=None, need_weights: bool = False):
        if self.pre_norm:
            a, weights = self.attn(self.norm1(x), allowed, need_weights)
            x = x + self.drop(a)
            x = x + self.drop(self.ff(self.norm2(x)))
        else:
            a, weights = self.attn(x, allowed, need_weights)
            x = self.norm1(x + self.drop(a))
            x = self.norm2(x + self.drop(self.ff(x)))
        return x, weights


class Embeddings(nn.Module):
    """H0 = token embedding + learned position embedding (+ segment embedding)."""

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.token = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.position = nn.Embedding(cfg.max_len, cfg.d_model)
        self.segment = nn.Embedding(cfg.n_segments, cfg.d_model) if cfg.n_segments else None
        # BERT normalises the embeddings; a pre-norm model normalises inside each block instead.
        self.norm = None if cfg.pre_norm else nn.LayerNorm(cfg.d_model, eps=cfg.ln_eps)
        self.drop = nn.Dropout(cfg.dropout)
        self.max_len = cfg.max_len

    def forward(self, input_ids, token_type_ids=None):
        T = input_ids.shape[1]
        if T > self.max_len:
            raise ValueError(f"sequence of {T} tokens is longer than the model's max_len={self.max_len}")
        h = self.token(input_ids) + self.position(torch.arange(T, device=input_ids.device))
        if self.segment is not None:
            h = h + self.segment(token_type_ids if token_type_ids is not None else torch.zeros_like(input_ids))
        if self.norm is not None:
            h = self.norm(h)
        return self.drop(h)


@dataclass
class Output:
    last_hidden_state: torch.Tensor  # [B, T, D]
    hidden_states: list = field(default_factory=list)  # H0 (embeddings) .. H_L, when asked
    attentions: list = field(default_factory=list)  # per layer [B, H, T, T], when asked
    logits: torch.Tensor | None = None  # [B, T, V] for language models


class Transformer(nn.Module):
    """Embeddings followed by a stack of blocks: the body shared by both model families."""

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.cfg = cfg
        self.embeddings = Embeddings(cfg)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.final_norm = nn.LayerNorm(cfg.d_model, eps=cfg.ln_eps) if cfg.pre_norm else None
        self.apply(init_weights)

    def forward(self, input_ids, attention_mask=None, token_type_ids=None,
                output_attentions: bool = False, output_hidden_states: bool = False) -> Output:
        allowed = None
        if attention_mask is not None:  # [B, T] -> [B, 1, 1, T]: no query may attend to padding
            allowed = attention_mask.bool()[:, None, None, :]
        h = self.embeddings(input_ids, token_type_ids)
        out = Output(h, [h] if output_hidden_states else [], [])
        for block in self.blocks:
            h, weights = block(h, allowed, need_weights=output_attentions)
            if output_attentions:
                out.attentions.append(weights)
            if output_hidden_states:
                out.hidden_states.append(h)
        out.last_hidden_state = self.final_norm(h) if self.final_norm is not None else h
        return out

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


class Encoder(Transformer):
    """BERT-like: bidirectional (every token sees every other), token + position + segment
    embeddings, post-norm by default."""

    def __init__(self, cfg: TransformerConfig):
        if cfg.causal:
            raise ValueError("an Encoder is bidirectional: use a config with causal=False")
        super().__init__(cfg)


class MaskedLM(nn.Module):
    """An Encoder with BERT's masked-language-model head, its output layer tied to the token
    embeddings (the same matrix maps ids to vectors and vectors back to scores over ids)."""

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.encoder = Encoder(cfg)
        self.transform = nn.Sequential(nn.Linear(cfg.d_model, cfg.d_model), nn.GELU(approximate=cfg.gelu),
                                       nn.LayerNorm(cfg.d_model, eps=cfg.ln_eps))
        self.bias = nn.Parameter(torch.zeros(cfg.vocab_size))
        self.transform.apply(init_weights)

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, predict_at=None, **kwargs) -> Output:
        """logits: [B, T, V]; or, with predict_at (bool [B, T]), [N, V] at its N True positions
        only. Pretraining scores ~15% of the positions: the rest of a [B, T, V] tensor (1 GB at
        batch 256, 128 tokens, 8,192 ids) would be computed and thrown away."""
        out = self.encoder(input_ids, attention_mask, token_type_ids, **kwargs)
        h = out.last_hidden_state if predict_at is None else out.last_hidden_state[predict_at]
        out.logits = self.transform(h) @ self.encoder.embeddings.token.weight.T + self.bias
        return out


class GPT(Transformer):
    """GPT-like: pre-norm, causal, token + position embeddings, output tied to the embeddings."""

    def __init__(self, cfg: TransformerConfig):
        if not (cfg.causal and cfg.pre_norm):
            raise ValueError("GPT needs a causal pre-norm config: use TransformerConfig.gpt_like(...)")
        super().__init__(cfg)

    def forward(self, input_ids, attention_mask=None, **kwargs) -> Output:
        out = super().forward(input_ids, attention_mask, **kwargs)
        out.logits = out.last_hidden_state @ self.embeddings.token.weight.T
        return out


def init_weights(module):
    # GPT-2/BERT initialisation: small normal weights, zero biases, identity LayerNorms.
    if isinstance(module, (nn.Linear, nn.Embedding)):
        nn.init.normal_(module.weight, std=0.02)
    if isinstance(module, nn.Linear) and module.bias is not None:
        nn.init.zeros_(module.bias)
    if isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)


# --- loading a real pretrained BERT -------------------------------------------------------

def bert_config(hf_config) -> TransformerConfig:
    """Our config for a Hugging Face BertConfig."""
    if getattr(hf_config, "hidden_act", "gelu") != "gelu":
        raise ValueError(f"expected a BERT with exact GELU, got hidden_act={hf_config.hidden_act!r}")
    return TransformerConfig(
        vocab_size=hf_config.vocab_size, d_model=hf_config.hidden_size,
        n_heads=hf_config.num_attention_heads, n_layers=hf_config.num_hidden_layers,
        d_ff=hf_config.intermediate_size, max_len=hf_config.max_position_embeddings,
        n_segments=hf_config.type_vocab_size, dropout=hf_config.hidden_dropout_prob,
        ln_eps=hf_config.layer_norm_eps, pad_id=hf_config.pad_token_id or 0)


def bert_weight_map(n_layers: int) -> dict[str, str]:
    """{Hugging Face BertModel parameter: our Encoder parameter}, written out in full."""
    names = {
        "embeddings.word_embeddings.weight": "embeddings.token.weight",
        "embeddings.position_embeddings.weight": "embeddings.position.weight",
        "embeddings.token_type_embeddings.weight": "embeddings.segment.weight",
        "embeddings.LayerNorm.weight": "embeddings.norm.weight",
        "embeddings.LayerNorm.bias": "embeddings.norm.bias",
    }
    per_layer = {
        "attention.self.query": "attn.query",
        "attention.self.key": "attn.key",
        "attention.self.value": "attn.value",
        "attention.output.dense": "attn.out",
        "attention.output.LayerNorm": "norm1",
        "intermediate.dense": "ff.up",
        "output.dense": "ff.down",
        "output.LayerNorm": "norm2",
    }
    for i in range(n_layers):
        for theirs, ours in per_layer.items():
            for kind in ("weight", "bias"):
                names[f"encoder.layer.{i}.{theirs}.{kind}"] = f"blocks.{i}.{ours}.{kind}"
    return names


class WeightMappingError(ValueError):
    """A pretrained tensor and ours disagree; the message names both."""


def load_bert_weights(model: nn.Module, state_dict: dict, mapping: dict[str, str] | None = None) -> None:
    """Copy a Hugging Face BERT state dict into `model` (an Encoder by default mapping).

    Every tensor of `model` must be filled exactly once with a tensor of the same shape; anything
    else raises WeightMappingError naming the tensor. Unused pretrained tensors (the pooler, a
    task head) are allowed.
    """
    state_dict = {k.removeprefix("bert."): v for k, v in state_dict.items()}
    ours = model.state_dict()
    mapping = mapping or bert_weight_map(sum(k.endswith("attn.query.weight") for k in ours))
    filled = set()
    with torch.no_grad():
        for theirs, mine in mapping.items():
            if theirs not in state_dict:
                raise WeightMappingError(f"the pretrained weights have no tensor {theirs!r} (mapped to {mine!r})")
            if mine not in ours:
                raise WeightMappingError(f"our model has no tensor {mine!r} (mapped from {theirs!r})")
            src, dst = state_dict[theirs], ours[mine]
            if src.shape != dst.shape:
                raise WeightMappingError(f"shape mismatch: pretrained {theirs!r} is {tuple(src.shape)} "
                                         f"but our {mine!r} is {tuple(dst.shape)}")
            dst.copy_(src)
            filled.add(mine)
    missing = [k for k in ours if k not in filled]
    if missing:
        raise WeightMappingError(f"{len(missing)} of our tensors got no pretrained weights, e.g. {missing[:3]}")


def pretrained_encoder(name=None, verbose: bool = True):
    """(Encoder with the weights of a pretrained BERT, its tokenizer), in eval mode.
    `name` resolves like llmcourse.pretrained.load_pretrained (offline: all-MiniLM-L6-v2)."""
    from .pretrained import load_pretrained

    hf_model, tokenizer = load_pretrained(name, verbose=verbose)
    model = Encoder(bert_config(hf_model.config))
    load_bert_weights(model, hf_model.state_dict())
    return model.eval(), tokenizer


# --- saving and loading the course's own models -------------------------------------------

KINDS = {"Encoder": Encoder, "MaskedLM": MaskedLM, "GPT": GPT}


def save_model(model: nn.Module, folder, tokenizer=None) -> Path:
    """Write config.json, model.safetensors (and the tokenizer, if given) to `folder`."""
    from safetensors.torch import save_model as save_tensors

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    cfg = model.encoder.cfg if isinstance(model, MaskedLM) else model.cfg
    (folder / "config.json").write_text(json.dumps({"kind": type(model).__name__, **asdict(cfg)}, indent=1))
    save_tensors(model, str(folder / "model.safetensors"))  # handles the tied embedding/output weights
    if tokenizer is not None:
        tokenizer.save_pretrained(str(folder))
    return folder


def load_model(folder, device="cpu") -> nn.Module:
    """A model written by save_model, in eval mode."""
    from safetensors.torch import load_model as load_tensors

    folder = Path(folder)
    if not (folder / "config.json").is_file():
        raise FileNotFoundError(f"{folder} holds no saved model (config.json missing)")
    config = json.loads((folder / "config.json").read_text())
    kind = config.pop("kind")
    if kind not in KINDS:
        raise ValueError(f"{folder}: unknown model kind {kind!r}; expected one of {sorted(KINDS)}")
    model = KINDS[kind](TransformerConfig(**config))
    load_tensors(model, str(folder / "model.safetensors"), device=str(device))
    return model.to(device).eval()
