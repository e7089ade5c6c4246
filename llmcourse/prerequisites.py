"""The models a lesson takes from an earlier one, trained here when they are missing.

Lesson 04 saves a tiny BERT (with pretraining snapshots) and a tiny GPT; lesson 05 saves a
sentiment classifier; lessons 05-08 load them from the artifacts folder (llmcourse.paths). On a
fresh Colab runtime, or in a fresh folder, there are none. `ensure(name)` then says what is
missing and how long getting it takes at the current sizes (from the step budget and a throughput
measured here, before anything is trained), and gets it with the earlier lesson's recipe run on
the course's reference pieces (llmcourse.models' MaskedLM and GPT instead of the student's
MyBERT/MyGPT; Hugging Face's masking collator and causal-LM loss instead of the student's
mask_tokens and causal_lm_loss). What it saves is what the earlier lesson saves, where it saves
it, so every later lesson finds it.

The sizes are the earlier lesson's, per mode: PRETRAINING_SIZES is lesson 04's sizes cell,
CLASSIFIER_SIZES the part of lesson 05's that its saved classifier depends on
(tests/test_prerequisites.py fails when a sizes cell and these differ).
"""

import math
import time
from pathlib import Path
from types import SimpleNamespace

import torch
import torch.nn.functional as F

from . import mode as modes
from .paths import artifacts_dir

# lesson 04's sizes cell (solutions/04_pretraining), every mode
PRETRAINING_SIZES = dict(
    test=dict(unlabeled_reviews=200, train_reviews=100, val_reviews=50, tokenizer_reviews=300,
              vocab_size=512, block_len=32, d_model=32, n_heads=2, n_layers=2, d_ff=64,
              dropout=0.0, batch_size=8, gpt_lr=0.003, bert_lr=0.002, warmup_steps=2, bert_steps=6,
              bert_seconds=10, gpt_steps=6, gpt_seconds=10, log_every=1, eval_every=3,
              val_batches=1, new_tokens=5, plot_every=5.0, snapshot_at=(0.1, 0.25, 0.5)),
    fast=dict(unlabeled_reviews=20000, train_reviews=5000, val_reviews=200, tokenizer_reviews=3000,
              vocab_size=2048, block_len=64, d_model=128, n_heads=2, n_layers=2, d_ff=512,
              dropout=0.0, batch_size=24, gpt_lr=0.0028, bert_lr=0.002, warmup_steps=100, bert_steps=2600,
              bert_seconds=900, gpt_steps=6600, gpt_seconds=900, log_every=20, eval_every=200,
              val_batches=4, new_tokens=30, plot_every=10.0, snapshot_at=(0.1, 0.25, 0.5)),
    full=dict(unlabeled_reviews=None, train_reviews=None, val_reviews=1000, tokenizer_reviews=30000,
              vocab_size=8192, block_len=128, d_model=256, n_heads=4, n_layers=4, d_ff=1024,
              dropout=0.1, batch_size=256, gpt_lr=0.001, bert_lr=0.001, warmup_steps=300, bert_steps=30000,
              bert_seconds=300, gpt_steps=10000, gpt_seconds=100, log_every=50,
              eval_every=500, val_batches=16, new_tokens=60, plot_every=5.0, snapshot_at=(0.1, 0.25, 0.5)),
    smoke=dict(unlabeled_reviews=300, train_reviews=100, val_reviews=50, tokenizer_reviews=400,
               bert_steps=2, gpt_steps=2, log_every=1, eval_every=2, val_batches=1, new_tokens=5),
)
# lesson 05's sizes (solutions/05_finetuning) that its saved classifier depends on: the frozen
# MiniLM + linear probe with the most labels (labelled_reviews' last), its weight decay chosen on
# the validation reviews
CLASSIFIER_SIZES = dict(
    test=dict(labelled_reviews=(8, 16), pool_reviews=16, val_reviews=16, max_len=32, eval_batch_size=16,
              probe_weight_decays=(0.1, 1.0)),
    fast=dict(labelled_reviews=(100, 300, 1000), pool_reviews=2000, val_reviews=400, max_len=128,
              eval_batch_size=100, probe_weight_decays=(0.01, 0.03, 0.1, 0.3, 1.0)),
    full=dict(labelled_reviews=(100, 1000, 10000, 22500), pool_reviews=22500, val_reviews=2500, max_len=512,
              eval_batch_size=256, probe_weight_decays=(0.01, 0.03, 0.1, 0.3, 1.0)),
    smoke=dict(labelled_reviews=(100,), pool_reviews=128, val_reviews=32),
)
MADE_BY = {"tiny_bert": "lesson 04 (notebooks/04_pretraining)", "tiny_gpt": "lesson 04 (notebooks/04_pretraining)",
           "sentiment_classifier": "lesson 05 (notebooks/05_finetuning)"}
