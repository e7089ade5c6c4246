"""Helpers the course notebooks import: device, seeding, mode, data and model loading, checks.

Importing the package is cheap: each submodule imports torch/transformers only when used.
"""

__version__ = "0.1.0"
