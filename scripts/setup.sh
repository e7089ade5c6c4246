#!/usr/bin/env bash
# Set up the course on a fresh machine (Python 3.10+ and pip): a virtual environment in .venv
# with the CPU build of PyTorch and the course installed in editable mode, and the IMDb copy
# linked into data/imdb when one is found next to the repository.
#   TORCH_SPEC  what to install for PyTorch (default torch==2.13.0, the CPU build on our
#               machines; elsewhere e.g. TORCH_SPEC="torch --index-url https://download.pytorch.org/whl/cpu")
#   PYTHON      the interpreter that creates the venv (default python3)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
TORCH_SPEC=${TORCH_SPEC:-torch==2.13.0}
EXTRAS=${EXTRAS:-dev}

if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv with $($PYTHON --version)"
    "$PYTHON" -m venv .venv
fi
# Reinstall only when what we install changes (pyproject.toml, the torch spec, the extras).
stamp=".venv/.installed-$(cat pyproject.toml <(echo "$TORCH_SPEC $EXTRAS") | sha1sum | cut -c1-12)"
if [ ! -f "$stamp" ]; then
    echo "setup: installing $TORCH_SPEC and the course (.[$EXTRAS]); takes a few minutes the first time"
    .venv/bin/python -m pip install -qq --upgrade pip
    # torch first and pinned: the course's own requirement is open-ended (torch>=2.2) so that a
    # user's CUDA build satisfies it, and left alone pip would fetch a multi-GB CUDA build.
    # shellcheck disable=SC2086
    .venv/bin/python -m pip install -qq $TORCH_SPEC
    .venv/bin/python -m pip install -qq -e ".[$EXTRAS]"
    rm -f .venv/.installed-*
    touch "$stamp"
fi

# The grader runs student code in a bubblewrap jail (docs/grading.md): installed where we can
# (root with apt, e.g. CI); elsewhere grading still works and says loudly what is off.
bash scripts/system-packages.sh bubblewrap

# IMDb is never committed: link the machine's copy if there is one (see data/README.md).
if [ ! -e data/imdb ]; then
    for candidate in "${LLMCOURSE_IMDB:-}" ../shared/data/imdb; do
        if [ -n "$candidate" ] && [ -d "$candidate" ]; then
            ln -s "$(cd "$candidate" && pwd)" data/imdb
            echo "setup: linked data/imdb -> $(readlink data/imdb)"
            break
        fi
    done
fi
[ -e data/imdb ] || echo "setup: no local IMDb copy; lessons 04-05 will use the Hugging Face Hub (see data/README.md)"
echo "setup: ready ($(.venv/bin/python -c 'import torch; print("torch", torch.__version__)'))"
