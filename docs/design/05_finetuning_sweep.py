"""Sweep behind lesson 05's fast-mode fine-tuning settings (issue 28): why fine-tuning lesson 04's
pretrained tiny BERT lost to random init, and which settings let each start do its best. Not part
of the course; the lesson's prose cites what it printed (docs/benchmarks.md keeps the log).

    LLMCOURSE_MODE=fast python docs/design/05_finetuning_sweep.py check
    LLMCOURSE_MODE=fast python docs/design/05_finetuning_sweep.py sweep '{"lr": [1e-4, 3e-4]}' ...

It runs the solution notebook's own code cells (data, tokenizer, collate, head, training loop,
fine_tune) up to its experiment loop, so the runs are the lesson's runs, then:
- `check`: lesson 04's saved MaskedLM against lesson 04's validation masked-LM loss (same 200
  held-out reviews, same masking seed), and its tokenizer against the checkpoint;
- `sweep`: fine_tune for every combination of the given settings, scored on VALIDATION only
  (best check's accuracy), one line per run. Settings: start (random|pretrained), n (labels),
  seed, lr, head_lr, warmup, min_steps, dropout, freeze (embeddings), pooling.
"""

import copy
import dataclasses
import itertools
import json
import math
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

plt.show = lambda *a, **k: plt.close("all")
NOTEBOOK = Path(__file__).resolve().parents[2] / "solutions" / "05_finetuning" / "05_finetuning.ipynb"


def lesson_namespace() -> dict:
    """The notebook's globals after its code cells up to the experiment loop (test cells skipped)."""
    from IPython.core.inputtransformer2 import TransformerManager

    ns = {"__name__": "__lesson__", "display": print}
    for cell in json.loads(NOTEBOOK.read_text())["cells"]:
        source = "".join(cell["source"])
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        if cell["cell_type"] != "code" or grade_id.startswith("test_"):
            continue
        if source.startswith("curves = {"):
            break
        if "google.colab" in source:  # the setup cell: its %pip line is for Colab only
            source = source.replace("%pip", "pass  #")
        exec(compile(TransformerManager().transform_cell(source), "<lesson cell>", "exec"), ns)
    return ns


def check(ns):
    import torch
    import torch.nn.functional as F
    from llmcourse.models import MaskedLM, load_model

    from llmcourse.data import load_imdb
    import re

    folder = ns["tiny_folder"]
    mlm, tok = load_model(folder), ns["tiny_tokenizer"]
    print("loaded", type(mlm).__name__, "config", mlm.encoder.cfg)
    print("tokenizer", type(tok).__name__, "vocab", len(tok), "special ids",
          {t: tok.convert_tokens_to_ids(t) for t in ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]})
    assert len(tok) == mlm.encoder.cfg.vocab_size
    # Lesson 04's validation: the first 200 of the shuffled unlabelled reviews, each followed by
    # [SEP], cut into blocks of 62, framed [CLS] .. [SEP], masked once with seed 123.
    imdb = load_imdb(verbose=False)
    rows = imdb["unsupervised"].shuffle(seed=0).select(range(200))
    texts = [re.sub(r"<br\s*/?>", " ", t) for t in rows["text"]]
    SEP, CLS, MASK = (tok.convert_tokens_to_ids(t) for t in ("[SEP]", "[CLS]", "[MASK]"))
    stream = torch.tensor([i for t in texts for i in tok(t, add_special_tokens=False).input_ids + [SEP]])
    n = len(stream) // 62
    blocks = stream[: n * 62].view(n, 62)
    framed = torch.cat([torch.full((n, 1), CLS), blocks, torch.full((n, 1), SEP)], dim=1)
    sys.path.insert(0, str(NOTEBOOK.parents[1]))
    # mask_tokens as lesson 04 specifies it (select 15%, then 80/10/10, one generator)
    g = torch.Generator().manual_seed(123)
    losses = []
    for rows_ in framed.split(48):
        special = torch.tensor([0, 1, CLS, SEP, MASK])
        eligible = ~torch.isin(rows_, special)
        selected = (torch.rand(rows_.shape, generator=g) < 0.15) & eligible
        labels = rows_.masked_fill(~selected, -100)
        roll = torch.rand(rows_.shape, generator=g)
        random_ids = torch.randint(len(tok), rows_.shape, generator=g)
        inputs = rows_.clone()
        inputs[selected & (roll < 0.8)] = MASK
        swap = selected & (roll >= 0.8) & (roll < 0.9)
        inputs[swap] = random_ids[swap]
        with torch.no_grad():
            logits = mlm(inputs, predict_at=labels != -100).logits
        losses.append(F.cross_entropy(logits, labels[labels != -100]).item())
    print(f"masked-LM validation loss of the loaded model: {sum(losses) / len(losses):.3f} "
          f"over {len(losses)} batches (lesson 04 recorded bert_val_loss_all 5.840)")
    # The encoder lesson 05 fine-tunes is the MaskedLM's, weights and all.
    enc = ns["tiny_pretrained"]
    same = all(torch.equal(v, mlm.encoder.state_dict()[k]) for k, v in enc.state_dict().items())
    print("lesson 05's tiny_pretrained = the MaskedLM's encoder:", same,
          "| position/segment/LayerNorm present:", sorted({k.split('.')[1] for k in enc.state_dict()
                                                            if k.startswith('embeddings')}))
    ids = ns["make_examples"](ns["val_data"], tok, 64)[:3]
    print("a fine-tuning input:", tok.decode(ids[0]["input_ids"])[:200], "...", len(ids[0]["input_ids"]), "tokens")


