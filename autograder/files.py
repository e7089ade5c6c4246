"""Reading files a student could have shaped: only regular files, never through a symlink, never
more than a size cap, never blocking (a FIFO in place of a notebook cannot hang the grader)."""

import os
import stat
from pathlib import Path

MAX_NOTEBOOK_MB = 64


class Unreadable(Exception):
    """The file is not something the grader will read; the message says why, in words."""


def read_bytes(path: Path, limit_mb: int = MAX_NOTEBOOK_MB) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        raise Unreadable(f"{Path(path).name} does not exist") from None
    except OSError as e:  # ELOOP: a symlink
        raise Unreadable(f"{Path(path).name} is a link or cannot be opened ({e.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Unreadable(f"{Path(path).name} is not a regular file")
        if info.st_size > limit_mb * 2**20:
            raise Unreadable(f"{Path(path).name} is {info.st_size / 2**20:.0f} MB, over the {limit_mb} MB limit")
        chunks, left = [], limit_mb * 2**20 + 1
        while left > 0 and (chunk := os.read(fd, min(left, 2**20))):
            chunks.append(chunk)
            left -= len(chunk)
        if left <= 0:
            raise Unreadable(f"{Path(path).name} grew past the {limit_mb} MB limit while being read")
        return b"".join(chunks)
    finally:
        os.close(fd)
