"""Walk every page and every tab in Chinese, then in English, in one real browser session, and check what a
first-time viewer would see: no traceback, no "None"/"nan" cell, no Chinese in English-mode labels, and no
request leaving the machine (the tab icon used to come from fonts.gstatic.com)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from .helpers import wait_for_app

MAIN = "[data-testid='stMainBlockContainer']"
PANEL = "[data-testid='stTabPanel']:visible [data-testid='stElementContainer']"
OUTPUT = f"{MAIN} [data-testid='stDataFrame'], {MAIN} [data-testid='stPlotlyChart'], {MAIN} [data-testid='stMetric']"
CJK = re.compile(r"[\u3400-\u9fff]")
# (url path, Chinese heading, English heading, the click that produces the page's main output)
PAGES = [
    ("", "数据", "Data", None),
    ("audience", "受众画像", "Audience", None),
    ("reviews", "影评分析", "Reviews", "运行情感分析"),
    ("models", "模型对比", "Models", "训练并对比"),
    ("recommend", "个性化推荐", "Recommend", "训练并登记"),
    ("promotion", "推广", "Promotion", None),
]
# labels that carry data values in English mode (film titles, user ids, persona names from the data's genres)
LABELS = ", ".join(
    f"{MAIN} {sel}"
    for sel in (
        "h1",
        "h2",
        "h3",
        "[role='tab']",
        "[data-testid='stWidgetLabel']",
        "[data-testid='stMetricLabel']",
        "[role='columnheader']",
        "[data-testid='stCaptionContainer']",
        "button",
    )
)


def _problems(page, english: bool) -> list[str]:
    out = []
    main = page.locator(MAIN)
    if page.locator("[data-testid='stException']").count():
        out.append("a Streamlit exception box")
    text = main.inner_text()
    if "Traceback (most recent call last)" in text:
        out.append("traceback text")
    cells = [c.strip() for c in page.locator(f"{MAIN} [role='gridcell']").all_inner_texts()]
    bad = sorted({c for c in cells if c in ("None", "nan", "NaN", "<NA>", "NaT")})
    if bad:
        out.append(f"cells {bad}")
    if english:
        labels = [x.strip() for x in page.locator(LABELS).all_inner_texts()]
        chinese = sorted({x for x in labels if CJK.search(x) and not _data_value(x)})
        if chinese:
            out.append(f"Chinese in English labels: {chinese[:8]}")
    return out


def _data_value(text: str) -> bool:
    """Labels allowed to hold Chinese in English mode: a film title or a user's words quoted in them."""
    return bool(re.search(r"[《“\"']", text)) or text.startswith(("Film ", "User ", "Top 5 for user"))


def _walk(page, shots: Path, lang: str, url: str, heading: str, problems: list) -> None:
    page.locator(f"{MAIN} [role='tablist']").first.wait_for(timeout=120_000)  # every page has tabs
    tabs = page.locator(f"{MAIN} [role='tablist']").first.locator("[role='tab']")  # the page's own tabs
    names = [n.strip() for n in tabs.all_inner_texts()] or [None]
    for i, name in enumerate(names):
        if name is not None:
            tabs.nth(i).click()
            # a lazy tab is empty until the rerun it triggers has drawn it
            page.locator(PANEL).first.wait_for(state="visible", timeout=300_000)
            wait_for_app(page, 300_000)
        found = _problems(page, english=lang == "en")
        if found:
            problems.append(f"{lang} {heading} / {name}: {'; '.join(found)}")
        page.screenshot(path=str(shots / f"{url or 'data'}-{i}-{lang}.png"), full_page=True)


def test_every_page_and_tab_in_both_languages(browser, streamlit_server, screenshot_dir):
    shots = Path(os.environ.get("CINELENS_SHOTS", str(screenshot_dir)))
    shots.mkdir(parents=True, exist_ok=True)
    srv = streamlit_server()
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith((srv.url, "data:", "blob:")) else None)
    problems: list[str] = []
    page.goto(srv.url)
    wait_for_app(page, 180_000)
    for url, zh, _en, button in PAGES:
        page.locator("[data-testid='stSidebarNav'] a").filter(has_text=zh).first.click()
        wait_for_app(page, 180_000)
        page.locator("h1").filter(has_text=zh).first.wait_for(timeout=120_000)
        if button:
            page.locator(MAIN).get_by_role("button", name=button).first.click(timeout=120_000)
            wait_for_app(page, 600_000)
            # the click's output (tabs of results, a results table, a list) before walking the tabs
            page.locator(OUTPUT).locator("visible=true").first.wait_for(state="visible", timeout=600_000)
            if url == "reviews":
                page.locator(f"{MAIN} [role='tab']").first.wait_for(timeout=600_000)
            wait_for_app(page, 600_000)
        _walk(page, shots, "zh", url, zh, problems)

    page.locator("[data-testid='stSidebar']").get_by_text("English", exact=True).click()
    wait_for_app(page)
    for url, _zh, en, _button in PAGES:
        page.locator("[data-testid='stSidebarNav'] a").filter(has_text=en).first.click()
        wait_for_app(page, 180_000)
        page.locator("h1").filter(has_text=en).first.wait_for(timeout=120_000)
        _walk(page, shots, "en", url, en, problems)
    page.close()
    assert problems == []
    assert outside == []
