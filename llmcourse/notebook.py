"""The first thing every lesson runs: device, mode and seed (the setup cell), then the lesson's
own sizes for every mode (the cell right after it)."""

import re
from dataclasses import dataclass
from types import SimpleNamespace

import torch

from . import checks  # noqa: F401  (imported now so it captures the test helpers untouched)
from .device import pick_device
from .mode import MODES, current_mode
from .mode import smoke as smoke_test

# A smoke test (LLMCOURSE_SMOKE=1) may shrink how much a lesson does, never what it computes on:
# only sizes named like counts of data, steps or repetitions.
SMOKE_KEYS = re.compile(r".*(reviews|steps|epochs|samples|tokens|batches|seeds|every)$")
from .seeding import seed_everything


@dataclass
class Lesson:
    name: str
    device: torch.device
    mode: str
    sizes: SimpleNamespace | None = None  # set by use_sizes

    def use_sizes(self, *, smoke: dict | None = None, **by_mode: dict) -> SimpleNamespace:
        """Declare this lesson's sizes, one dict per mode (test=..., fast=..., full=...), and keep
        the ones of the current mode as lesson.sizes. Every mode must name the same sizes.
        `smoke`: the counts that a smoke test of full mode (LLMCOURSE_SMOKE=1) lowers, on top of
        full's."""
        if sorted(by_mode) != sorted(MODES):
            missing, unknown = [m for m in MODES if m not in by_mode], [m for m in by_mode if m not in MODES]
            raise ValueError(f"give sizes for exactly the modes {', '.join(MODES)}"
                             + (f"; missing: {', '.join(missing)}" if missing else "")
                             + (f"; not a mode: {', '.join(unknown)}" if unknown else ""))
        names = {mode: set(values) for mode, values in by_mode.items()}
        if len({frozenset(n) for n in names.values()}) != 1:
            common = set.intersection(*names.values())
            only = {mode: sorted(n - common) for mode, n in names.items() if n - common}
            raise ValueError(f"{', '.join(MODES)} must name the same sizes; only in some of them: {only}")
        sizes, note = dict(by_mode[self.mode]), ""
        smoke = smoke or {}
        wrong = sorted(k for k in smoke if k not in sizes or not SMOKE_KEYS.fullmatch(k))
        if wrong:
            raise ValueError(f"smoke sizes may only lower counts that every mode names (reviews, steps, "
                             f"epochs, samples, tokens, batches, seeds, every); not: {', '.join(wrong)}")
        if smoke_test():
            sizes.update(smoke)
            note = ", smoke test: a few steps of full mode's shapes"
        self.sizes = SimpleNamespace(**sizes)
        print(f"sizes ({self.mode}{note}): " + ", ".join(f"{k}={v}" for k, v in vars(self.sizes).items()))
        return self.sizes


def start_lesson(name: str, seed: int = 0) -> Lesson:
    """Pick the device, read the mode, seed everything."""
    print(f"lesson {name} | torch {torch.__version__}")
    _no_progress_bar_monitor()
    device = pick_device()
    mode = current_mode(verbose=True)
    seed_everything(seed)
    return Lesson(name, device, mode)


def _no_progress_bar_monitor() -> None:
    """Turn off tqdm's monitor thread. When a bar has not moved for 10 s it redraws it from that
    thread; in a notebook a redraw is a widget message, and a kernel's message sockets used from
    two threads at once break (seen: a lesson-05 run hung in CI with "Socket operation on
    non-socket"). Bars still redraw on every update."""
    try:
        from tqdm import tqdm
    except ImportError:
        return
    tqdm.monitor_interval = 0
