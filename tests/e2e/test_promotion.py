"""Real browser: the Promotion page in Chinese and English - forecast, campaign, plan, export - and a
bad upload (a film table with no gross column) that gets a clear message, never a traceback."""

from __future__ import annotations

import os
import re

from .helpers import wait_for_app

PANEL = "[data-testid='stTabPanel']:visible"
SHOTS = os.environ.get("CINELENS_SHOTS")  # keep the screenshots in this folder when set


def _tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()
    wait_for_app(page)


def _click(page, name: str, done: str) -> None:
    page.locator(PANEL).get_by_role("button", name=name).click()
    wait_for_app(page, 600_000)
    page.get_by_text(done).first.wait_for(timeout=600_000)


def _no_traceback(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0
    assert "Traceback" not in page.inner_text("body")


def _shot(page, folder, name):
    page.screenshot(path=str(folder / name), full_page=True)
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, name), full_page=True)


def test_promotion_page_in_both_languages(browser, streamlit_server, screenshot_dir, tmp_path):
    srv = streamlit_server()
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    page.set_default_timeout(600_000)
    page.goto(f"{srv.url}/promotion")
    wait_for_app(page, 300_000)
    page.get_by_text("演示数据").first.wait_for()

    _tab(page, "票房预测")
    _click(page, "运行预测", "样本外 R²（对数票房）")
    assert page.get_by_text("已排除上映后才有的列").count() >= 1
    _shot(page, screenshot_dir, "promotion-forecast-zh.png")

    _tab(page, "投放效果")
    _click(page, "评估效果", "增量转化数")
    _shot(page, screenshot_dir, "promotion-campaign-zh.png")

    _tab(page, "受众计划")
    _click(page, "生成受众计划", "不同覆盖深度的触达、花费与预计增量转化")
    with page.expect_download() as dl:
        page.get_by_role("button", name="下载名单 CSV").click()
    path = dl.value.path()
    text = open(path, encoding="utf-8-sig").read()
    assert text.splitlines()[0] == "user_pseudonym,rank,score,segment,persona"
    assert "U0" not in text
    _shot(page, screenshot_dir, "promotion-plan-zh.png")
    _no_traceback(page)

    # English: the same session keeps its results, worded in English
    page.get_by_text("English", exact=True).click()
    page.get_by_role("tab", name="Audience plan").wait_for(timeout=120_000)
    wait_for_app(page)
    _tab(page, "Audience plan")
    page.get_by_text("Reach, cost and expected incremental conversions").first.wait_for()
    _shot(page, screenshot_dir, "promotion-plan-en.png")
    _tab(page, "Box-office forecast")
    page.get_by_text("Out-of-fold R² (log gross)").first.wait_for()
    _shot(page, screenshot_dir, "promotion-forecast-en.png")
    _tab(page, "Campaign lift")
    page.get_by_text("Incremental conversions").first.wait_for()
    _tab(page, "Buzz")
    page.get_by_text("Days from release").first.wait_for()
    _shot(page, screenshot_dir, "promotion-buzz-en.png")
    _no_traceback(page)

    # bad input: a film table without a gross column names the column and the fix
    bad = tmp_path / "films_no_gross.csv"
    bad.write_text("title,budget\nA,100\nB,200\n", encoding="utf-8")
    _tab(page, "Tables")
    page.locator(f"{PANEL} input[type='file']").first.set_input_files(str(bad))
    wait_for_app(page)
    msg = page.get_by_text("no gross column").first
    msg.wait_for(timeout=120_000)
    assert "add total box office as a column named gross" in msg.inner_text()
    _shot(page, screenshot_dir, "promotion-bad-upload-en.png")
    _no_traceback(page)

    # an unusual header: map it to the field with the column pickers, as on the Data page
    odd = tmp_path / "films_takings.csv"
    odd.write_text("title,budget,takings\nA,100,1000\nB,200,3000\nC,300,2000\n", encoding="utf-8")
    page.locator(f"{PANEL} input[type='file']").first.set_input_files(str(odd))
    wait_for_app(page)
    page.get_by_text("no gross column").first.wait_for(timeout=120_000)
    errors = page.locator(f"{PANEL} [data-testid='stAlertContentError']")
    assert errors.count() == 1  # the refusal, seen through the same selector that must be empty below
    page.get_by_text("column mapping (films_takings.csv)").first.click()
    picker = page.get_by_role("combobox", name=re.compile(r"^gross"))
    assert picker.input_value() == "—"  # nothing looked like gross
    assert page.get_by_role("combobox", name=re.compile(r"^budget")).input_value() == "budget"
    option = page.get_by_role("option", name="takings", exact=True)
    for _ in range(3):  # a rerun that lands while the list opens closes it again
        wait_for_app(page)
        picker.click()
        try:
            option.wait_for(timeout=20_000)
            break
        except Exception:
            page.screenshot(path=str(screenshot_dir / "promotion-mapping-retry.png"), full_page=True)
    option.click()
    wait_for_app(page)
    page.get_by_text("no gross column").first.wait_for(state="detached", timeout=120_000)
    assert errors.count() == 0  # the table now reads
    _shot(page, screenshot_dir, "promotion-mapping-en.png")
    _no_traceback(page)
    page.close()