def sweep(ns, grid: dict):
    import torch
    from llmcourse.models import Encoder

    S = ns["S"]
    base = dict(start=["pretrained"], n=[100], seed=[0], lr=[1e-3], head_lr=[S.head_lr], warmup=[S.warmup],
                min_steps=[S.tiny_min_steps], epochs=[S.tiny_epochs], dropout=[0.0], freeze=[False],
                pooling=[S.pooling], batch=[S.tiny_batch_size], max_len=[S.max_len])
    base.update({k: v if isinstance(v, list) else [v] for k, v in grid.items()})
    keys = list(base)
    for values in itertools.product(*(base[k] for k in keys)):
        c = dict(zip(keys, values))
        S.head_lr, S.warmup, S.tiny_min_steps, S.pooling, S.tiny_epochs, S.max_len = (
            c["head_lr"], c["warmup"], c["min_steps"], c["pooling"], c["epochs"], c["max_len"])
        cfg = dataclasses.replace(ns["tiny_config"], dropout=c["dropout"])

        def make_encoder():
            encoder = Encoder(cfg)
            if c["start"] == "pretrained":
                encoder.load_state_dict(ns["tiny_pretrained"].state_dict())
            if c["freeze"]:
                for p in encoder.embeddings.parameters():
                    p.requires_grad_(False)
            return encoder

        t0 = time.perf_counter()
        run = ns["fine_tune"](make_encoder, ns["tiny_tokenizer"], lr=c["lr"], seed=c["seed"],
                              rows=ns["labelled_rows"](c["n"], c["seed"]), batch_size=c["batch"])
        print(json.dumps({**c, "val": round(run["best_val"], 4), "best_epoch": run["best_epoch"],
                          "curve": [round(v, 3) for v in run["val_accuracy"]],
                          "loss": [round(v, 3) for v in run["train_loss"]],
                          "s": round(time.perf_counter() - t0, 1)}), flush=True)


def chunk_features(ns, split, rows, chunk: int, normalise: bool, whole: bool = True, encoder=None, tokenizer=None):
    """float32 [N, d]: MiniLM's mean-pooled output over each chunk of `chunk` - 2 tokens of the
    whole review ([CLS] chunk [SEP]), averaged over the review's chunks (weighted by their
    lengths), optionally L2-normalised as sentence-transformers does."""
    import torch
    encoder = ns["real_encoder"] if encoder is None else encoder.eval()
    tokenizer = ns["real_tokenizer"] if tokenizer is None else tokenizer
    texts = split["text"]
    pieces = tokenizer([ns["clean_review"](texts[i]) for i in rows], add_special_tokens=False)["input_ids"]
    cls, sep, body = tokenizer.cls_token_id, tokenizer.sep_token_id, chunk - 2
    if whole:
        items = [(r, [cls] + ids[s:s + body] + [sep]) for r, ids in enumerate(pieces)
                 for s in range(0, max(len(ids), 1), body)]
    else:  # one piece: the lesson's head + tail truncation
        items = list(enumerate(ns["encode_reviews"]([texts[i] for i in rows], tokenizer, chunk)))
    items.sort(key=lambda x: len(x[1]))
    sums = torch.zeros(len(rows), encoder.cfg.d_model)
    counts = torch.zeros(len(rows), 1)
    with torch.no_grad():
        for start in range(0, len(items), 64):
            part = items[start:start + 64]
            batch = ns["collate"]([{"input_ids": ids, "label": 0} for _, ids in part], tokenizer.pad_token_id)
            with ns["autocast"](torch.device("cpu"), cpu=True):
                hidden = encoder(batch["input_ids"], batch["attention_mask"]).last_hidden_state.float()
            w = batch["attention_mask"].unsqueeze(-1).float()
            index = torch.tensor([r for r, _ in part])
            sums.index_add_(0, index, (hidden * w).sum(dim=1))
            counts.index_add_(0, index, w.sum(dim=1))
    features = sums / counts
    return torch.nn.functional.normalize(features, dim=-1) if normalise else features