WHAT = {"tiny_bert": "tiny BERT", "tiny_gpt": "tiny GPT", "sentiment_classifier": "sentiment classifier"}
_SAVED = {"tiny_bert": "config.json", "tiny_gpt": "config.json", "sentiment_classifier": "head.json"}


def sizes_for(by_mode: dict, mode: str | None = None) -> SimpleNamespace:
    """The sizes of `mode` (default: the current one), with a smoke test's counts on top of full's."""
    mode = mode or modes.current_mode()
    sizes = dict(by_mode[mode])
    if mode == "full" and modes.smoke():
        sizes.update(by_mode["smoke"])
    return SimpleNamespace(**sizes)


def folder(name: str) -> Path:
    if name not in MADE_BY:
        raise ValueError(f"{name!r} is not a model a lesson saves; one of {', '.join(MADE_BY)}")
    return artifacts_dir() / name


def is_saved(name: str) -> bool:
    return (folder(name) / _SAVED[name]).is_file()


def ensure(name: str, train: bool = True, device: torch.device | None = None) -> Path | None:
    """The folder holding `name` ("tiny_bert", "tiny_gpt" or "sentiment_classifier"), trained
    here with its lesson's recipe if it is missing and `train`; None if it is missing and not
    `train` (the estimate is printed either way)."""
    if is_saved(name):
        return folder(name)
    if device is None:
        from .device import pick_device

        device = pick_device(verbose=False)
    mode = modes.current_mode()
    print(f"No {WHAT[name]} in {folder(name)}: {MADE_BY[name]} saves it, and it has not run with this "
          f"artifacts folder (on Colab: a fresh runtime, or Drive not kept).")
    estimate = _estimate_pretraining if name in ("tiny_bert", "tiny_gpt") else _estimate_classifier
    print(f"Getting it here with that lesson's recipe at {mode} sizes: {estimate(name, device)}.")
    if not train:
        print("Not trained (TRAIN_MISSING = False): what needs it is skipped.")
        return None
    start = time.perf_counter()
    (_pretrain if name in ("tiny_bert", "tiny_gpt") else _train_classifier)(name, device)
    print(f"{WHAT[name]} trained here in {time.perf_counter() - start:.0f} s and saved to {folder(name)}, "
          f"as {MADE_BY[name].split(' (')[0]} saves it: later lessons find it there.")
    return folder(name)


# --- lesson 04: the tiny BERT and the tiny GPT ------------------------------------------------------

def _shape(S) -> dict:
    return dict(d_model=S.d_model, n_heads=S.n_heads, n_layers=S.n_layers, d_ff=S.d_ff, max_len=S.block_len,
                dropout=S.dropout, pad_id=0)


def _model(name: str, S, vocab_size: int):
    from .models import GPT, MaskedLM, TransformerConfig

    if name == "tiny_bert":
        return MaskedLM(TransformerConfig.bert_like(vocab_size, **_shape(S)))
    return GPT(TransformerConfig.gpt_like(vocab_size, **_shape(S)))


def _clm_loss(model, inputs, labels):
    """Next-token cross-entropy, by transformers' causal-LM loss (GPT-2's): the answer to lesson
    04's exercise stays the student's to write."""
    from transformers.loss.loss_utils import ForCausalLMLoss

    return ForCausalLMLoss(model(inputs).logits, labels, model.cfg.vocab_size)


def _mlm_loss(model, inputs, labels):
    """Cross-entropy at the masked positions only (the head scores just those)."""
    selected = labels != -100
    return F.cross_entropy(model(inputs, predict_at=selected).logits.float(), labels[selected])


class _Masker:
    """BERT's corruption (15% of the non-special tokens; of those 80% [MASK], 10% a random id,
    10% kept) by Hugging Face's DataCollatorForLanguageModeling, on [CLS] window [SEP] rows."""

    def __init__(self, tokenizer):
        from transformers import DataCollatorForLanguageModeling

        self.collator = DataCollatorForLanguageModeling(tokenizer, mlm=True, mlm_probability=0.15)
        self.cls, self.sep = tokenizer.cls_token_id, tokenizer.sep_token_id
        self.special = torch.tensor(tokenizer.all_special_ids)

    def __call__(self, rows):
        n = len(rows)
        framed = torch.cat([torch.full((n, 1), self.cls), rows, torch.full((n, 1), self.sep)], dim=1)
        return self.collator.torch_mask_tokens(framed.clone(), torch.isin(framed, self.special))


