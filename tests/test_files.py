"""Reading back what a student could have shaped: regular files only, no links, bounded size."""

import os
import threading

import pytest

from autograder.files import Unreadable, read_bytes


def test_reads_a_regular_file(tmp_path):
    (tmp_path / "a.ipynb").write_bytes(b"{}")
    assert read_bytes(tmp_path / "a.ipynb") == b"{}"


def test_refuses_a_symlink_even_to_a_regular_file(tmp_path):
    (tmp_path / "other.ipynb").write_bytes(b"{}")
    os.symlink(tmp_path / "other.ipynb", tmp_path / "a.ipynb")
    with pytest.raises(Unreadable, match="link"):
        read_bytes(tmp_path / "a.ipynb")


def test_a_fifo_never_blocks(tmp_path):
    os.mkfifo(tmp_path / "a.ipynb")
    result = []
    reader = threading.Thread(target=lambda: result.append(pytest.raises(Unreadable, read_bytes, tmp_path / "a.ipynb")))
    reader.start()
    reader.join(timeout=5)
    assert not reader.is_alive(), "reading a FIFO blocked"
    assert "not a regular file" in str(result[0].value)


def test_refuses_what_is_too_big_and_what_is_missing(tmp_path):
    (tmp_path / "big.ipynb").write_bytes(b"x" * (2 * 2**20 + 1))
    with pytest.raises(Unreadable, match="over the 2 MB limit"):
        read_bytes(tmp_path / "big.ipynb", limit_mb=2)
    with pytest.raises(Unreadable, match="does not exist"):
        read_bytes(tmp_path / "missing.ipynb")
    os.mkdir(tmp_path / "dir.ipynb")
    with pytest.raises(Unreadable, match="not a regular file"):
        read_bytes(tmp_path / "dir.ipynb")
