"""Real browser: switching the UI language keeps the choices made on the Models and Audience pages.

Streamlit matches a select widget's value by its displayed label, so without care a language switch
drops every choice whose label is translated (the Models page used to forget its models)."""

from __future__ import annotations

import time

from .helpers import wait_for_app

PANEL = "[data-testid='stTabPanel']:visible"


def _tags(locator) -> list[str]:
    return [x.get_attribute("aria-label") for x in locator.locator("[data-tag]").all()]


def _tags_once_redrawn(page, locator, want: list[str], timeout_s: float = 60.0) -> list[str]:
    """The tags after the rerun a tab click starts has redrawn them: polled until they equal ``want`` or
    the time is up (then the last tags seen, for the assertion to show)."""
    deadline = time.monotonic() + timeout_s
    tags = _tags(locator)
    while tags != want and time.monotonic() < deadline:
        page.wait_for_timeout(250)
        tags = _tags(locator)
    return tags


def _sidebar_version(page) -> str:
    return page.locator("[data-testid='stSidebar'] input[role='combobox']").first.input_value()


def _choose(page, multiselect, option: str) -> list[str]:
    """Pick one option of a multiselect, close its list, wait for the rerun; returns the chosen tags."""
    multiselect.click()
    page.get_by_role("option", name=option).click()
    page.keyboard.press("Escape")
    wait_for_app(page)
    return _tags(multiselect)


def test_language_switch_keeps_choices(browser, streamlit_server, screenshot_dir):
    srv = streamlit_server()
    page = browser.new_page(viewport={"width": 1400, "height": 1400})
    page.goto(f"{srv.url}/models")
    wait_for_app(page, 180_000)
    models = page.locator("[data-testid='stMultiSelect']:visible").first
    assert _tags(models) == ["全局均值 · baseline", "用户/影片偏置 · bias", "热门度 · popularity", "SVD 矩阵分解 · svd"]
    page.get_by_text("English", exact=True).click()
    page.get_by_text("Models to compare").first.wait_for(timeout=60_000)
    wait_for_app(page)
    assert _tags(models) == ["Global mean · baseline", "User/item bias · bias", "Popularity", "SVD"]
    # the sidebar's dataset picker redraws its label in the new language (Streamlit kept the old one)
    assert _sidebar_version(page) == "v1 · demo · 60,061 records"
    assert page.get_by_text("Choose at least one model").count() == 0
    page.screenshot(path=str(screenshot_dir / "models-english.png"), full_page=True)

    # Audience, target tab: a new film described by a genre, then back to Chinese
    page.locator("[data-testid='stSidebarNav'] a[href$='/audience']").click()  # same session: still English
    page.get_by_role("tab", name="Target audience").wait_for(timeout=180_000)
    wait_for_app(page, 180_000)
    page.get_by_role("tab", name="Target audience").click()
    page.get_by_text("Describe a new film").click()
    wait_for_app(page)
    genres = page.locator(f"{PANEL} [data-testid='stMultiSelect']").first
    assert _choose(page, genres, "Comedy") == ["comedy"]
    page.get_by_text("中文", exact=True).click()
    page.get_by_role("tab", name="目标受众").wait_for(timeout=60_000)
    wait_for_app(page)
    page.get_by_role("tab", name="目标受众").click()
    genres = page.locator(f"{PANEL} [data-testid='stMultiSelect']").first
    assert _tags_once_redrawn(page, genres, ["喜剧"]) == ["喜剧"]
    assert _sidebar_version(page) == "v1 · demo · 60,061 条记录"
    assert page.locator("[data-testid='stException']").count() == 0
    page.close()


def test_recommend_genre_filter_follows_the_language_and_keeps_the_choice(browser, streamlit_server):
    srv = streamlit_server()
    page = browser.new_page(viewport={"width": 1400, "height": 1400})
    page.set_default_timeout(180_000)
    page.goto(f"{srv.url}/recommend")
    wait_for_app(page, 180_000)
    page.get_by_role("button", name="训练并登记").click()
    wait_for_app(page)
    page.get_by_text("推荐 Top").first.wait_for()
    assert _choose(page, page.locator("[data-testid='stMultiSelect']:visible").first, "喜剧") == ["喜剧"]
    page.get_by_text("English", exact=True).click()
    page.get_by_text("Top 10 recommendations").first.wait_for(timeout=60_000)
    wait_for_app(page)
    assert _tags(page.locator("[data-testid='stMultiSelect']:visible").first) == ["comedy"]
    chips = page.locator("[data-testid='stMarkdownContainer'] span").all_inner_texts()
    assert "comedy" in chips and "喜剧" not in chips  # the filtered list's genre chips are English too
    assert page.locator("[data-testid='stException']").count() == 0
    page.close()
