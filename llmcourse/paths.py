"""Where the course lives on disk: the course folder, its data folder and run artifacts.

Artifacts are what a lesson saves for a later one (lesson 04's tiny BERT and GPT for 05-07,
lesson 05's classifier for 06 and 07, key results): in `artifacts/` of the course folder, or
wherever LLMCOURSE_ARTIFACTS says. On Google Colab every notebook runs on a runtime of its own
whose files go when it ends, so the setup cell offers to keep them on Google Drive
(keep_artifacts_on_drive): KEEP_ON_DRIVE = True in that cell, or answering "y" when it asks,
mounts the student's Drive and points LLMCOURSE_ARTIFACTS at DRIVE / DRIVE_FOLDER, where the next
lesson's runtime finds them after mounting the same Drive.
"""

import os
from pathlib import Path

# A course folder has the package beside one of these: the instructor's repository
# (nbgrader_config.py) or the student distribution (written by `python -m autograder publish`).
_MARKERS = ("nbgrader_config.py", "distribution.toml")
DRIVE = Path("/content/drive")  # where Colab mounts Google Drive
DRIVE_FOLDER = Path("MyDrive") / "llmcourse-artifacts"


def course_root() -> Path | None:
    """The course folder, found from the package (editable install) or the working directory.

    None when the package was installed from an archive and the notebook runs outside a course
    folder (Colab, a student's own folder).
    """
    starts = [Path(__file__).resolve().parent.parent, Path.cwd().resolve()]
    for start in starts:
        for folder in (start, *start.parents):
            if any((folder / m).is_file() for m in _MARKERS) and (folder / "llmcourse").is_dir():
                return folder
    return None


def data_dir() -> Path | None:
    root = course_root()
    return root / "data" if root else None


def artifacts_dir() -> Path:
    """Where trained models are saved for later lessons (created on demand).

    LLMCOURSE_ARTIFACTS, else `artifacts/` in the course folder, else ~/.cache/llmcourse.
    """
    if os.environ.get("LLMCOURSE_ARTIFACTS"):
        path = Path(os.environ["LLMCOURSE_ARTIFACTS"]).expanduser()
    elif course_root() is not None:
        path = course_root() / "artifacts"
    else:
        path = Path.home() / ".cache" / "llmcourse"
    path.mkdir(parents=True, exist_ok=True)
    return path


def keep_artifacts_on_drive(keep: bool | None = None) -> Path | None:
    """On Colab (the setup cell calls it there only): keep artifacts on Google Drive if the
    student wants to. keep: True or False answers, None asks. Returns the Drive folder in use, or
    None when artifacts stay on this runtime. An LLMCOURSE_ARTIFACTS already set (an earlier run
    of the setup cell, or the student's own choice) is kept, and nothing is asked."""
    if os.environ.get("LLMCOURSE_ARTIFACTS"):
        print(f"artifacts (trained models for later lessons) go to {artifacts_dir()} (LLMCOURSE_ARTIFACTS)")
        return None
    if keep is None:
        keep = _ask()
    if not keep:
        print(f"artifacts go to {artifacts_dir()}, on this Colab runtime only: they are gone when it "
              "ends, and a later lesson that needs this one's model will not find it. To keep them, "
              "run this cell again and answer y (or set KEEP_ON_DRIVE = True).")
        return None
    from google.colab import drive  # only on Colab

    drive.mount(str(DRIVE))  # Colab asks the student to allow access
    folder = DRIVE / DRIVE_FOLDER
    os.environ["LLMCOURSE_ARTIFACTS"] = str(folder)
    print(f"artifacts (trained models for later lessons) go to {artifacts_dir()} on your Google Drive; "
          "the next lessons find them there when you mount the same Drive")
    return folder


def _ask() -> bool:
    print("Lessons 04-07 train models that later lessons reuse. A Colab runtime forgets its files "
          "when it ends (and every notebook gets its own), your Google Drive keeps them.")
    try:
        answer = input("Keep the course's trained models on your Google Drive? [y/N] ")
    except (EOFError, NotImplementedError):  # no one to ask (stdin closed, or a kernel without it)
        return False
    return answer.strip().lower() in ("y", "yes")
