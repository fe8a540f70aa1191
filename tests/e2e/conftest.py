"""Shared fixtures for the real-browser tests: a Streamlit server factory and a headless Chromium."""

from __future__ import annotations

import os
import shutil

import pytest

from .helpers import CHROMIUM, CHROMIUM_ARGS, StreamlitServer


def pytest_collection_modifyitems(config, items):
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM}; install Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def streamlit_server(tmp_path):
    """Factory: ``srv = streamlit_server(workspace=None)`` starts the app; every server is stopped at teardown."""
    started: list[StreamlitServer] = []

    def start(workspace=None, port=None):
        ws = workspace or (tmp_path / "workspace")
        ws.mkdir(parents=True, exist_ok=True)
        srv = StreamlitServer(ws, port=port, log_dir=tmp_path).start()
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.stop()


@pytest.fixture
def screenshot_dir(tmp_path):
    d = tmp_path / "screenshots"
    d.mkdir()
    return d
