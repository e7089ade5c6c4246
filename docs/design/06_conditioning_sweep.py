"""Throwaway sweep behind lesson 06's fast sizes for "sentiment on request" (issue 28): fine-tune
lesson 04's tiny GPT (artifacts/tiny_gpt) on `<label> review:` + a training review, with the loss
on the response only, and let lesson 05's classifier (artifacts/sentiment_classifier) judge what
it writes. Not part of the course; the lesson's prose lists what it printed.

    nice python docs/design/06_conditioning_sweep.py CONFIG_JSON... > sweep.log

Each CONFIG_JSON overrides BASE below; `evals` are the step counts at which one run is judged (the
learning rate is constant, so the model at step n is the model of an n-step run). Judged on
*validation* generation seeds (1000 + i), never the seed the lesson reports, with `samples`
reviews per sentiment, at each (temperature, top_k) of `sampling`. The lesson's own code
(prompt_masked_loss, gpt_forward, sample_next_token, generate) is executed from the solution
notebook, so the sweep measures exactly what the lesson runs.
"""

import json
import math
import sys
import time
from pathlib import Path

import torch

from llmcourse.data import load_imdb
from llmcourse.models import load_model
from llmcourse.paths import artifacts_dir
from llmcourse.sentiment import SentimentScorer

BASE = dict(lr=3e-3, batch=16, reviews=2000, part="head", evals=(1200,), samples=128, seeds=(1000,),
            sampling=((1.0, 40),), new_tokens=40, wd=0.01)

notebook = json.loads((Path(__file__).parents[2] / "solutions/06_gpt/06_gpt.ipynb").read_text())
for cell in notebook["cells"]:
    source = "".join(cell["source"])
    if cell["cell_type"] == "code" and any(f"def {name}(" in source for name in
                                           ("prompt_masked_loss", "gpt_forward", "sample_next_token", "generate")):
        exec(source, globals())

from transformers import AutoTokenizer  # noqa: E402

folder = artifacts_dir() / "tiny_gpt"
tokenizer = AutoTokenizer.from_pretrained(str(folder))
scorer = SentimentScorer(artifacts_dir() / "sentiment_classifier")
imdb = load_imdb(verbose=False)
PROMPTS = {1: "positive review:", 0: "negative review:"}


def prompt_ids(label):
    return [tokenizer.sep_token_id] + tokenizer(PROMPTS[label], add_special_tokens=False)["input_ids"]


def judge(model, samples, seed, temperature, top_k, new_tokens):
    g = torch.Generator().manual_seed(seed)
    hits = {}
    for label in PROMPTS:
        new = generate(model, [prompt_ids(label)] * samples, new_tokens, temperature=temperature, top_k=top_k,
                       eos_id=tokenizer.sep_token_id, pad_id=tokenizer.pad_token_id, generator=g)
        p = scorer([tokenizer.decode(ids, skip_special_tokens=True) for ids in new])
        hits[label] = int(((p > 0.5) if label == 1 else (p <= 0.5)).sum())
    return hits


def report(model, cfg, step, losses, train_s):
    model.eval()
    for temperature, top_k in cfg["sampling"]:
        n = hits = 0
        for seed in cfg["seeds"]:
            h = judge(model, cfg["samples"], seed, temperature, top_k, cfg["new_tokens"])
            hits, n = hits + sum(h.values()), n + 2 * cfg["samples"]
        rate = hits / n
        half = 1.96 * math.sqrt(rate * (1 - rate) / n)
        print(json.dumps({k: v for k, v in cfg.items() if k not in ("evals", "sampling", "seeds")})
              + f" step={step} T={temperature} top_k={top_k}: as asked {rate:.1%} ± {half:.1%} (n={n}); "
              f"loss(last 100) {sum(losses[-100:]) / len(losses[-100:]):.2f}; train {train_s:.0f} s", flush=True)


def run(cfg):
    model = load_model(folder)
    reviews = imdb["train"].shuffle(seed=1).select(range(cfg["reviews"]))
    examples = []
    for text, label in zip(reviews["text"], reviews["label"]):
        prompt = prompt_ids(label)
        room = model.cfg.max_len - len(prompt) - 1
        ids = tokenizer(text.replace("<br />", " "), add_special_tokens=False)["input_ids"]
        response = ids[:room] if cfg["part"] == "head" else ids[-room:]
        examples.append((prompt + response + [tokenizer.sep_token_id], len(prompt)))
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=cfg["wd"])
    g = torch.Generator().manual_seed(0)
    start, losses = time.perf_counter(), []
    if 0 in cfg["evals"]:
        report(model, cfg, 0, [float("nan")], 0.0)
    for step in range(1, max(cfg["evals"]) + 1):
        model.train()
        batch = [examples[i] for i in torch.randint(len(examples), (cfg["batch"],), generator=g).tolist()]
        longest = max(len(ids) for ids, _ in batch)
        ids = torch.tensor([ids + [tokenizer.pad_token_id] * (longest - len(ids)) for ids, _ in batch])
        mask = torch.tensor([[1] * len(ids) + [0] * (longest - len(ids)) for ids, _ in batch])
        loss = prompt_masked_loss(model(ids, mask).logits, ids, [n for _, n in batch], mask)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
        if step in cfg["evals"]:
            report(model, cfg, step, losses, time.perf_counter() - start)



if __name__ == "__main__":
    for arg in sys.argv[1:] or ["{}"]:
        cfg = dict(BASE, **json.loads(arg))
        cfg["evals"] = tuple(cfg["evals"])
        run(cfg)
