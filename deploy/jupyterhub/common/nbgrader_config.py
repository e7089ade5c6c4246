"""nbgrader's settings for everyone's server on the hub: which course, and where its exchange is.
The hub puts this folder on every user's JUPYTER_CONFIG_PATH (jupyterhub_config.py)."""
import os

c = get_config()  # noqa: F821  (injected by nbgrader)
c.CourseDirectory.course_id = "transformers-from-scratch"  # the same id as the course's nbgrader_config.py
c.Exchange.root = os.environ.get("LLMCOURSE_EXCHANGE", "/srv/nbgrader/exchange")
