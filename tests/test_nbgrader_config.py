"""nbgrader_config.py swaps one step of nbgrader's autograde pipeline and keeps the others."""

import re

from traitlets.config import Config, PyFileConfigLoader

from autograder.course import CONFIG


def test_autograde_keeps_nbgrader_steps_with_the_grading_execute():
    from nbgrader.converters.autograde import Autograde
    from nbgrader.preprocessors import Execute

    from autograder.grading_execute import GradingExecute

    loader = PyFileConfigLoader(CONFIG.name, path=str(CONFIG.parent))
    ours = loader.load_config().Autograde.autograde_preprocessors
    assert isinstance(ours, list), "nbgrader_config.py no longer sets Autograde.autograde_preprocessors"
    defaults = Autograde(config=Config()).autograde_preprocessors
    names = [f"{p.__module__}.{p.__qualname__}" for p in defaults]
    expected = ["autograder.grading_execute.GradingExecute" if p is Execute else n
                for p, n in zip(defaults, names)]
    # nbgrader's own classes may live in submodules; compare by class name where they do
    assert [o.rsplit(".", 1)[-1] for o in ours] == [e.rsplit(".", 1)[-1] for e in expected], (
        "nbgrader's autograde steps changed; update nbgrader_config.py")
    assert issubclass(GradingExecute, Execute)


def test_rendered_submissions_carry_no_script():
    """What formgrader's exporter does with the course's configuration: a student's outputs,
    Markdown and metadata come out passive (tests/test_score_channel.py opens it in a browser)."""
    from nbconvert import HTMLExporter
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    script = "window.pwned=1"
    cell = new_code_cell("x = 1", metadata={"nbgrader": {"grade_id": f"a\"><script>{script}</script>",
                                                        "points": "x", "solution": True}, "alt": script},
                         outputs=[new_output("display_data", {"text/html": f"<b>kept</b><img src=x onerror='{script}'>",
                                                              "application/javascript": script,
                                                              "image/png": f"\" onerror=\"{script}",
                                                              "text/plain": "plain"},
                                             metadata={"image/png": {"width": f"1 onerror={script}"}})])
    nb = new_notebook(cells=[cell, new_markdown_cell(f"*note* <img src=y onerror='{script}'> <script>{script}</script>")])
    config = PyFileConfigLoader(CONFIG.name, path=str(CONFIG.parent)).load_config()
    html, _ = HTMLExporter(config=config, template_name="classic").from_notebook_node(nb)
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", html, re.S)
    assert not [s for s in scripts if "pwned" in s] and "onerror" not in html
    assert "<b>kept</b>" in html and "<em>note</em>" in html and "plain" not in html  # html wins over text
