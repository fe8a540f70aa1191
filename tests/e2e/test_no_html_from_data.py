"""Real browser: film titles full of markup render as text on the Recommend page, never as live elements."""

from __future__ import annotations

from recsys_core import Trainset
from recsys_core.models import BiasBaseline
from recsys_core.store import Workspace

from ..recommend.fixtures import tiny_dataset
from .helpers import wait_for_app

OUTSIDE = "http://127.0.0.1:9"  # nothing listens there; any request to it came from data
CRAFTED = (
    "<style>.stApp{{display:none}} .evil-{k}{{}}</style>"
    "<form id='evil-form-{k}' action='{o}/steal'><input type='password' name='pw'></form>"
    "<iframe src='{o}/frame-{k}'></iframe><img src='{o}/img-{k}.png'>"
    "![poster]({o}/md-{k}.png) [click]({o}/link-{k}) 影片{k}"
)


def _workspace_with_crafted_titles(path):
    ds = tiny_dataset()
    ds.items["title"] = [CRAFTED.format(k=k, o=OUTSIDE) for k in range(len(ds.items))]
    ws = Workspace(path)
    v = ws.add_version(ds, kind="raw")
    ws.set_active(v)
    ws.register_model(BiasBaseline().fit(Trainset.from_dataset(ws.load_version(v))), "bias", {}, v)
    ws.close()


def test_crafted_titles_are_text_not_elements(browser, streamlit_server, screenshot_dir, tmp_path):
    ws_path = tmp_path / "crafted-ws"
    _workspace_with_crafted_titles(ws_path)
    srv = streamlit_server(workspace=ws_path)
    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    page.set_default_timeout(120_000)
    outside_requests: list[str] = []
    page.on("request", lambda r: outside_requests.append(r.url) if r.url.startswith(OUTSIDE) else None)
    page.goto(f"{srv.url}/recommend")
    wait_for_app(page, timeout=240_000)  # a first run on a busy machine can be slow
    box = page.locator("input[aria-label='用户 ID']")
    box.wait_for(timeout=180_000)
    box.fill("u01")
    box.press("Enter")
    wait_for_app(page, timeout=240_000)
    page.get_by_text("推荐 Top").first.wait_for(timeout=60_000)
    page.screenshot(path=str(screenshot_dir / "crafted-titles.png"), full_page=True)

    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("form[id^='evil-form']").count() == 0
    assert page.locator("input[type='password']").count() == 0
    assert page.locator(f"iframe[src^='{OUTSIDE}']").count() == 0
    assert page.locator(f"img[src^='{OUTSIDE}']").count() == 0
    assert page.locator(f"a[href^='{OUTSIDE}']").count() == 0
    styles = page.eval_on_selector_all("style", "els => els.map(e => e.textContent)")
    assert not any("evil-" in s for s in styles)
    assert page.locator(".stApp").first.is_visible()
    assert outside_requests == []
    # the titles are shown, literally, as text
    shown = page.locator("[data-testid='stMarkdownContainer'] strong").all_inner_texts()
    assert sum("<iframe src=" in s and "影片" in s for s in shown) >= 5
    page.close()
