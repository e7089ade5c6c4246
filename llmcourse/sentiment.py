"""Lesson 05's sentiment classifier, saved so that lesson 06 can score the reviews its GPT writes.

What is saved is the encoder (with `save_model`), its tokenizer, and the head's one linear layer
with how it pools; dropout needs no saving (it is off when scoring).
"""

import json
from pathlib import Path

import torch
import torch.nn as nn

from .models import load_model, save_model


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


class SentimentScorer:
    """P(positive) of texts, with a classifier that save_sentiment_classifier wrote."""

    def __init__(self, folder, device="cpu"):
        from safetensors.torch import load_file
        from transformers import AutoTokenizer

        folder = Path(folder)
        if not (folder / "head.json").is_file():
            raise FileNotFoundError(f"{folder} holds no saved sentiment classifier (head.json missing): "
                                    "run lesson 05 (notebooks/05_finetuning) first")
        self.head = json.loads((folder / "head.json").read_text())
        self.encoder = load_model(folder, device)
        weights = load_file(str(folder / "head.safetensors"), device=str(device))
        self.linear = nn.Linear(*weights["weight"].shape[::-1]).to(device)
        self.linear.load_state_dict(weights)
        self.tokenizer = AutoTokenizer.from_pretrained(str(folder))
        self.device = device

    @torch.no_grad()
    def __call__(self, texts: list[str], batch_size: int = 64) -> torch.Tensor:
        """float [N]: the probability that each text is positive."""
        scores = []
        for start in range(0, len(texts), batch_size):
            batch = self.tokenizer([t.replace("<br />", " ") for t in texts[start:start + batch_size]],
                                   truncation=True, max_length=self.head["max_len"], padding=True,
                                   return_tensors="pt").to(self.device)
            hidden = self.encoder(batch["input_ids"], batch["attention_mask"]).last_hidden_state.float()
            if self.head["pooling"] == "cls":
                pooled = hidden[:, 0]
            else:
                mask = batch["attention_mask"].unsqueeze(-1).float()
                pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1)
            scores.append(self.linear(pooled).softmax(dim=-1)[:, 1].cpu())
        return torch.cat(scores) if scores else torch.zeros(0)
