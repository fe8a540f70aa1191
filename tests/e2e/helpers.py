"""Start the real app (``streamlit run app.py``) on a free localhost port and drive it in headless Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CINELENS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StreamlitServer:
    """A ``streamlit run app.py`` subprocess bound to 127.0.0.1 with its own workspace folder."""

    def __init__(self, workspace: Path, port: int | None = None, log_dir: Path | None = None):
        self.workspace = Path(workspace)
        self.port = port or free_port()
        self.log_path = (log_dir or self.workspace) / f"streamlit-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90) -> "StreamlitServer":
        env = {**os.environ, "CINELENS_WORKSPACE": str(self.workspace), "PYTHONUNBUFFERED": "1"}
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.headless",
                "true",
                "--server.address",
                "127.0.0.1",
                "--server.port",
                str(self.port),
                "--browser.gatherUsageStats",
                "false",
                "--server.fileWatcherType",
                "none",
            ],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited early; log: {self.log_path.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"streamlit did not become healthy in {timeout}s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if getattr(self, "_log", None):
            self._log.close()
            self._log = None


def wait_for_app(page, timeout: float = 60_000) -> None:
    """Wait until Streamlit has rendered the page and finished running the script.

    The running indicator (``stStatusWidget``) appears a moment after navigation, so "absent" only
    counts once the main block has content and it stays absent for several consecutive checks.
    """
    page.wait_for_selector("[data-testid='stMainBlockContainer']", timeout=timeout)
    page.wait_for_function(
        """() => {
            const idle = !document.querySelector('[data-testid="stStatusWidget"]')
                && document.querySelector('[data-testid="stMainBlockContainer"] [data-testid="stElementContainer"]');
            window.__cinelensIdle = idle ? (window.__cinelensIdle || 0) + 1 : 0;
            return window.__cinelensIdle >= 4;
        }""",
        timeout=timeout,
        polling=250,
    )


def metrics(page) -> dict:
    """{label: value} of every ``st.metric`` on the page, as shown."""
    out = {}
    for m in page.locator("[data-testid='stMetric']").all():
        label = m.locator("[data-testid='stMetricLabel']").inner_text().strip()
        out[label] = m.locator("[data-testid='stMetricValue']").inner_text().strip()
    return out
