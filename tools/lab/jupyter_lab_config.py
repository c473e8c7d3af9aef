# JupyterLab for this repository (make lab; the live-path browser test uses it too):
# JUPYTER_CONFIG_DIR=tools/lab, so nothing is read from or written to ~/.jupyter for config.
from pathlib import Path

c = get_config()  # noqa: F821 -- provided by Jupyter when it reads this file
HERE = Path(__file__).resolve().parent

c.ServerApp.ip = "127.0.0.1"
c.ServerApp.open_browser = False  # the URL is printed; these machines have no display
c.ServerApp.allow_root = True  # these machines run as root
c.ServerApp.root_dir = str(HERE.parents[1] / "notebooks")
# quiet: no "get notified about Jupyter news?" prompt, no update checks, nothing fetched
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"
# settings shipped with the repository (tools/lab/settings/overrides.json): news off, every
# notebook cell rendered (no windowing), so a reader (and the test) sees the whole notebook
c.LabApp.app_settings_dir = str(HERE / "settings")
