"""nbgrader_config.py swaps one step of nbgrader's autograde pipeline and keeps the others."""

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
