"""Reading files a student could have shaped: only regular files, never through a symlink, never
more than a size cap, never blocking (a FIFO in place of a notebook cannot hang the grader), and,
where the caller says whose the file must be, only a file of that owner."""

import os
import pwd
import stat
from pathlib import Path

MAX_NOTEBOOK_MB = 64


class Unreadable(Exception):
    """The file is not something the grader will read; the message says why, in words."""


def account(uid: int) -> str:
    """The account's name, for messages ("uid 1234" when it has none)."""
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def read_bytes(path: Path, limit_mb: int = MAX_NOTEBOOK_MB) -> bytes:
    return read_file(path, limit_mb)[0]


def read_file(path: Path, limit_mb: int = MAX_NOTEBOOK_MB, dir_fd: int | None = None,
              owner: int | None = None) -> tuple[bytes, os.stat_result]:
    """(content, stat of the file read). `dir_fd`: `path` is relative to that open folder (so no
    folder above it can be swapped for a link while it is read); `owner`: the uid it must have."""
    name = Path(path).name
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
    except FileNotFoundError:
        raise Unreadable(f"{name} does not exist") from None
    except OSError as e:  # ELOOP: a symlink
        raise Unreadable(f"{name} is a link or cannot be opened ({e.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Unreadable(f"{name} is not a regular file")
        if owner is not None and info.st_uid != owner:
            raise Unreadable(f"{name} belongs to {account(info.st_uid)}, not to {account(owner)}")
        if info.st_size > limit_mb * 2**20:
            raise Unreadable(f"{name} is {info.st_size / 2**20:.0f} MB, over the {limit_mb} MB limit")
        chunks, left = [], limit_mb * 2**20 + 1
        while left > 0 and (chunk := os.read(fd, min(left, 2**20))):
            chunks.append(chunk)
            left -= len(chunk)
        if left <= 0:
            raise Unreadable(f"{name} grew past the {limit_mb} MB limit while being read")
        return b"".join(chunks), os.fstat(fd)
    finally:
        os.close(fd)


def open_folder(path: Path, dir_fd: int | None = None, owner: int | None = None) -> int:
    """An open folder (close it), never through a link, of `owner` when given."""
    name = Path(path).name
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd)
    except OSError as e:
        raise Unreadable(f"{name} is a link or not a folder ({e.strerror})") from None
    uid = os.fstat(fd).st_uid
    if owner is not None and uid != owner:
        os.close(fd)
        raise Unreadable(f"the folder {name} belongs to {account(uid)}, not to {account(owner)}")
    return fd
