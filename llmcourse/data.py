"""IMDb movie reviews (Maas et al., 2011): train 25k, test 25k, unsupervised 50k.

load_imdb() looks, in order, at: an explicit path, $LLMCOURSE_IMDB, the repository's
data/imdb, and the Hugging Face Hub (stanfordnlp/imdb). It says which one it used.
"""

from pathlib import Path

from .paths import data_dir
from .sources import Source, resolve

ENV = "LLMCOURSE_IMDB"
HUB_ID = "stanfordnlp/imdb"
SPLITS = ("train", "test", "unsupervised")
FIX = (
    "To fix: put a copy of the Hub dataset stanfordnlp/imdb (its plain_text/*.parquet files) in\n"
    "data/imdb, or set LLMCOURSE_IMDB=/path/to/imdb, or connect to the internet.\n"
    "On the course machines: ln -s /path/to/shared/data/imdb data/imdb (scripts/setup.sh does it)."
)


def _is_imdb_copy(path: Path) -> bool:
    return all(any(path.glob(f"**/{split}-*.parquet")) for split in SPLITS)


def imdb_source(path=None) -> Source:
    """Where load_imdb(path) would read from, without loading anything."""
    local = data_dir() / "imdb" if data_dir() else None
    return resolve("IMDb", path, ENV, [(local, "local copy data/imdb")], HUB_ID, FIX,
                   is_valid=_is_imdb_copy)


def load_imdb(path=None, verbose: bool = True):
    """IMDb as a datasets.DatasetDict with columns text (str) and label (0 neg, 1 pos, -1 none)."""
    from datasets import load_dataset  # heavy import, only when data is wanted

    source = imdb_source(path)
    if verbose:
        print(f"IMDb: {source}")
    if not source.is_local:
        return load_dataset(source.location)
    # Name the files of each split: "unsupervised" is not a split name datasets would guess.
    folder = Path(source.location)
    files = {split: sorted(str(p) for p in folder.glob(f"**/{split}-*.parquet")) for split in SPLITS}
    return load_dataset("parquet", data_files=files)


def balanced_subset(split, n: int, seed: int = 0):
    """n reviews from a labelled split, half positive and half negative, in random order.

    IMDb's splits are sorted (all negatives, then all positives), so split[:n] would be one class.
    """
    import numpy as np

    labels = np.asarray(split["label"])
    rng = np.random.default_rng(seed)
    neg = rng.permutation(np.flatnonzero(labels == 0))[: n // 2]
    pos = rng.permutation(np.flatnonzero(labels == 1))[: n - n // 2]
    if len(neg) + len(pos) < n:
        raise ValueError(f"asked for {n} balanced reviews; the split has {len(neg)} neg, {len(pos)} pos")
    return split.select(rng.permutation(np.concatenate([neg, pos])).tolist())
