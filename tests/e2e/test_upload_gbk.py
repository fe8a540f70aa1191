"""Real browser: upload a GBK-encoded CSV with Chinese headers on the Data page, clean it, save it,
and check the detected encoding and the cleaned counts shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import ROOT, metrics, wait_for_app

ROWS = [
    "用户ID,电影ID,评分,短评,时间",
    "1,10,力荐,<b>好看</b>,2021年3月31日",
    "1,10,4,,2021-04-02",  # same user and film again: the latest is kept
    "2,11,★★★,一般,1617235200",
    ",12,3,没有用户,",  # no user id: dropped
    "3,12,x,看不懂,",  # unreadable rating: dropped
    "4,13,五星,太棒了,2021-05-01",
]


def test_upload_gbk_csv_shows_cleaned_counts(browser, streamlit_server, screenshot_dir, tmp_path):
    missing = [
        p
        for p in ("2_audience.py", "3_reviews.py", "4_models.py", "5_recommend.py")
        if not (ROOT / "views" / p).exists()
    ]
    if missing:
        pytest.skip(f"the app router needs every page; missing: {', '.join(missing)}")
    src = Path(tmp_path) / "影评_gbk.csv"
    src.write_bytes(("\n".join(ROWS) + "\n").encode("gbk"))
    srv = streamlit_server()
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(srv.url)  # the Data page is the default page
    wait_for_app(page)
    page.get_by_role("tab", name="上传与清洗").click()
    page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(src))
    page.get_by_text("编码 GBK", exact=False).first.wait_for(timeout=60_000)
    wait_for_app(page)
    assert "布局 generic" in page.get_by_text("编码 GBK", exact=False).first.inner_text()
    page.get_by_role("button", name="预览清洗结果").click()
    page.get_by_text("清洗报告").first.wait_for(timeout=60_000)
    wait_for_app(page)
    m = metrics(page)
    assert (m["输入行数"], m["输出行数"], m["删除行数"]) == ("6", "3", "3")
    assert page.locator("[data-testid='stPlotlyChart']").count() >= 1  # the funnel
    page.screenshot(path=str(screenshot_dir / "data-upload-gbk-report.png"), full_page=True)
    page.get_by_role("button", name="保存为新版本").click()
    page.locator("p:has-text('清洗后版本 v3'):visible").first.wait_for(timeout=60_000)
    wait_for_app(page)
    # the sidebar's dataset is the one the page now shows (it once stayed on the old version)
    picker = page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").first
    shown = picker.locator("input[role='combobox']").first.input_value()
    assert "v3" in shown and "v1" not in shown, shown
    page.get_by_role("tab", name="当前数据").click()
    # a lazy tab draws on the rerun its click starts: wait for its metrics
    page.locator("[data-testid='stTabPanel']:visible [data-testid='stMetric']").first.wait_for(timeout=120_000)
    wait_for_app(page)
    m = metrics(page)
    assert m["用户"] == "3" and m["影片"] == "3" and m["评分"] == "3"
    assert page.locator("[data-testid='stException']").count() == 0
    page.screenshot(path=str(screenshot_dir / "data-upload-gbk-saved.png"), full_page=True)
    page.close()
