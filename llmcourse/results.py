"""Key results of a lesson run (accuracy, loss, throughput), kept for the benchmark.

A lesson calls record("05_finetuning_imdb", accuracy=0.91, train_s=43.0) after its experiment;
the values are printed and merged into <artifacts>/results/<lesson>.json, which the course
benchmark reads back after executing the notebook.

An experiment that says what something buys ends with a claim, judged from the run's own numbers:

    claim("04_pretraining", "gpt_vs_bigram", "the tiny GPT predicts better than the bigram table",
          shown=ppl_gpt <= 0.75 * ppl_bigram, evidence=f"val perplexity {ppl_gpt:.0f} vs {ppl_bigram:.0f}")

prints one line, `claim: <statement> — <evidence> — shown|not shown`, and keeps it in the same
file under "claims" (by key), where the benchmark's table collects every lesson's claims.
"""

import json
import math
import os

from .paths import artifacts_dir


def _path(lesson: str):
    folder = artifacts_dir() / "results"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{lesson}.json"


CLAIMS = "claims"  # the results file's key for the lesson's claims, {key: {statement, evidence, shown}}


def record(lesson: str, **metrics) -> dict:
    """Merge numbers (or short strings) into this lesson's results file and print them."""
    for key, value in metrics.items():
        if key == CLAIMS:
            raise ValueError(f"{CLAIMS!r} is kept for claim(); record the number under another name")
        if not isinstance(value, (int, float, str)) or (isinstance(value, float) and not math.isfinite(value)):
            raise ValueError(f"result {key}={value!r} is not a finite number or a string")
    current = _merge(lesson, metrics)
    print("recorded:", formatted(metrics))
    return current


def claim(lesson: str, key: str, statement: str, *, shown, evidence: str) -> bool:
    """Print `claim: <statement> — <evidence> — shown|not shown` and keep it in the lesson's
    results under `key` (a later claim with the same key replaces it). `shown` is the run's own
    verdict, a comparison of its numbers; `evidence` says those numbers, with their spread where
    there is one (see spread()). Returns `shown`."""
    if type(shown).__name__ not in ("bool", "bool_"):  # a Python or NumPy bool, not a number or tensor
        raise TypeError(f"claim {key!r}: shown must be True or False (a comparison), not {shown!r}")
    if not all(isinstance(text, str) and text.strip() for text in (key, statement, evidence)):
        raise ValueError(f"claim {key!r}: key, statement and evidence must be non-empty strings")
    shown = bool(shown)
    current = load(lesson).get(CLAIMS, {})
    current[key] = {"statement": statement, "evidence": evidence, "shown": shown}
    _merge(lesson, {CLAIMS: current})
    print(claim_line(current[key]))
    return shown


def claim_line(c: dict) -> str:
    return f"claim: {c['statement']} — {c['evidence']} — {'shown' if c['shown'] else 'not shown'}"


def spread(values, digits: int = 3) -> str:
    """'0.812 ± 0.014 (n=3)': mean ± sample standard deviation of repeated runs (seeds)."""
    values = [float(v) for v in values]
    mean = sum(values) / len(values)
    if len(values) < 2:
        return f"{mean:.{digits}g} (n=1, no spread)"
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
    return f"{mean:.{digits}g} ± {std:.{digits}g} (n={len(values)})"


def _merge(lesson: str, values: dict) -> dict:
    path = _path(lesson)
    current = json.loads(path.read_text()) if path.exists() else {}
    current.update(values)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(current, indent=1, sort_keys=True, ensure_ascii=False))
    os.replace(tmp, path)
    return current


def formatted(values: dict) -> str:
    """'accuracy=0.8123, steps=56': how results are shown, in the notebook and the benchmark."""
    return ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items())


def load(lesson: str) -> dict:
    path = _path(lesson)
    return json.loads(path.read_text()) if path.exists() else {}


def clear(lesson: str) -> None:
    _path(lesson).unlink(missing_ok=True)
