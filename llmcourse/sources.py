"""Find a data set or model: explicit argument, then environment variable, then a local copy,
then the Hugging Face Hub. Every loader in the course resolves this way and says what it used."""

import os
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse


class SourceNotFound(FileNotFoundError):
    """No usable copy anywhere; the message lists every place tried and how to fix it."""


@dataclass(frozen=True)
class Source:
    location: str  # a local folder, or a Hub id
    origin: str  # how it was found: "argument", "$VAR", "local copy", "package ...", "Hub"

    @property
    def is_local(self) -> bool:
        return self.origin != "Hub"

    def __str__(self) -> str:
        return f"{self.location} ({self.origin})"


def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether huggingface.co answers, decided in seconds instead of a minute of retries."""
    if any(os.environ.get(v, "").lower() in ("1", "true", "yes")
           for v in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE")):
        return False
    host = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co")).hostname
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
        return True
    except OSError:
        return False


def resolve(what: str, explicit: str | os.PathLike | None, env_var: str,
            local: list[tuple[Path, str]], hub_id: str, fix: str,
            is_valid=lambda p: p.exists()) -> Source:
    """The first usable source for `what`.

    explicit and $env_var are trusted to mean what they say: if they name a folder that does
    not exist we stop with an error rather than quietly use something else. A value that is not
    a path (e.g. "bert-base-uncased") is taken as a Hub id.
    `local` is a list of (folder, description) candidates tried in order.
    """
    tried = []
    for value, origin in ((explicit, "argument"), (os.environ.get(env_var), f"${env_var}")):
        if not value:
            tried.append(f"{origin}: not given")
            continue
        value = str(value)
        path = Path(value).expanduser()
        if is_valid(path):
            return Source(str(path.resolve()), origin)
        if _looks_like_path(value):
            raise SourceNotFound(
                f"{what}: {origin} points to {value!r}, which is not a usable copy "
                f"(missing or incomplete). Fix the path, or unset it to use the defaults.\n{fix}")
        return _from_hub(what, value, tried + [f"{origin}: Hub id {value!r}"], fix)
    for path, origin in local:
        if path is not None and is_valid(path):
            return Source(str(Path(path).resolve()), origin)
        tried.append(f"{origin}: {path} not found")
    return _from_hub(what, hub_id, tried, fix)


def _looks_like_path(value: str) -> bool:
    # Hub ids are "name" or "owner/name"; anything else is meant as a folder
    return value.startswith((".", "/", "~")) or value.count("/") > 1


def _from_hub(what: str, hub_id: str, tried: list[str], fix: str) -> Source:
    if hub_reachable():
        return Source(hub_id, "Hub")
    places = "\n".join(f"  - {t}" for t in tried + [f"the Hugging Face Hub ({hub_id}): unreachable"])
    raise SourceNotFound(f"{what} could not be found. Places tried, in order:\n{places}\n{fix}")
