"""Real browser: open Recommend, fit a model, choose a user, like a film, retrain, restart the server with the
same workspace, reload, and find the feedback and the new model version still there."""

from __future__ import annotations

from .helpers import wait_for_app

USER = "U0002"


def _open(page, srv):
    """Open the app at its root (the router) and go to Recommend through the sidebar navigation
    (straight to /recommend when the router shows no navigation, e.g. while a page file is missing)."""
    page.set_default_timeout(120_000)  # a fresh server on a busy machine can take a while for its first run
    page.goto(srv.url)
    wait_for_app(page)
    link = page.locator("[data-testid='stSidebarNav'] a").filter(has_text="个性化推荐").first
    try:
        link.wait_for(timeout=60_000)
        link.click()
    except Exception:  # noqa: BLE001 - fall back to the page URL
        page.goto(f"{srv.url}/recommend")
    wait_for_app(page)
    page.locator("h1").filter(has_text="个性化推荐").first.wait_for(timeout=120_000)


def _choose_user(page, user):
    box = page.locator("input[aria-label='用户 ID']")
    box.wait_for(timeout=180_000)
    box.fill(user)
    box.press("Enter")
    wait_for_app(page)
    page.get_by_text("推荐 Top").first.wait_for(timeout=60_000)


def _model_label(page) -> str:
    return page.locator("input[aria-label='模型']").first.input_value()


def test_like_retrain_restart_keeps_feedback_and_model_version(browser, streamlit_server, screenshot_dir):
    srv = streamlit_server()
    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    _open(page, srv)
    page.get_by_role("button", name="训练并登记").click()
    wait_for_app(page)
    page.get_by_text("推荐 Top").first.wait_for(timeout=180_000)
    _choose_user(page, USER)
    assert page.locator("[data-testid='stException']").count() == 0
    first_card = page.locator("[data-testid='stMarkdownContainer'] strong").filter(has_text="1. ").first
    liked_title = first_card.inner_text().split(". ", 1)[1]
    page.screenshot(path=str(screenshot_dir / "recommend-1-list.png"), full_page=True)

    page.locator("[class*='st-key-rec_fb_like_'] button").first.click()
    wait_for_app(page)
    page.get_by_text("反馈记录（1 条）").wait_for(timeout=60_000)
    page.get_by_role("button", name="用反馈重训").click()
    wait_for_app(page)
    page.get_by_text("重训后这位用户的列表变化").wait_for(timeout=180_000)
    assert "用 1 条反馈重新训练" in _model_label(page)  # the picker selected the new version
    titles_after = page.locator("[data-testid='stMarkdownContainer'] strong").all_inner_texts()
    assert not any(t.endswith(f". {liked_title}") for t in titles_after)  # the liked film is history now
    page.screenshot(path=str(screenshot_dir / "recommend-2-retrained.png"), full_page=True)
    page.close()
    srv.stop()

    again = streamlit_server(workspace=srv.workspace)
    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    _open(page, again)
    _choose_user(page, USER)
    page.get_by_text("反馈记录（1 条）").wait_for(timeout=60_000)
    assert "用 1 条反馈重新训练" in _model_label(page)  # newest version is the default
    page.get_by_role("tab", name="监控").click()
    wait_for_app(page)
    page.get_by_text("已登记模型").first.wait_for(timeout=30_000)
    metrics = page.locator("[data-testid='stMetric']").all_inner_texts()
    assert any("已登记模型" in m and "2" in m for m in metrics)
    assert any("反馈事件" in m and "1" in m for m in metrics)
    assert page.locator("[data-testid='stException']").count() == 0
    page.screenshot(path=str(screenshot_dir / "recommend-3-after-restart.png"), full_page=True)
    page.close()
    again.stop()

    from recsys_core.store import open_workspace

    ws = open_workspace(srv.workspace)
    fb = ws.feedback()
    assert fb[["user_id", "action"]].values.tolist() == [[USER, "like"]]
    models = ws.list_models().sort_values("created")
    assert models["note"].tolist()[-1] == "retrained:1"
    assert fb["model_id"].iloc[0] == models["model_id"].iloc[0]
    ws.close()
