"""The one switch between sizes. Each lesson declares what the switch changes (its sizes for every
mode) in its own second cell, with `lesson.use_sizes(...)`.

test: what the test suite runs: tiny subsets, a few steps; every code path and shape is exercised
      and a lesson runs in seconds, but no experiment shows anything. Chosen only by
      LLMCOURSE_MODE=test (tests/conftest.py sets it), never a default.
fast: the student's laptop: the default without a CUDA GPU. Sized so that every experiment's
      effect is larger than its noise on 2 CPU cores, each lesson within about 10 minutes.
full: full IMDb, real sequence lengths, enough steps for the accuracies a user expects.
      The default with a CUDA GPU.

Set LLMCOURSE_MODE=test, fast or full to choose. All modes run the same code.

LLMCOURSE_SMOKE=1 is a test of full mode without a GPU: full mode's sizes, except that each
lesson stops after a few steps and batches (the `smoke` sizes it declares), and bf16 autocast
runs on the CPU too. A bug that only full mode would hit shows up in minutes.
"""

import os

import torch

ENV = "LLMCOURSE_MODE"
MODES = ("test", "fast", "full")
SMOKE_ENV = "LLMCOURSE_SMOKE"


def smoke() -> bool:
    """True when LLMCOURSE_SMOKE is set to anything but "" or "0"."""
    return os.environ.get(SMOKE_ENV, "").strip() not in ("", "0")


_checks_running = 0  # > 0 inside a test cell's `with exercise(...)`: see in_check


def in_check() -> bool:
    """Whether a check is running. A check must compute the same numbers on every machine and in
    every mode (its tolerances assume float32), so the smoke test's bf16 on the CPU skips it."""
    return _checks_running > 0


def current_mode(verbose: bool = False) -> str:
    """'test', 'fast' or 'full': $LLMCOURSE_MODE if set, else 'full' on a CUDA GPU and 'fast'
    elsewhere ('test' is never a default)."""
    chosen = os.environ.get(ENV, "").strip().lower()
    if chosen and chosen not in MODES:
        raise ValueError(f"{ENV}={chosen!r} is not a mode; use one of {', '.join(MODES)}.")
    if smoke() and chosen in ("test", "fast"):
        raise ValueError(f"{SMOKE_ENV} tests full mode's sizes, but {ENV}={chosen}: unset one of them.")
    mode = chosen or ("full" if torch.cuda.is_available() or smoke() else "fast")
    if verbose:
        why = f"set by {ENV}" if chosen else ("CUDA GPU found" if torch.cuda.is_available() and mode == "full"
                                             else f"{SMOKE_ENV} set" if smoke() else "no CUDA GPU")
        print(f"mode: {mode} ({why}; set {ENV}=fast|full to change)")
    return mode
