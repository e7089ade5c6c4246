"""The one switch between a quick run and the real thing, and every size that depends on it.

fast: small subsets, short sequences, few steps; each notebook runs in about a minute on 2 CPU
      cores. The default without a CUDA GPU.
full: full IMDb, real sequence lengths, enough steps for the accuracies a user expects.
      The default with a CUDA GPU.

Set LLMCOURSE_MODE=fast or LLMCOURSE_MODE=full to choose. Both modes run the same code.
"""

import os
from types import SimpleNamespace

import torch

ENV = "LLMCOURSE_MODE"
MODES = ("fast", "full")

# Every size a lesson uses, per lesson and per mode. A lesson reads its own block with
# sizes("NN_name"); adding a lesson means adding a block here.
SIZES: dict[str, dict[str, dict]] = {
    "00_setup": {
        "fast": dict(imdb_preview=3),
        "full": dict(imdb_preview=3),
    },
    "01_attention": {
        "fast": dict(saturation_trials=500),
        "full": dict(saturation_trials=5000),
    },
    "02_multihead_attention": {
        "fast": dict(pe_positions=128),
        "full": dict(pe_positions=512),
    },
    "03_transformer": {
        # depths of the residual demo; sentences used to find heads by measurement
        "fast": dict(depths=(1, 4, 16, 64), probe_sentences=6),
        "full": dict(depths=(1, 4, 16, 64), probe_sentences=12),
    },
    "04_pretraining": {
        # reviews: None = all. *_steps and *_seconds: a run stops at whichever comes first.
        "fast": dict(unlabeled_reviews=2500, train_reviews=500, val_reviews=200, tokenizer_reviews=3000,
                     vocab_size=2048, block_len=64, d_model=64, n_heads=2, n_layers=2, d_ff=256,
                     dropout=0.0, batch_size=16, lr=3e-3, warmup_steps=10, bert_steps=300,
                     bert_seconds=20, gpt_steps=300, gpt_seconds=20, log_every=5, eval_every=50,
                     val_batches=4, new_tokens=30, plot_every=5.0),
        "full": dict(unlabeled_reviews=None, train_reviews=None, val_reviews=1000, tokenizer_reviews=30000,
                     vocab_size=8192, block_len=128, d_model=256, n_heads=4, n_layers=4, d_ff=1024,
                     dropout=0.1, batch_size=256, lr=1e-3, warmup_steps=300, bert_steps=30000,
                     bert_seconds=300, gpt_steps=10000, gpt_seconds=100, log_every=50, eval_every=500,
                     val_batches=16, new_tokens=60, plot_every=5.0),
    },
    "05_finetuning": {
        # fast: a few hundred reviews, 128 tokens (head + tail), one epoch of small batches.
        "fast": dict(train_reviews=448, test_reviews=1000, max_len=128, batch_size=8, eval_batch_size=100,
                     epochs=1, warmup=0.1, lr=3e-4, head_lr=2e-3, lr_tiny=5e-4, pooling="mean",
                     n_mistakes=3, gpt_len=64, gpt_steps=30, gpt_lr=3e-4, gpt_samples=8, gpt_new_tokens=40),
        # full: all 25k + 25k reviews, 512 tokens, 2 epochs of AdamW at 5e-5, bf16 on the GPU.
        "full": dict(train_reviews=25000, test_reviews=25000, max_len=512, batch_size=32, eval_batch_size=256,
                     epochs=2, warmup=0.06, lr=5e-5, head_lr=5e-5, lr_tiny=2e-4, pooling="mean",
                     n_mistakes=5, gpt_len=256, gpt_steps=600, gpt_lr=3e-4, gpt_samples=32, gpt_new_tokens=80),
    },
}


def current_mode(verbose: bool = False) -> str:
    """'fast' or 'full': $LLMCOURSE_MODE if set, else 'full' on a CUDA GPU and 'fast' elsewhere."""
    chosen = os.environ.get(ENV, "").strip().lower()
    if chosen and chosen not in MODES:
        raise ValueError(f"{ENV}={chosen!r} is not a mode; use one of {', '.join(MODES)}.")
    mode = chosen or ("full" if torch.cuda.is_available() else "fast")
    if verbose:
        why = f"set by {ENV}" if chosen else ("CUDA GPU found" if mode == "full" else "no CUDA GPU")
        print(f"mode: {mode} ({why}; set {ENV}=fast|full to change)")
    return mode


def sizes(lesson: str, mode: str | None = None) -> SimpleNamespace:
    """The sizes lesson `lesson` uses in `mode` (default: the current mode), as attributes."""
    if lesson not in SIZES:
        raise KeyError(f"no sizes for lesson {lesson!r}; known: {', '.join(SIZES)}")
    return SimpleNamespace(**SIZES[lesson][mode or current_mode()])
