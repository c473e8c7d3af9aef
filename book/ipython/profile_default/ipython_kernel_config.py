# The kernel that executes notebooks for the book (IPYTHONDIR=book/ipython, set by the Makefile):
# explorers also display their kernel-free view (theorybench.static_view), which the static book
# prefers. JupyterLab (make lab) does not use this profile and shows the live widgets only.
c = get_config()  # noqa: F821 -- provided by IPython when it reads this file
c.InteractiveShellApp.extensions = ["theorybench.static_view"]
c.HistoryManager.enabled = False  # nothing written beside this file
