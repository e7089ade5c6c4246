"""Throwaway sweep behind lesson 04's fast sizes (issue 28): validation perplexity (GPT) and
masked-LM loss (BERT) against tokens seen and CPU seconds, one thread, for a few shapes and
learning rates (THREADS=n threads, default 1). Not part of the course; the lesson's prose lists what it printed.

    nice python docs/design/04_pretraining_sweep.py gpt|bert CONFIG_JSON... > sweep.log

Each CONFIG_JSON overrides BASE below. Data as lesson 04 builds it: WordPiece trained on 3,000
reviews, training stream = 20,000 unlabelled reviews (after the 200 held out), validation = the
200 held out. Prints one line per evaluation: tokens, seconds, validation loss / ppl.
"""

import json
import math
import re
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from llmcourse.data import load_imdb
from llmcourse.models import GPT, MaskedLM, TransformerConfig

torch.set_num_threads(int(__import__("os").environ.get("THREADS", "1")))  # THREADS=2: both cores
BASE = dict(vocab=2048, d=128, layers=2, heads=2, ff=4, ctx=64, batch=48, lr=4e-3, warmup=50,
            tokens=1_500_000, eval_every=300_000, train_reviews=20000, wd=0.1, beta2=0.95, pre_norm=False, rate=0.15, pos="learned")


def data(vocab, n_train):
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers
    imdb = load_imdb(verbose=False)
    rows = imdb["unsupervised"].shuffle(seed=0)
    texts = [re.sub(r"<br\s*/?>", " ", t) for t in rows.select(range(200 + n_train))["text"]]
    val, train = texts[:200], texts[200:]
    wp = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    wp.normalizer = normalizers.BertNormalizer(lowercase=True)
    wp.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    wp.train_from_iterator(train[:3000], trainers.WordPieceTrainer(
        vocab_size=vocab, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], min_frequency=2))

    def stream(ts):
        return torch.from_numpy(np.concatenate([np.array(e.ids + [3], dtype=np.int64)
                                                for e in wp.encode_batch(ts, add_special_tokens=False)]))
    return stream(train), stream(val), wp


def bigram_ppl(tr, te, V, k):
    counts = torch.bincount(tr[:-1] * V + tr[1:], minlength=V * V).view(V, V).double()
    p = (counts[te[:-1], te[1:]] + k) / (counts.sum(1)[te[:-1]] + k * V)
    return math.exp(-p.log().mean().item())


def unigram_entropy(tr, targets, V):
    p = (torch.bincount(tr, minlength=V).double() + 0.5) / (len(tr) + 0.5 * V)
    return -p[targets].log().mean().item()


def mask(ids, V, g, rate=0.15):
    sel = (torch.rand(ids.shape, generator=g) < rate) & (ids > 4)
    labels = ids.masked_fill(~sel, -100)
    roll = torch.rand(ids.shape, generator=g)
    out = ids.clone()
    out[sel & (roll < 0.8)] = 4
    rnd = sel & (roll >= 0.8) & (roll < 0.9)
    out[rnd] = torch.randint(V, ids.shape, generator=g)[rnd]
    return out, labels


def run(kind, c, tr, va, V):
    shape = dict(d_model=c["d"], n_heads=c["heads"], n_layers=c["layers"], d_ff=c["ff"] * c["d"],
                 max_len=c["ctx"], dropout=0.0)
    extra = dict(pre_norm=True) if c["pre_norm"] else {}
    torch.manual_seed(0)
    model = GPT(TransformerConfig.gpt_like(V, **shape)) if kind == "gpt" else MaskedLM(TransformerConfig.bert_like(V, **shape, **extra))
    if c["pos"] == "sin":  # position table started from sinusoids at the token embeddings' scale
        emb = model.embeddings if kind == "gpt" else model.encoder.embeddings
        P, D = emb.position.weight.shape
        angle = torch.arange(P)[:, None] / 10000 ** (torch.arange(0, D, 2) / D)
        table = torch.stack([angle.sin(), angle.cos()], -1).flatten(1)
        emb.position.weight.data.copy_(table * 0.02 * 2 ** 0.5)
    opt = torch.optim.AdamW(model.parameters(), lr=c["lr"], betas=(0.9, c["beta2"]), weight_decay=c["wd"])
    L = c["ctx"] if kind == "gpt" else c["ctx"] - 2
    vblocks = va[: len(va) // L * L].view(-1, L)[:512]
    g, vg = torch.Generator().manual_seed(0), torch.Generator().manual_seed(123)
    frame = lambda r: torch.cat([torch.full((len(r), 1), 2), r, torch.full((len(r), 1), 3)], 1)
    vmasked = [mask(frame(b), V, vg) for b in vblocks.split(64)]

    def loss_of(x, y):
        if kind == "gpt":
            z = model(x).logits
            return F.cross_entropy(z[:, :-1].reshape(-1, V), y[:, 1:].reshape(-1))
        sel = y != -100
        return F.cross_entropy(model(x, predict_at=sel).logits, y[sel])

    @torch.no_grad()
    def val():
        model.eval()
        if kind == "gpt":
            out = sum(loss_of(b, b).item() * len(b) for b in vblocks.split(64)) / len(vblocks)
        else:
            out = sum(loss_of(x, y).item() * (y != -100).sum().item() for x, y in vmasked) / sum((y != -100).sum().item() for _, y in vmasked)
        model.train()
        return out

    per_step = c["batch"] * c["ctx"]
    steps = c["tokens"] // per_step
    t0, spent, step = time.perf_counter(), 0.0, 0
    next_eval = c["eval_every"]
    while step < steps:
        lr = c["lr"] * ((step + 1) / c["warmup"] if step < c["warmup"] else
                        0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * (step - c["warmup"]) / max(1, steps - c["warmup"]))))
        for grp in opt.param_groups:
            grp["lr"] = lr
        starts = torch.randint(len(tr) - L, (c["batch"],), generator=g)
        rows = tr[starts[:, None] + torch.arange(L)]
        x, y = (rows, rows) if kind == "gpt" else mask(frame(rows), V, g, c["rate"])
        loss = loss_of(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        if step * per_step >= next_eval or step == steps:
            spent += time.perf_counter() - t0
            v = val()
            print(json.dumps(dict(kind=kind, cfg=c, step=step, tokens=step * per_step, train_s=round(spent, 1),
                                  tok_per_s=round(step * per_step / spent), val_loss=round(v, 4),
                                  val_ppl=round(math.exp(v), 1))), flush=True)
            next_eval += c["eval_every"]
            t0 = time.perf_counter()


if __name__ == "__main__":
    kind, configs = sys.argv[1], [{**BASE, **json.loads(a)} for a in sys.argv[2:]]
    cache = {}
    for c in configs:
        if c["vocab"] not in cache:
            tr, va, wp = data(c["vocab"], c["train_reviews"])
            V = wp.get_vocab_size()
            cache[c["vocab"]] = (tr, va, V)
            base = dict(vocab=V, train_tokens=len(tr), val_tokens=len(va))
            if kind == "gpt":
                print(json.dumps({**base, "bigram_ppl": {k: round(bigram_ppl(tr, va, V, k), 1) for k in (0.01, 0.1, 1.0)}}), flush=True)
            else:
                print(json.dumps({**base, "unigram_entropy_nats": round(unigram_entropy(tr, va[va > 4], V), 3)}), flush=True)
        run(kind, c, *cache[c["vocab"]])
