"""Lesson 05's sentiment classifier, saved so that later lessons can use it: lesson 06 scores the
reviews its GPT writes, lesson 07 distils it into a tiny model.

What is saved is the encoder (with `save_model`), its tokenizer, and the head's one linear layer
with how it pools; dropout needs no saving (it is off when scoring).
"""

import json
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from .models import load_model, save_model


class PooledClassifier(nn.Module):
    """An encoder, one vector per text (the [CLS] output or the mean over the real tokens), then
    one linear layer: (input_ids [B, T], attention_mask [B, T]) -> logits [B, n_classes]."""

    def __init__(self, encoder: nn.Module, n_classes: int = 2, pooling: str = "mean"):
        super().__init__()
        if pooling not in ("cls", "mean"):
            raise ValueError(f"pooling must be 'cls' or 'mean', got {pooling!r}")
        self.encoder, self.pooling = encoder, pooling
        self.linear = nn.Linear(encoder.cfg.d_model, n_classes)

    def forward(self, input_ids, attention_mask):
        hidden = self.encoder(input_ids, attention_mask).last_hidden_state
        if self.pooling == "cls":
            return self.linear(hidden[:, 0])
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return self.linear((hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1))


def linear_probe(features: torch.Tensor, labels: torch.Tensor, weight_decay: float) -> nn.Linear:
    """Two-class logistic regression on standardised features (L-BFGS, an L2 penalty on the
    weights), folded back into one nn.Linear that reads the raw features: lesson 05's probe on
    frozen MiniLM features, and the head of the classifier it saves."""
    mean, std = features.mean(dim=0), features.std(dim=0).clamp(min=1e-6)
    z = (features - mean) / std
    linear = nn.Linear(features.shape[1], 2)
    nn.init.zeros_(linear.weight)
    nn.init.zeros_(linear.bias)
    optimizer = torch.optim.LBFGS(linear.parameters(), max_iter=100, line_search_fn="strong_wolfe")

    def loss_and_gradient():
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(linear(z), labels) + weight_decay * linear.weight.pow(2).sum()
        loss.backward()
        return loss

    optimizer.step(loss_and_gradient)
    with torch.no_grad():  # W (x - m) / s + b = (W / s) x + (b - W (m / s))
        linear.bias -= linear.weight @ (mean / std)
        linear.weight /= std
    return linear


def save_sentiment_classifier(folder, encoder: nn.Module, linear: nn.Linear, pooling: str, tokenizer,
                              max_len: int) -> Path:
    """Write the encoder, its tokenizer, the head's linear layer and head.json to `folder`."""
    from safetensors.torch import save_file

    if pooling not in ("cls", "mean"):
        raise ValueError(f"pooling must be 'cls' or 'mean', got {pooling!r}")
    folder = save_model(encoder, folder, tokenizer)
    save_file({"weight": linear.weight.detach().float().cpu().contiguous(),
               "bias": linear.bias.detach().float().cpu().contiguous()}, str(folder / "head.safetensors"))
    (folder / "head.json").write_text(json.dumps({"pooling": pooling, "max_len": max_len,
                                                  "labels": ["negative", "positive"]}))
    return folder


def load_sentiment_classifier(folder, device="cpu"):
    """(PooledClassifier in eval mode, its tokenizer, head.json's dict) as save_sentiment_classifier
    wrote them."""
    from safetensors.torch import load_file
    from transformers import AutoTokenizer

    folder = Path(folder)
    if not (folder / "head.json").is_file():
        raise FileNotFoundError(f"{folder} holds no saved sentiment classifier (head.json missing): "
                                "run lesson 05 (notebooks/05_finetuning) first")
    head = json.loads((folder / "head.json").read_text())
    weights = load_file(str(folder / "head.safetensors"))
    model = PooledClassifier(load_model(folder), weights["weight"].shape[0], head["pooling"])
    model.linear.load_state_dict(weights)
    return model.to(device).eval(), AutoTokenizer.from_pretrained(str(folder)), head


class SentimentScorer:
    """P(positive) of texts, with a classifier that save_sentiment_classifier wrote."""

    def __init__(self, folder, device="cpu"):
        self.model, self.tokenizer, self.head = load_sentiment_classifier(folder, device)
        self.device = device

    @torch.no_grad()
    def logits(self, texts: list[str], batch_size: int = 64) -> torch.Tensor:
        """float [N, 2] on the CPU: the classifier's scores (negative, positive) for each text."""
        scores = []
        for start in range(0, len(texts), batch_size):
            batch = self.tokenizer([t.replace("<br />", " ") for t in texts[start:start + batch_size]],
                                   truncation=True, max_length=self.head["max_len"], padding=True,
                                   return_tensors="pt").to(self.device)
            scores.append(self.model(batch["input_ids"], batch["attention_mask"]).float().cpu())
        return torch.cat(scores) if scores else torch.zeros(0, 2)

    def __call__(self, texts: list[str], batch_size: int = 64) -> torch.Tensor:
        """float [N]: the probability that each text is positive."""
        return self.logits(texts, batch_size).softmax(dim=-1)[:, 1]
