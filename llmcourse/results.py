"""Key results of a lesson run (accuracy, loss, throughput), kept for the benchmark.

A lesson calls record("05_finetuning_imdb", accuracy=0.91, train_s=43.0) after its experiment;
the values are printed and merged into <artifacts>/results/<lesson>.json, which the course
benchmark reads back after executing the notebook.
"""

import json
import math
import os

from .paths import artifacts_dir


def _path(lesson: str):
    folder = artifacts_dir() / "results"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{lesson}.json"


def record(lesson: str, **metrics) -> dict:
    """Merge numbers (or short strings) into this lesson's results file and print them."""
    for key, value in metrics.items():
        if not isinstance(value, (int, float, str)) or (isinstance(value, float) and not math.isfinite(value)):
            raise ValueError(f"result {key}={value!r} is not a finite number or a string")
    path = _path(lesson)
    current = json.loads(path.read_text()) if path.exists() else {}
    current.update(metrics)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(current, indent=1, sort_keys=True))
    os.replace(tmp, path)
    print("recorded:", formatted(metrics))
    return current


def formatted(values: dict) -> str:
    """'accuracy=0.8123, steps=56': how results are shown, in the notebook and the benchmark."""
    return ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items())


def load(lesson: str) -> dict:
    path = _path(lesson)
    return json.loads(path.read_text()) if path.exists() else {}


def clear(lesson: str) -> None:
    _path(lesson).unlink(missing_ok=True)
