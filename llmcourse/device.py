"""Choose where tensors live: CUDA, then Apple MPS, then CPU. LLMCOURSE_DEVICE overrides."""

import os

import torch

ENV = "LLMCOURSE_DEVICE"
# MPS silently gave wrong results for some ops (e.g. non-contiguous matmuls, masked softmax)
# in early releases; we only trust it from this PyTorch version on.
MPS_MIN_TORCH = (2, 4)


def _torch_version() -> tuple[int, int]:
    major, minor = torch.__version__.split("+")[0].split(".")[:2]
    return int(major), int(minor)


def mps_usable() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps and mps.is_available() and _torch_version() >= MPS_MIN_TORCH)


def pick_device(override: str | None = None, verbose: bool = True) -> torch.device:
    """The best available device, or the one named by `override` / $LLMCOURSE_DEVICE.

    Raises ValueError if the requested device does not exist on this machine.
    """
    wanted = (override or os.environ.get(ENV, "")).strip().lower()
    if wanted:
        device = torch.device(wanted)  # raises on nonsense like "gpu0"
        available = {
            "cpu": True,
            "cuda": torch.cuda.is_available(),
            "mps": mps_usable(),
        }.get(device.type, False)
        if not available:
            raise ValueError(
                f"{ENV}={wanted!r} asks for a device this machine does not have. "
                f"Use one of: cpu{', cuda' if torch.cuda.is_available() else ''}"
                f"{', mps' if mps_usable() else ''}, or unset {ENV}."
            )
        reason = f"set by {ENV}" if not override else "requested"
    elif torch.cuda.is_available():
        device, reason = torch.device("cuda"), "CUDA GPU found"
    elif mps_usable():
        device, reason = torch.device("mps"), "Apple GPU found"
    else:
        device, reason = torch.device("cpu"), "no GPU found"
    if verbose:
        print(f"device: {describe(device)} ({reason}; set {ENV}=cpu|cuda|mps to change)")
    return device


def describe(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return device.type
