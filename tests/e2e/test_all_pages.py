"""Start the real app on a fresh workspace and open every page in headless Chromium, in Chinese and English."""

from __future__ import annotations

from .helpers import wait_for_app

PAGES = [  # url path (the Data page is the default page, served at the root), Chinese heading, English heading,
    # and the primary button whose result is the page's main output (None: the page shows it on opening)
    ("", "数据", "Data", None),
    ("audience", "受众画像", "Audience", None),
    ("reviews", "影评分析", "Reviews", "运行情感分析"),
    ("models", "模型对比", "Models", "训练并对比"),
    ("recommend", "个性化推荐", "Recommend", "训练并登记"),  # a fresh workspace has no model yet
    ("promotion", "推广", "Promotion", None),  # the Tables tab's status table shows on opening
]
MAIN = "[data-testid='stDataFrame'], [data-testid='stTable'], [data-testid='stPlotlyChart']"


def _main_content(page, button: str | None, timeout_ms=300_000):
    """The page's visible main tables and charts; a page whose main output needs a click gets that button pressed.

    Whether to click is fixed per page, never decided from what happens to be on screen at that moment (a page
    still rendering on a slow machine would otherwise skip its click and wait for output that never comes)."""
    if button:
        main = page.locator("[data-testid='stMainBlockContainer']")
        main.get_by_role("button", name=button).first.click(timeout=120_000)
        wait_for_app(page)
    visible = page.locator(MAIN).locator("visible=true")
    try:
        visible.first.wait_for(state="visible", timeout=timeout_ms)
    except Exception as e:  # noqa: BLE001 - say what the page showed instead
        text = page.locator("[data-testid='stMainBlockContainer']").inner_text()[:1500]
        raise AssertionError(f"{page.url}: no table or chart appeared; the page showed:\n{text}") from e
    return visible.count()


def test_every_page_renders_heading_and_main_output(browser, streamlit_server, screenshot_dir):
    srv = streamlit_server()
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    for url, zh, _en, button in PAGES:
        page.goto(f"{srv.url}/{url}")
        wait_for_app(page)
        page.locator("h1").filter(has_text=zh).first.wait_for(timeout=120_000)
        assert _main_content(page, button) >= 1
        assert page.locator("[data-testid='stException']").count() == 0
        assert page.locator("[data-testid='stDialog']").count() == 0  # e.g. "Page not found"
        if url == "":
            headers = page.locator("[data-testid='stDataFrame'] [role='columnheader']")
            headers.first.wait_for(state="attached", timeout=60_000)
            assert headers.all_inner_texts()[:4] == ["影片 ID", "片名", "评价数", "平均分"]
        page.screenshot(path=str(screenshot_dir / f"{url or 'data'}-zh.png"), full_page=True)

    # switch language in the sidebar, then every heading is English
    page.goto(srv.url)
    wait_for_app(page)
    page.locator("[data-testid='stSidebar']").get_by_text("English", exact=True).click()
    wait_for_app(page)
    for url, _zh, en, _button in PAGES:
        page.locator("[data-testid='stSidebarNav'] a").filter(has_text=en).first.click()
        wait_for_app(page)
        page.locator("h1").filter(has_text=en).first.wait_for(timeout=60_000)
        assert page.locator("[data-testid='stException']").count() == 0
        if url == "":  # table headers follow the language too (they used to keep their first, Chinese render)
            headers = page.locator("[data-testid='stDataFrame'] [role='columnheader']")
            headers.filter(has_text="Film id").first.wait_for(state="attached", timeout=60_000)
            assert headers.all_inner_texts()[:4] == ["Film id", "Title", "Ratings/reviews", "Mean rating"]
        page.screenshot(path=str(screenshot_dir / f"{url or 'data'}-en.png"), full_page=True)
    page.close()
