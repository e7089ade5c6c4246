"""The first thing every lesson runs: device, mode and seed (the setup cell), then the lesson's
own sizes for both modes (the cell right after it)."""

from dataclasses import dataclass
from types import SimpleNamespace

import torch

from . import checks  # noqa: F401  (imported now so it captures the test helpers untouched)
from .device import pick_device
from .mode import MODES, current_mode
from .seeding import seed_everything


@dataclass
class Lesson:
    name: str
    device: torch.device
    mode: str
    sizes: SimpleNamespace | None = None  # set by use_sizes

    def use_sizes(self, **by_mode: dict) -> SimpleNamespace:
        """Declare this lesson's sizes, one dict per mode (fast=..., full=...), and keep the ones
        of the current mode as lesson.sizes. Both modes must name the same sizes."""
        if sorted(by_mode) != sorted(MODES):
            raise ValueError(f"give sizes for exactly the modes {', '.join(MODES)}; got {', '.join(by_mode)}")
        names = {mode: set(values) for mode, values in by_mode.items()}
        if len({frozenset(n) for n in names.values()}) != 1:
            only = {mode: sorted(n - set.intersection(*names.values())) for mode, n in names.items()}
            raise ValueError(f"fast and full must name the same sizes; only in one of them: {only}")
        self.sizes = SimpleNamespace(**by_mode[self.mode])
        print(f"sizes ({self.mode}): " + ", ".join(f"{k}={v}" for k, v in vars(self.sizes).items()))
        return self.sizes


def start_lesson(name: str, seed: int = 0) -> Lesson:
    """Pick the device, read the mode, seed everything."""
    print(f"lesson {name} | torch {torch.__version__}")
    device = pick_device()
    mode = current_mode(verbose=True)
    seed_everything(seed)
    return Lesson(name, device, mode)
