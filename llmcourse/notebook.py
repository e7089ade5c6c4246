"""The first thing every lesson runs: device, mode, sizes and seed, reported in two lines."""

from dataclasses import dataclass
from types import SimpleNamespace

import torch

from . import checks  # noqa: F401  (imported now so it captures the test helpers untouched)
from .device import pick_device
from .mode import current_mode, sizes
from .seeding import seed_everything


@dataclass
class Lesson:
    name: str
    device: torch.device
    mode: str
    sizes: SimpleNamespace


def start_lesson(name: str, seed: int = 0) -> Lesson:
    """Pick the device, read the mode and this lesson's sizes, seed everything."""
    print(f"lesson {name} | torch {torch.__version__}")
    device = pick_device()
    mode = current_mode(verbose=True)
    seed_everything(seed)
    return Lesson(name, device, mode, sizes(name, mode))
