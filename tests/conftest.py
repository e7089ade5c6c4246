"""Shared test setup: everything offline, CPU, test mode; helpers to read notebooks."""

import json
import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # import llmcourse/autograder from this checkout
ARTIFACTS = REPO / "test-artifacts"  # executed notebooks, screenshots: kept for inspection

# No test may need the network; kernels started by tests inherit these.
for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ[var] = "1"
os.environ["LLMCOURSE_MODE"] = "test"  # lessons at their test sizes: code paths in seconds
os.environ.setdefault("LLMCOURSE_DEVICE", "cpu")
os.environ.setdefault("MPLBACKEND", "Agg")
# Two xdist workers share two cores, each running a kernel: a kernel with two OpenMP threads then
# waits on a thread the other kernel has taken, and runs two to three times slower than with one
# (measured: a tiny encoder's training step, two kernels at once). The grader's jail sets the same.
for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")
# Every test that grades makes its own course folder; the solution's reference run (a trusted
# execution per lesson, autograder/reference.py) is shared between them instead of repeated.
os.environ["AUTOGRADER_REFERENCE_CACHE"] = str(REPO / "build" / "reference")  # never a real class's
# Lessons 04-08 save and load models in the artifacts folder (llmcourse/paths.py): test-size ones
# must not replace the models a maintainer trained in `artifacts/` at fast or full sizes.
os.environ["LLMCOURSE_ARTIFACTS"] = str(ARTIFACTS / "models")


def load_notebook(path: Path) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS



_UNGROUPED = ("pytest-xdist ignored this test's xdist_group mark: the pytest and pytest-xdist versions "
              "do not fit (pytest 9.2 + xdist 3.8 do not); reinstall with `bash scripts/setup.sh`, "
              "which pins pytest<9.2")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Grouped tests share expensive session fixtures (a class graded once) and an order (lesson
    05 after 04). If --dist loadgroup did not group them, fail each with the reason rather than
    run them slowly or out of order (an error raised here would reach the user as a bare crash)."""
    if getattr(config.option, "loadgroup", False):
        for item in items:
            if item.get_closest_marker("xdist_group") and "@" not in item.nodeid:
                item.stash[_ungrouped] = True


_ungrouped = pytest.StashKey[bool]()


def pytest_runtest_setup(item):
    if item.stash.get(_ungrouped, False):
        pytest.fail(_UNGROUPED, pytrace=False)