def minilm(ns, variants):
    """Validation accuracy of the linear probe on MiniLM features built several ways (each
    with and without L2 normalisation)."""
    import torch
    S = ns["S"]
    needed = sorted({r for n in S.labelled_reviews for seed in S.seeds for r in ns["labelled_rows"](n, seed)})
    labels = {"train": torch.tensor(ns["train_data"]["label"]), "val": torch.tensor(ns["val_data"]["label"])}
    for chunk, whole in variants:
        t0 = time.perf_counter()
        train = torch.zeros(len(ns["train_data"]), ns["real_encoder"].cfg.d_model)
        train[needed] = chunk_features(ns, ns["train_data"], needed, chunk, False, whole)
        val = chunk_features(ns, ns["val_data"], list(range(len(ns["val_data"]))), chunk, False, whole)
        seconds = time.perf_counter() - t0
        for normalise in (False, True):
            tr, va = (torch.nn.functional.normalize(train, dim=-1), torch.nn.functional.normalize(val, dim=-1)) \
                if normalise else (train, val)
            probe_grid(ns, tr, va, labels, (0.003, 0.01, 0.03, 0.1, 0.3, 1.0),
                       dict(chunk=chunk, normalise=normalise, whole=whole), seconds)


def probe_grid(ns, train, val, labels, decays, tags, seconds):
    """One JSON line per (labels n, weight decay): the probe's validation accuracy for each seed."""
    S = ns["S"]
    for n in S.labelled_reviews:
        for wd in decays:
            accs = []
            for seed in S.seeds:
                rows = ns["labelled_rows"](n, seed)
                probe = ns["linear_probe"](train[rows], labels["train"][rows], wd)
                accs.append((probe(val).argmax(-1) == labels["val"]).float().mean().item())
            print(json.dumps(dict(**tags, n=n, wd=wd, seconds=round(seconds), val=[round(a, 4) for a in accs],
                                  mean=round(sum(accs) / len(accs), 4))), flush=True)


def tiny_probe(ns, variants):
    """Validation accuracy of a linear probe on the tiny BERT's frozen features: lesson 04's
    pretrained weights against random init (seed 0), head + tail or the whole review in chunks."""
    import torch
    from llmcourse.models import Encoder
    S = ns["S"]
    needed = sorted({r for n in S.labelled_reviews for seed in S.seeds for r in ns["labelled_rows"](n, seed)})
    labels = {"train": torch.tensor(ns["train_data"]["label"]), "val": torch.tensor(ns["val_data"]["label"])}
    torch.manual_seed(0)
    encoders = {"pretrained": ns["tiny_pretrained"], "random": Encoder(ns["tiny_config"])}
    for start, whole in variants:
        t0 = time.perf_counter()
        kw = dict(encoder=encoders[start], tokenizer=ns["tiny_tokenizer"])
        train = torch.zeros(len(ns["train_data"]), ns["tiny_config"].d_model)
        train[needed] = chunk_features(ns, ns["train_data"], needed, 64, False, whole, **kw)
        val = chunk_features(ns, ns["val_data"], list(range(len(ns["val_data"]))), 64, False, whole, **kw)
        seconds = time.perf_counter() - t0
        probe_grid(ns, train, val, labels, (0.001, 0.003, 0.01, 0.03, 0.1, 0.3), dict(probe=start, whole=whole), seconds)


if __name__ == "__main__":
    import torch
    torch.set_num_threads(int(__import__("os").environ.get("THREADS", "1")))
    ns = lesson_namespace()
    if sys.argv[1] == "check":
        check(ns)
    elif sys.argv[1] == "tiny_probe":
        tiny_probe(ns, [json.loads(v) for v in sys.argv[2:]])
    elif sys.argv[1] == "minilm":
        minilm(ns, [json.loads(v) for v in sys.argv[2:]])
    else:
        for grid in sys.argv[2:]:
            sweep(ns, json.loads(grid))
