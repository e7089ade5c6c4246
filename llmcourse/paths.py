"""Where the course lives on disk: the repository root, its data folder and run artifacts."""

import os
from pathlib import Path

_MARKER = "nbgrader_config.py"  # only the course repository has this file at its root


def course_root() -> Path | None:
    """The repository root, found from the package (editable install) or the working directory.

    None when the package was installed from an archive and the notebook runs outside the
    repository (Colab, a student's own folder).
    """
    starts = [Path(__file__).resolve().parent.parent, Path.cwd().resolve()]
    for start in starts:
        for folder in (start, *start.parents):
            if (folder / _MARKER).is_file() and (folder / "llmcourse").is_dir():
                return folder
    return None


def data_dir() -> Path | None:
    root = course_root()
    return root / "data" if root else None


def artifacts_dir() -> Path:
    """Where trained models are saved for later lessons (created on demand).

    LLMCOURSE_ARTIFACTS, else `artifacts/` in the repository, else ~/.cache/llmcourse.
    """
    if os.environ.get("LLMCOURSE_ARTIFACTS"):
        path = Path(os.environ["LLMCOURSE_ARTIFACTS"]).expanduser()
    elif course_root() is not None:
        path = course_root() / "artifacts"
    else:
        path = Path.home() / ".cache" / "llmcourse"
    path.mkdir(parents=True, exist_ok=True)
    return path
