#!/usr/bin/env bash
# Set up and run the test suite. Extra arguments go to pytest (e.g. -k softmax, -m "not slow").
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# the browser tests drive the system Chromium; the JupyterHub test needs npm's proxy
bash scripts/system-packages.sh chromium configurable-http-proxy
export PATH="$PWD/.venv/bin:$PATH"  # nbgrader runs alembic as a subprocess
# Two workers by default (CI has 2 cores); tests that must share a worker are marked with
# xdist_group (e.g. lesson 05 after lesson 04, whose pretrained model it loads); tests/conftest.py
# fails them if loadgroup did not group them (pytest 9.2 + xdist 3.8 do not; pyproject pins pytest).
# The slowest tests are listed at the end: CI must stay under 45 minutes as lessons are added.
exec python -m pytest -n "${TEST_WORKERS:-2}" --dist loadgroup --durations=25 "$@"
