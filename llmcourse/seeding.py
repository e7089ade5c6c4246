"""One call to make a run repeatable: seeds Python, NumPy and PyTorch (CPU and GPU)."""

import random

import numpy as np
import torch


def seed_everything(seed: int = 0) -> torch.Generator:
    """Seed every generator the course uses; returns a CPU torch.Generator seeded the same.

    GPU kernels may still be non-deterministic (atomics in some backward passes); results are
    repeatable on the same machine, not bit-identical across machines.
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    return torch.Generator().manual_seed(seed)
