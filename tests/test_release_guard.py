"""Releasing never destroys work: a notebook in notebooks/ that changed after it was generated
(answers typed in, run, saved) is not overwritten unless asked, and the main job does not write
notebooks/ at all."""

import json
import shutil
import subprocess

import pytest

from autograder import run_course
from autograder.course import lessons, release_notebook
from autograder.release import STAMP, ReleaseWouldOverwrite, replace, safe_to_replace, stamp


def fake_release(folder, lesson="00_setup"):
    """A release as generate() leaves it in its staging folder: a copy of ours, stamped."""
    (folder / lesson).mkdir(parents=True)
    path = folder / lesson / f"{lesson}.ipynb"
    shutil.copy(release_notebook(lesson), path)
    stamp(path)
    return path


def type_an_answer(path):
    nb = json.loads(path.read_text())
    nb["cells"][-1]["source"] = ["my own notes, two hours of work"]
    path.write_text(json.dumps(nb, indent=1))


@pytest.mark.parametrize("lesson", lessons())
def test_committed_releases_are_stamped_as_generated(lesson):
    nb = json.loads(release_notebook(lesson).read_text())
    assert STAMP in nb["metadata"] and safe_to_replace(release_notebook(lesson))


def test_a_changed_release_is_not_overwritten_unless_forced(tmp_path):
    releases, staging = tmp_path / "notebooks", tmp_path / "staging"
    mine = fake_release(releases)
    assert safe_to_replace(mine)
    type_an_answer(mine)
    assert not safe_to_replace(mine)
    fake_release(staging)
    with pytest.raises(ReleaseWouldOverwrite, match="00_setup.ipynb") as refused:
        replace(staging, releases, ["00_setup"])
    assert "--force" in str(refused.value) and "two hours of work" in mine.read_text()
    replace(staging, releases, ["00_setup"], force=True)
    assert "two hours of work" not in mine.read_text() and safe_to_replace(mine)


def test_an_untouched_release_is_replaced(tmp_path):
    releases, staging = tmp_path / "notebooks", tmp_path / "staging"
    fake_release(releases)
    (releases / "00_setup" / "stale.png").write_bytes(b"old")
    fake_release(staging)
    replace(staging, releases, ["00_setup"])
    assert not (releases / "00_setup" / "stale.png").exists()


def test_an_unstamped_notebook_is_replaced_only_if_git_holds_it(tmp_path):
    repo = tmp_path / "repo"
    (repo / "00_setup").mkdir(parents=True)
    path = repo / "00_setup" / "00_setup.ipynb"
    shutil.copy(release_notebook("00_setup"), path)  # as an older release left it: no stamp
    json_nb = json.loads(path.read_text())
    json_nb["metadata"].pop(STAMP, None)
    path.write_text(json.dumps(json_nb))
    assert not safe_to_replace(path), "not in git and not stamped: nothing else holds it"
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(repo)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "release"], check=True)
    assert safe_to_replace(path)
    type_an_answer(path)
    assert not safe_to_replace(path)


class Built(Exception):
    pass


def test_the_main_job_builds_releases_outside_notebooks(tmp_path, monkeypatch):
    def generate(selected, releases=None, course_dir=None, **_):
        raise Built(releases)

    monkeypatch.setattr(run_course, "generate", generate)
    with pytest.raises(Built) as built:
        run_course.run(["00_setup"], mode="fast", build=tmp_path)
    assert built.value.args[0] == tmp_path / "course" / "release"
