"""Start the real app on a fresh workspace and open every page in headless Chromium, in Chinese and English."""
from __future__ import annotations

from .helpers import wait_for_app

PAGES = [  # url path (the Data page is the default page, served at the root), Chinese heading, English heading
    ("", "数据", "Data"),
    ("audience", "受众画像", "Audience"),
    ("reviews", "影评分析", "Reviews"),
    ("models", "模型对比", "Models"),
    ("recommend", "个性化推荐", "Recommend"),
]
MAIN = "[data-testid='stDataFrame'], [data-testid='stTable'], [data-testid='stPlotlyChart']"


def _main_content(page, timeout_ms=300_000):
    """The page's visible main table or chart; a page whose main output needs a click gets its primary button pressed."""
    visible = page.locator(MAIN).locator("visible=true")
    if visible.count() == 0:
        button = page.locator("[data-testid='stMainBlockContainer'] [data-testid='stBaseButton-primary']")
        button = button.locator("visible=true").first
        if button.count():
            button.click()
    visible.first.wait_for(state="visible", timeout=timeout_ms)
    return visible.count()


def test_every_page_renders_heading_and_main_output(browser, streamlit_server, screenshot_dir):
    srv = streamlit_server()
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    for url, zh, _en in PAGES:
        page.goto(f"{srv.url}/{url}")
        wait_for_app(page)
        heading = page.locator("h1").first
        heading.wait_for(timeout=60_000)
        assert zh in heading.inner_text()
        assert _main_content(page) >= 1
        assert page.locator("[data-testid='stException']").count() == 0
        assert page.locator("[data-testid='stDialog']").count() == 0  # e.g. "Page not found"
        page.screenshot(path=str(screenshot_dir / f"{url or 'data'}-zh.png"), full_page=True)

    # switch language in the sidebar, then every heading is English
    page.goto(srv.url)
    wait_for_app(page)
    page.locator("[data-testid='stSidebar']").get_by_text("English", exact=True).click()
    wait_for_app(page)
    for url, _zh, en in PAGES:
        page.locator("[data-testid='stSidebarNav'] a").filter(has_text=en).first.click()
        wait_for_app(page)
        page.locator("h1").filter(has_text=en).first.wait_for(timeout=60_000)
        assert page.locator("[data-testid='stException']").count() == 0
        page.screenshot(path=str(screenshot_dir / f"{url or 'data'}-en.png"), full_page=True)
    page.close()
