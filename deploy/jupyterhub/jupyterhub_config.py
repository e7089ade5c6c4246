"""JupyterHub for the course on one machine (docs/jupyterhub.md):

    sudo jupyterhub -f deploy/jupyterhub/jupyterhub_config.py

Every user logs in with their local account (PAM) and gets a JupyterLab server running as that
account, in their home folder; nbgrader's Assignments tab talks to the exchange folder below.
Admins are the course's instructors: their servers also get formgrader; students' servers get
only the assignment list and the validate button. Change the four settings below for a class;
another file can `load_subconfig` this one and override anything (the end-to-end test does).
"""
import os
from pathlib import Path

c = get_config()  # noqa: F821  (injected by JupyterHub)
HERE = Path(__file__).resolve().parent  # must be readable by every user (e.g. the course in /opt)

INSTRUCTORS = {"instructor"}             # local accounts that grade (formgrader, admin)
STUDENTS: set[str] = set()               # local accounts that may log in; empty: any local account
EXCHANGE = "/srv/nbgrader/exchange"      # created once: mkdir -p ...; chmod 1777 (see the docs)
STATE = Path("/srv/jupyterhub")          # the hub's database and cookie secret

c.JupyterHub.bind_url = "http://:8000"   # put TLS in front of it (or set ssl_cert/ssl_key) for a class
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")

c.Authenticator.admin_users = INSTRUCTORS
if STUDENTS:
    c.Authenticator.allowed_users = INSTRUCTORS | STUDENTS
else:
    c.Authenticator.allow_all = True     # PAM: anyone with an account on this machine

# Each user's server runs as that user (JupyterHub's LocalProcessSpawner; the hub runs as root),
# so the operating system keeps students out of each other's homes and out of the instructor's.
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.environment = {"LLMCOURSE_EXCHANGE": EXCHANGE}


def _role_config(spawner):
    """Students' servers read student/ first (no formgrader, no course list); everyone reads
    common/ (the course id and the exchange)."""
    folders = [HERE / "common"] if spawner.user.admin else [HERE / "student", HERE / "common"]
    extra = spawner.environment.get("JUPYTER_CONFIG_PATH", "")
    spawner.environment = {**spawner.environment,
                           "JUPYTER_CONFIG_PATH": os.pathsep.join([*map(str, folders), *([extra] if extra else [])])}


c.Spawner.pre_spawn_hook = _role_config