def _seconds_per_step(name: str, S, device) -> float:
    """The median of three timed training steps of the model at these sizes on random tokens
    (after one untimed: the first allocates)."""
    model = _model(name, S, S.vocab_size).to(device).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    length = S.block_len - 2 if name == "tiny_bert" else S.block_len
    rows = torch.randint(5, S.vocab_size, (S.batch_size, length))
    if name == "tiny_bert":
        labels = torch.full((S.batch_size, length + 2), -100)
        labels[:, 1:-1:7] = rows[:, ::7]  # about 15% scored, as in masked-LM batches
        inputs, loss_fn = torch.cat([rows[:, :1], rows, rows[:, :1]], dim=1), _mlm_loss
    else:
        inputs, labels, loss_fn = rows, rows, _clm_loss
    inputs, labels = inputs.to(device), labels.to(device)
    from .training import autocast

    seconds = []
    for _ in range(4):
        start = time.perf_counter()
        with autocast(device):
            loss = loss_fn(model, inputs, labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        seconds.append(time.perf_counter() - start)
    return sorted(seconds[1:])[1]


def _budget(name: str, S) -> tuple[int, float]:
    return (S.bert_steps, S.bert_seconds) if name == "tiny_bert" else (S.gpt_steps, S.gpt_seconds)


def _estimate_pretraining(name: str, device) -> str:
    S = sizes_for(PRETRAINING_SIZES)
    steps, cap = _budget(name, S)
    per_step = _seconds_per_step(name, S, device)
    seconds = min(steps * per_step, cap)
    reviews = "all" if S.unlabeled_reviews is None else f"{S.unlabeled_reviews + S.train_reviews:,}"
    return (f"{steps:,} steps of {S.batch_size} windows of {S.block_len} tokens, {per_step:.3f} s a step measured "
            f"on this {device.type}: about {_minutes(seconds)}" + (f" (lesson 04 stops at {cap:,} s)" if
                                                                    steps * per_step > cap else "")
            + f", after reading {reviews} reviews and training a WordPiece vocabulary of {S.vocab_size:,}")


def _minutes(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"


def _pretrain(name: str, device) -> None:
    from transformers import AutoTokenizer

    from .data import load_imdb
    from .models import save_model
    from .pretraining import (evaluate, pretrain, pretraining_texts, save_snapshots, to_blocks, token_stream,
                              wordpiece_tokenizer)

    S = sizes_for(PRETRAINING_SIZES)
    train_texts, val_texts = pretraining_texts(load_imdb(verbose=False), S)
    other = "tiny_gpt" if name == "tiny_bert" else "tiny_bert"
    if is_saved(other):  # lesson 04 saves both with one tokenizer: keep it so
        tokenizer = AutoTokenizer.from_pretrained(str(folder(other)))
        print(f"{len(train_texts):,} reviews to pretrain on; the tokenizer of {folder(other)}")
    else:
        tokenizer = wordpiece_tokenizer(train_texts[: S.tokenizer_reviews], S.vocab_size, S.block_len)
        print(f"{len(train_texts):,} reviews to pretrain on; a WordPiece vocabulary of {tokenizer.vocab_size:,} trained")
    train_stream, val_stream = token_stream(tokenizer, train_texts), token_stream(tokenizer, val_texts)
    torch.manual_seed(0)
    model = _model(name, S, tokenizer.vocab_size)
    steps, seconds = _budget(name, S)
    if name == "tiny_bert":
        masker, snapshots = _Masker(tokenizer), []
        torch.manual_seed(123)  # every held-out block masked once
        val = [masker(rows) for rows in to_blocks(val_stream, S.block_len - 2).split(S.batch_size)]
        numbers = pretrain(model, train_stream, S.block_len - 2, masker, _mlm_loss, val[: S.val_batches],
                           name=name, lr=S.bert_lr, betas=(0.9, 0.98), weight_decay=0.01, steps=steps,
                           seconds=seconds, title="tiny BERT, masked LM (lesson 04's recipe)", sizes=S,
                           device=device, snapshots=snapshots)
    else:
        val = [(rows, rows) for rows in to_blocks(val_stream, S.block_len).split(S.batch_size)]
        numbers = pretrain(model, train_stream, S.block_len, lambda rows: (rows, rows), _clm_loss,
                           val[: S.val_batches], name=name, lr=S.gpt_lr, betas=(0.9, 0.95), weight_decay=0.1,
                           steps=steps, seconds=seconds, title="tiny GPT, causal LM (lesson 04's recipe)",
                           sizes=S, device=device)
    loss = sum(evaluate(model, val, _mlm_loss if name == "tiny_bert" else _clm_loss, device, per_batch=True)) / len(val)
    saved = save_model(model.cpu().eval(), folder(name), tokenizer)
    kept = f", {save_snapshots(snapshots, saved)} snapshots for lesson 05" if name == "tiny_bert" else ""
    what = f"masked-LM loss {loss:.2f}" if name == "tiny_bert" else f"perplexity {math.exp(loss):.1f}"
    print(f"{WHAT[name]}: {numbers['steps']:,} steps, held-out {what}{kept}")


# --- lesson 05: the sentiment classifier -----------------------------------------------------------

def _estimate_classifier(name: str, device) -> str:
    S = sizes_for(CLASSIFIER_SIZES)
    from .models import pretrained_encoder

    encoder, _ = pretrained_encoder(verbose=False)
    encoder = encoder.to(device)
    ids = torch.randint(1000, 2000, (S.eval_batch_size, S.max_len), device=device)
    with torch.no_grad():
        encoder(ids[:2], torch.ones_like(ids[:2]))  # warm up
        start = time.perf_counter()
        encoder(ids, torch.ones_like(ids))
    per_batch = time.perf_counter() - start
    reviews = S.labelled_reviews[-1] + S.val_reviews
    seconds = per_batch * math.ceil(reviews / S.eval_batch_size)
    return (f"the pretrained MiniLM reads {reviews:,} reviews of up to {S.max_len} tokens once ({per_batch:.2f} s "
            f"for a batch of {S.eval_batch_size} measured on this {device.type}: at most about {_minutes(seconds)}), "
            f"then a linear probe on {S.labelled_reviews[-1]:,} labels, its weight decay chosen on "
            f"{S.val_reviews:,} validation reviews (seconds)")


@torch.no_grad()
def _mean_features(encoder, tokenizer, texts, S, device) -> torch.Tensor:
    """float32 [N, d]: the encoder's output averaged over each text's real tokens."""
    from tqdm.auto import tqdm

    features = []
    for start in tqdm(range(0, len(texts), S.eval_batch_size), desc="MiniLM features", leave=False):
        batch = tokenizer([t.replace("<br />", " ") for t in texts[start:start + S.eval_batch_size]],
                          truncation=True, max_length=S.max_len, padding=True, return_tensors="pt").to(device)
        hidden = encoder(batch["input_ids"], batch["attention_mask"]).last_hidden_state.float()
        weights = batch["attention_mask"].unsqueeze(-1).float()
        features.append(((hidden * weights).sum(dim=1) / weights.sum(dim=1)).cpu())
    return torch.cat(features)


def _train_classifier(name: str, device) -> None:
    from .data import balanced_subset, load_imdb
    from .models import pretrained_encoder
    from .sentiment import linear_probe, save_sentiment_classifier

    S = sizes_for(CLASSIFIER_SIZES)
    imdb = load_imdb(verbose=False)
    labelled = balanced_subset(imdb["train"], S.pool_reviews + S.val_reviews, seed=0)  # lesson 05's split
    val = labelled.select(range(S.val_reviews))
    pool = labelled.select(range(S.val_reviews, len(labelled)))
    n = S.labelled_reviews[-1]  # as in lesson 05: the whole pool, or n of it, half of each class
    train = pool if n >= len(pool) else balanced_subset(pool, n, seed=0)
    encoder, tokenizer = pretrained_encoder(verbose=False)
    encoder = encoder.to(device).eval()
    x_train, x_val = (_mean_features(encoder, tokenizer, split["text"], S, device) for split in (train, val))
    y_train, y_val = torch.tensor(train["label"]), torch.tensor(val["label"])
    probes = {wd: linear_probe(x_train, y_train, wd) for wd in S.probe_weight_decays}
    accuracy = {wd: (p(x_val).argmax(-1) == y_val).float().mean().item() for wd, p in probes.items()}
    decay = max(accuracy, key=accuracy.get)
    save_sentiment_classifier(folder(name), encoder.cpu(), probes[decay], "mean", tokenizer, S.max_len)
    print(f"sentiment classifier: frozen MiniLM + linear probe on {len(train):,} labelled reviews, weight decay {decay:g}, "
          f"validation accuracy {accuracy[decay]:.1%}")
