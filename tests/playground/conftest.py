"""The playground as a newcomer starts it (`python -m bot playground --demo`), and Chromium.

One playground process and one browser per module: starting them is most of the cost. Chromium
is Debian's (`apt-get install chromium`; Playwright's own download is out of reach here), found at
PLAYGROUND_CHROMIUM or /usr/bin/chromium. Screenshots of each step go to PLAYGROUND_SCREENSHOTS,
else to a folder under pytest's temporary directory; the folder is printed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.webhook_runner import free_port

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 90.0


@dataclass
class RunningPlayground:
    url: str
    process: subprocess.Popen
    started: float  # time.monotonic() when the command was run
    output: list[str]


def _chromium() -> str | None:
    configured = os.environ.get("PLAYGROUND_CHROMIUM")
    if configured:
        return configured
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def playground(tmp_path_factory):
    """`python -m bot playground --demo --fresh` in a folder of its own, stopped with Ctrl-C."""
    folder = tmp_path_factory.mktemp("playground")
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    for name in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL", "WEBHOOK_URL"):
        env.pop(name, None)  # a developer's real deployment must not leak in
    command = [sys.executable, "-m", "bot", "playground", "--demo", "--fresh", "--port", str(port)]
    started = time.monotonic()
    process = subprocess.Popen(
        command,
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        output.append(line)
        if "Playground ready" in line:
            break
    else:
        line = ""
    if "Playground ready" not in "".join(output):
        process.kill()
        pytest.fail("the playground did not start:\n" + "".join(output[-40:]))
    running = RunningPlayground(f"http://127.0.0.1:{port}", process, started, output)
    yield running
    process.send_signal(signal.SIGINT)  # Ctrl-C
    rest, _ = process.communicate(timeout=30)
    output.append(rest)
    assert process.returncode == 0, "".join(output[-40:])
    assert "playground stopped" in rest


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    executable = _chromium()
    if executable is None:
        message = "no Chromium: apt-get install chromium (or set PLAYGROUND_CHROMIUM)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with sync_api.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=executable, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def screenshots(request, tmp_path_factory) -> Path:
    configured = os.environ.get("PLAYGROUND_SCREENSHOTS")
    folder = Path(configured) if configured else tmp_path_factory.getbasetemp() / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"playground screenshots: {folder.resolve()}")
    return folder


@pytest.fixture
def page(browser, playground):
    """A phone-sized page (Pixel 7's viewport), downloads allowed."""
    context = browser.new_context(viewport={"width": 412, "height": 915}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
