"""The one switch between a quick run and the real thing. Each lesson declares what the switch
changes (its sizes for both modes) in its own second cell, with `lesson.use_sizes(...)`.

fast: small subsets, short sequences, few steps; each notebook runs in about a minute on 2 CPU
      cores. The default without a CUDA GPU.
full: full IMDb, real sequence lengths, enough steps for the accuracies a user expects.
      The default with a CUDA GPU.

Set LLMCOURSE_MODE=fast or LLMCOURSE_MODE=full to choose. Both modes run the same code.
"""

import os

import torch

ENV = "LLMCOURSE_MODE"
MODES = ("fast", "full")


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
