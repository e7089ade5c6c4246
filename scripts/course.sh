#!/usr/bin/env bash
# The main job: set up, build the student release from solutions/, execute every solution
# notebook (fast mode on a CPU, full on a CUDA GPU: llmcourse/mode.py), autograde them with
# nbgrader, and print a report.
# Extra arguments go to `python -m autograder course` (e.g. --mode full, --lessons 00_setup).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"  # nbgrader runs alembic as a subprocess
exec python -m autograder course "$@"
