"""The live path, as a reader runs it: JupyterLab (the repository's configuration, tools/lab) in
headless Chromium with all network but 127.0.0.1 cut. Every notebook is opened and run up to and
including its explorer (the kernel path is what this proves; nbval and the book run every cell),
and must do so without a cell error or a console error, with its MyST markup rendered
(no raw ``{doc}`` / ``{cite}``); dragging the first slider of its explorer must change the figure,
computed by the kernel. Screenshots after the drag: book/_build/screenshots/lab-*.png. The
server is stopped by its process id.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
SHOTS = ROOT / "book" / "_build" / "screenshots"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def live() -> dict:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None or shutil.which("node") is None:
        pytest.skip("Chromium or node missing (make browser installs them where it can)")
    if not (ROOT / "tests/browser/node_modules/playwright-core").exists():
        pytest.skip("playwright-core missing: `make browser` installs it from npm")
    port, token = _free_port(), secrets.token_hex(16)
    home = Path(tempfile.mkdtemp(prefix="tb-lab-"))
    env = {k: v for k, v in os.environ.items() if k != "IPYTHONDIR"}  # the reader's kernel
    env |= {
        "JUPYTER_CONFIG_DIR": str(ROOT / "tools" / "lab"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
    }
    log = open(home / "server.log", "w")  # noqa: SIM115 -- closed after the server stops
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            f"--ServerApp.port={port}",
            f"--IdentityProvider.token={token}",
            "--LabApp.expose_app_in_browser=True",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None:
                    pytest.fail(f"JupyterLab exited: {(home / 'server.log').read_text()[-2000:]}")
                time.sleep(0.5)
        SHOTS.mkdir(parents=True, exist_ok=True)
        out = subprocess.run(
            ["node", str(ROOT / "tests/browser/lab_live.mjs"), str(SHOTS), base, token, *NOTEBOOKS],
            capture_output=True,
            text=True,
            timeout=900,
            env=os.environ | {"CHROMIUM": chromium},
        )
        assert out.returncode == 0, out.stderr[-3000:]
        results = {r["notebook"]: r for r in json.loads(out.stdout)}
        (SHOTS / "lab-live.json").write_text(json.dumps(results, indent=1))
        return results
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # the server by its process id, with its kernels
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()
        shutil.rmtree(home, ignore_errors=True)


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_notebook_runs_in_jupyterlab_without_errors(live: dict, notebook: str) -> None:
    result = live[notebook]
    assert "failure" not in result, result.get("failure")
    assert not result["cellErrors"], result["cellErrors"]
    assert not result["errors"], result["errors"]


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_myst_markup_is_rendered_in_jupyterlab(live: dict, notebook: str) -> None:
    assert live[notebook]["markdownCells"] >= 3, "no rendered markdown cells found"
    assert not live[notebook]["rawMyst"], live[notebook]["rawMyst"]


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_dragging_a_slider_recomputes_the_figure_in_jupyterlab(live: dict, notebook: str) -> None:
    assert live[notebook]["changed"], "the figure did not change after the drag"
    assert (SHOTS / f"lab-{notebook.removesuffix('.ipynb')}-after.png").stat().st_size > 5_000
